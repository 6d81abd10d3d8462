"""Google Forms API v1 payloads: the referral form as Forms items, and the batchUpdate requests that
bring a published form in line with hsb_sheets/config/referral_form.yaml in place (so its questions, and the
sheet columns linked to them, keep their identity)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from hsb_sheets.domain.form import FormDefinition, FormField

QUESTION_MASK = "title,description,questionItem.question"


def question(field: FormField) -> dict[str, Any]:
    """The Forms API Question for a field (required flag, choices; dates as date questions)."""
    body: dict[str, Any] = {"required": field.required}
    if field.type in ("choice", "checkboxes"):
        body["choiceQuestion"] = {
            "type": "RADIO" if field.type == "choice" else "CHECKBOX",
            "options": [{"value": choice} for choice in field.choices],
        }
    elif field.type == "date":
        body["dateQuestion"] = {"includeYear": True}
    else:
        body["textQuestion"] = {"paragraph": field.type == "paragraph"}
    return body


def item(field: FormField, item_id: str | None = None, question_id: str | None = None) -> dict[str, Any]:
    """The Forms API Item for a field; with ``question_id``, the question keeps that id.

    UpdateItemRequest.item (forms v1 discovery document): "item and question IDs are used if they are
    provided (and are in the field mask). If an ID is blank (and in the field mask) a new ID is
    generated." The mask names questionItem.question, so an update must carry the question's id.
    """
    body: dict[str, Any] = {"title": field.title, "questionItem": {"question": question(field)}}
    if field.help:
        body["description"] = field.help
    if item_id:
        body["itemId"] = item_id
    if question_id:
        body["questionItem"]["question"]["questionId"] = question_id
    return body


def _question_ids(existing: Sequence[Mapping[str, Any]]) -> dict[str, str]:
    """Item id -> question id of the form's current question items."""
    return {
        str(i.get("itemId", "")): str(i["questionItem"]["question"].get("questionId", ""))
        for i in existing
        if isinstance(i.get("questionItem", {}).get("question"), Mapping)
    }


def plan_requests(
    form: FormDefinition, existing: Sequence[Mapping[str, Any]], known: Mapping[str, str]
) -> list[dict[str, Any]]:
    """batchUpdate requests from the form's current items to the definition.

    ``known`` maps field id to the item id it was published as; items not known are matched by
    title. Unmatched items are deleted, fields without an item are created, and matched items are
    moved into place and updated, so each question keeps its id.
    """
    requests: list[dict[str, Any]] = [
        {
            "updateFormInfo": {
                "info": {"title": form.title, "description": form.description},
                "updateMask": "title,description",
            },
        }
    ]
    current = [str(i.get("itemId", "")) for i in existing]
    question_ids = _question_ids(existing)
    titles = {str(i.get("title", "")).casefold(): str(i.get("itemId", "")) for i in existing}
    wanted: dict[str, str] = {}
    for f in form.fields:
        item_id = known.get(f.id) if known.get(f.id) in current else titles.get(f.title.casefold())
        if item_id and item_id not in wanted.values():
            wanted[f.id] = item_id
    for index in range(len(current) - 1, -1, -1):
        if current[index] not in wanted.values():
            requests.append({"deleteItem": {"location": {"index": index}}})
            del current[index]
    for index, f in enumerate(form.fields):
        item_id = wanted.get(f.id)
        if item_id is None:
            requests.append({"createItem": {"item": item(f), "location": {"index": index}}})
            current.insert(index, f"new:{f.id}")
            continue
        at = current.index(item_id)
        if at != index:
            requests.append(
                {"moveItem": {"originalLocation": {"index": at}, "newLocation": {"index": index}}}
            )
            current.insert(index, current.pop(at))
        requests.append(
            {
                "updateItem": {
                    "item": item(f, item_id, question_ids.get(item_id)),
                    "location": {"index": index},
                    "updateMask": QUESTION_MASK,
                }
            }
        )
    return requests
