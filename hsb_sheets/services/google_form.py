"""Publishing the referral form to Google Forms, and (optionally) pulling its responses by API.

The form's id and the item each field was published as are kept in ``.hsb-state/google-form.json``
so that a changed hsb_sheets/config/referral_form.yaml updates the same form, question by question.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from hsb_sheets.adapters.forms.base import Forms
from hsb_sheets.domain.form import TIMESTAMP, FormDefinition
from hsb_sheets.services.context import Context
from hsb_sheets.services.workspace import import_responses

LINK_STEPS = (
    "Open the form in Google Forms (link above), choose Responses, then Link to Sheets.",
    "Choose 'Select existing spreadsheet' and pick the register; Google adds a responses tab of its own.",
    "The jobs find that tab by its header (Timestamp, then the form's questions), whatever Google names it.",
    "Run 'hsb-sheets doctor': its 'Responses tab' line names the tab the jobs read.",
)


@dataclass(frozen=True)
class Published:
    """The outcome of a publish."""

    form_id: str
    created: bool
    items: Mapping[str, str]
    responder_uri: str
    published_now: bool = False  # whether this run published it (a new form, or one unpublished in the UI)


def _load(state: Path) -> dict[str, Any]:
    return dict(json.loads(state.read_text())) if state.exists() else {}


def publish(form: FormDefinition, forms: Forms, state: Path, form_id: str = "") -> Published:
    """Create the form, or bring the existing one in line with the definition in one batchUpdate; then
    publish it, since a form the API creates takes no responses until it is published."""
    saved = _load(state)
    form_id = form_id or saved.get("form_id", "")
    created = not form_id
    if created:
        form_id = forms.create(form.title)
    updated = forms.update(form_id, form, saved.get("items", {}))
    by_title = {q.title.casefold(): q.item_id for q in updated.questions}
    items = {f.id: by_title[f.title.casefold()] for f in form.fields if f.title.casefold() in by_title}
    state.parent.mkdir(parents=True, exist_ok=True)
    state.write_text(json.dumps({"form_id": form_id, "items": items}, indent=2))
    published_now = forms.publish(form_id)
    return Published(form_id, created, items, updated.responder_uri, published_now)


def pull_responses(ctx: Context, forms: Forms, form_id: str) -> int:
    """Copy the form's responses into "Form responses 1" (each once), as a linked sheet would hold them."""
    field_by_question = {}
    titles = {f.title.casefold(): f for f in ctx.form.fields}
    for question in forms.get(form_id).questions:
        field = titles.get(question.title.casefold())
        if question.question_id and field:
            field_by_question[question.question_id] = field.id
    rows = []
    zone = ZoneInfo("Europe/London")
    for response in forms.responses(form_id):
        stamp = response.submitted.astimezone(zone)
        answers = {
            field_by_question[question_id]: ", ".join(values)
            for question_id, values in response.answers.items()
            if question_id in field_by_question
        }
        rows.append([stamp.strftime("%d/%m/%Y %H:%M:%S"), *(answers.get(f.id, "") for f in ctx.form.fields)])
    header = [TIMESTAMP, *(f.title for f in ctx.form.fields)]
    added, _ = import_responses(ctx, header, rows) if rows else (0, 0)
    return added
