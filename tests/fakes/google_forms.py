"""A stateful fake of the Google Forms API v1 (forms and their responses).

Behaviours of the real Forms API reproduced here:

- A form created by the API is unpublished and takes no responses until ``forms.setPublishSettings``
  publishes it ("forms created by API after January 31, 2026, will be created in an unpublished
  state and you must publish the forms before they can accept responses": API changes to Google
  Forms, developers.google.com/workspace/forms/api/guides/api-changes-to-google-forms). Both
  ``isPublished`` and ``isAcceptingResponses`` must be given, and accepting responses while
  unpublished is an error (PublishSettings, forms v1 discovery document).
- ``updateItem`` whose mask covers the question but whose item has no ``questionId`` gives the
  question a new id ("If an ID is blank (and in the field mask) a new ID is generated":
  UpdateItemRequest.item, forms v1 discovery document).
"""

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
        """A respondent's submission: answers by question title (refused while the form is unpublished)."""
        state = self.forms[form_id]["publishSettings"]["publishState"]
        if not (state["isPublished"] and state["isAcceptingResponses"]):
            raise PermissionError("This form is not accepting responses: it has not been published.")
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
                "publishSettings": {"publishState": {"isPublished": False, "isAcceptingResponses": False}},
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
        if method.id == "forms.forms.setPublishSettings":
            state = (body or {}).get("publishSettings", {}).get("publishState", {})
            if body.get("updateMask") not in ("publishState", "publish_state", "*"):
                raise ApiError(400, "update_mask must be publish_state or *")
            if set(state) != {"isPublished", "isAcceptingResponses"}:
                raise ApiError(400, "Both is_published and is_accepting_responses must be set")
            if state["isAcceptingResponses"] and not state["isPublished"]:
                raise ApiError(400, "A form that is not published cannot accept responses")
            form["publishSettings"] = {"publishState": dict(state)}
            return 200, {"formId": form["formId"], "publishSettings": form["publishSettings"]}
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
            for field in ("title", "description"):
                if field in new:
                    current[field] = new[field]
                elif field in spec["updateMask"]:
                    current.pop(field, None)
            question = dict(new["questionItem"]["question"])
            # A blank question id under the mask is a new question id, as Google documents it.
            question["questionId"] = question.get("questionId") or self._id()
            current["questionItem"] = {"question": question}
        return {}
