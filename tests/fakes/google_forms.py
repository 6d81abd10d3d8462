"""A stateful fake of the Google Forms API v1 (forms and their responses)."""

from __future__ import annotations

import itertools
from typing import Any

from tests.fakes.google_http import ApiError, Discovery, FakeGoogleServer, Method


class FakeForms:
    """Forms by id; batchUpdate applies createItem/updateItem/deleteItem/moveItem/updateFormInfo."""

    def __init__(self) -> None:
        self.forms: dict[str, dict[str, Any]] = {}
        self.responses: dict[str, list[dict[str, Any]]] = {}
        self._ids = itertools.count(0x10000000)
        self.server = FakeGoogleServer(Discovery("forms.v1"), self.handle)

    def start(self) -> str:
        return self.server.start()

    def stop(self) -> None:
        self.server.stop()

    def _id(self) -> str:
        return f"{next(self._ids):08x}"

    def submit(self, form_id: str, answers: dict[str, str | list[str]], create_time: str) -> None:
        """A respondent's submission: answers by question title."""
        by_title = {
            i["title"]: i["questionItem"]["question"]["questionId"] for i in self.forms[form_id]["items"]
        }
        self.responses.setdefault(form_id, []).append(
            {
                "formId": form_id,
                "responseId": f"ACYDBN{self._id()}",
                "createTime": create_time,
                "lastSubmittedTime": create_time,
                "answers": {
                    by_title[title]: {
                        "questionId": by_title[title],
                        "textAnswers": {
                            "answers": [{"value": v} for v in (value if isinstance(value, list) else [value])]
                        },
                    }
                    for title, value in answers.items()
                    if value
                },
            }
        )

    def handle(
        self, method: Method, params: dict[str, str], query: dict[str, list[str]], body: Any
    ) -> tuple[int, Any]:
        if method.id == "forms.forms.create":
            info = (body or {}).get("info", {})
            if set(body or {}) - {"info"} or set(info) - {"title", "documentTitle"}:
                raise ApiError(400, "Only info.title and info.document_title may be set when creating a form")
            form_id = f"form{self._id()}"
            self.forms[form_id] = {
                "formId": form_id,
                "info": dict(info),
                "items": [],
                "revisionId": "1",
                "responderUri": f"https://docs.google.com/forms/d/e/{form_id}/viewform",
            }
            return 200, self.forms[form_id]
        form = self.forms.get(params.get("formId", ""))
        if form is None:
            raise ApiError(404, "Requested entity was not found.", "notFound")
        if method.id == "forms.forms.get":
            return 200, form
        if method.id == "forms.forms.batchUpdate":
            replies = [self.apply(form, request) for request in body.get("requests", [])]
            form["revisionId"] = str(int(form["revisionId"]) + 1)
            answer: dict[str, Any] = {
                "replies": replies,
                "writeControl": {"requiredRevisionId": form["revisionId"]},
            }
            if body.get("includeFormInResponse"):
                answer["form"] = form
            return 200, answer
        if method.id == "forms.forms.responses.list":
            found = self.responses.get(form["formId"], [])
            return 200, ({"responses": found} if found else {})
        raise ApiError(501, f"{method.id} is not faked")

    def apply(self, form: dict[str, Any], request: dict[str, Any]) -> dict[str, Any]:
        ((kind, spec),) = request.items()
        items: list[dict[str, Any]] = form["items"]
        if kind == "updateFormInfo":
            for field in spec["updateMask"].split(","):
                form["info"][field] = spec["info"].get(field, "")
            return {}
        if kind == "createItem":
            item = dict(spec["item"], itemId=spec["item"].get("itemId") or self._id())
            if "questionItem" in item:
                item["questionItem"]["question"]["questionId"] = self._id()
            index = spec["location"]["index"]
            if index > len(items):
                raise ApiError(400, "Invalid requests[0].createItem: index out of range")
            items.insert(index, item)
            return {
                "createItem": {
                    "itemId": item["itemId"],
                    "questionId": [item["questionItem"]["question"]["questionId"]]
                    if "questionItem" in item
                    else [],
                }
            }
        index = spec.get("location", spec.get("originalLocation", {})).get("index", -1)
        if not 0 <= index < len(items):
            raise ApiError(400, f"Invalid requests[0].{kind}: no item at index {index}")
        if kind == "deleteItem":
            items.pop(index)
        elif kind == "moveItem":
            items.insert(spec["newLocation"]["index"], items.pop(index))
        elif kind == "updateItem":
            current, new = items[index], spec["item"]
            if new.get("itemId") and new["itemId"] != current["itemId"]:
                raise ApiError(400, "Invalid requests[0].updateItem: the item id does not match the location")
            question_id = current.get("questionItem", {}).get("question", {}).get("questionId")
            for field in ("title", "description"):
                if field in new:
                    current[field] = new[field]
                elif field in spec["updateMask"]:
                    current.pop(field, None)
            current["questionItem"] = {
                "question": dict(new["questionItem"]["question"], questionId=question_id)
            }
        return {}
