"""Publishing the referral form to Google Forms, and (optionally) pulling its responses by API.

The form's id and the item each field was published as are kept in ``.hsb-state/google-form.json``
so that a changed hsb_sheets/config/referral_form.yaml updates the same form, question by question.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any, Protocol
from zoneinfo import ZoneInfo

from hsb_sheets.domain.form import TIMESTAMP, FormDefinition
from hsb_sheets.domain.form_items import plan_requests
from hsb_sheets.services.context import Context
from hsb_sheets.services.workspace import import_responses

LINK_STEPS = (
    "Open the form in Google Forms (link above), choose Responses, then Link to Sheets.",
    "Choose 'Select existing spreadsheet' and pick the register; Google adds the 'Form responses 1' tab.",
    "Run 'hsb-sheets doctor' to check the new tab's columns match the form definition.",
)


class FormsPort(Protocol):
    """What publishing and pulling need from the Forms API."""

    def create(self, title: str) -> str: ...

    def get(self, form_id: str) -> dict[str, Any]: ...

    def update(self, form_id: str, requests: list[dict[str, Any]]) -> dict[str, Any]: ...

    def responses(self, form_id: str) -> list[dict[str, Any]]: ...


@dataclass(frozen=True)
class Published:
    """The outcome of a publish."""

    form_id: str
    created: bool
    items: Mapping[str, str]
    responder_uri: str


def _load(state: Path) -> dict[str, Any]:
    return dict(json.loads(state.read_text())) if state.exists() else {}


def publish(form: FormDefinition, forms: FormsPort, state: Path, form_id: str = "") -> Published:
    """Create the form, or bring the existing one in line with the definition, in one batchUpdate."""
    saved = _load(state)
    form_id = form_id or saved.get("form_id", "")
    created = not form_id
    if created:
        form_id = forms.create(form.title)
    current = forms.get(form_id)
    updated = forms.update(form_id, plan_requests(form, current.get("items", []), saved.get("items", {})))
    by_title = {i["title"].casefold(): i["itemId"] for i in updated.get("items", [])}
    items = {f.id: by_title[f.title.casefold()] for f in form.fields if f.title.casefold() in by_title}
    state.parent.mkdir(parents=True, exist_ok=True)
    state.write_text(json.dumps({"form_id": form_id, "items": items}, indent=2))
    return Published(form_id, created, items, str(updated.get("responderUri", "")))


def pull_responses(ctx: Context, forms: FormsPort, form_id: str) -> int:
    """Copy the form's responses into "Form responses 1" (each once), as a linked sheet would hold them."""
    details = forms.get(form_id)
    field_by_question = {}
    titles = {f.title.casefold(): f for f in ctx.form.fields}
    for item in details.get("items", []):
        question_id = item.get("questionItem", {}).get("question", {}).get("questionId")
        field = titles.get(str(item.get("title", "")).casefold())
        if question_id and field:
            field_by_question[question_id] = field.id
    rows = []
    zone = ZoneInfo("Europe/London")
    for response in forms.responses(form_id):
        stamp = datetime.fromisoformat(response["createTime"].replace("Z", "+00:00")).astimezone(zone)
        answers: dict[str, str] = {}
        for question_id, answer in response.get("answers", {}).items():
            field_id = field_by_question.get(question_id)
            if field_id:
                values = [a.get("value", "") for a in answer.get("textAnswers", {}).get("answers", [])]
                answers[field_id] = ", ".join(values)
        rows.append([stamp.strftime("%d/%m/%Y %H:%M:%S"), *(answers.get(f.id, "") for f in ctx.form.fields)])
    header = [TIMESTAMP, *(f.title for f in ctx.form.fields)]
    added, _ = import_responses(ctx, header, rows) if rows else (0, 0)
    return added
