"""Google Forms API v1: create, update and publish the referral form, and list its responses.

A form created by the API after 31 January 2026 is unpublished and takes no responses until it is
published with ``forms.setPublishSettings`` ("API changes to Google Forms",
developers.google.com/workspace/forms/api/guides/api-changes-to-google-forms). Requests go through
:func:`hsb_sheets.adapters.google_api.execute`, which retries 429, 5xx, 403 rate limits and
connection errors with bounded, jittered backoff. The Forms API's JSON shapes stay in this
module and :mod:`hsb_sheets.adapters.forms.payloads`; the service sees the port's types.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from datetime import datetime
from typing import Any

from google.auth.credentials import Credentials
from googleapiclient.errors import HttpError

from hsb_sheets.adapters.forms.base import FormResponse, FormsError, PublishedForm, Question
from hsb_sheets.adapters.forms.payloads import plan_requests
from hsb_sheets.adapters.google_api import CONNECTION_ERRORS, build_service, execute, failure
from hsb_sheets.adapters.google_auth_errors import TOKEN_ERRORS, Delegation, explain_token_error
from hsb_sheets.domain.form import FormDefinition

SCOPES = (
    "https://www.googleapis.com/auth/forms.body",
    "https://www.googleapis.com/auth/forms.responses.readonly",
)
API = "Google Forms"
FIXES = {
    "forbidden": "the delegated user may not edit this form: share it with [forms] delegated_user as an "
    "editor, or clear form_id to make a new one",
    "PERMISSION_DENIED": "the delegated user may not edit this form: share it with [forms] delegated_user "
    "as an editor, or clear form_id to make a new one",
    "notFound": "check [forms] form_id (or delete .hsb-state/google-form.json to make a new form)",
    "NOT_FOUND": "check [forms] form_id (or delete .hsb-state/google-form.json to make a new form)",
}
# Published and taking responses. PublishSettings: "When updating publish_state, both is_published and
# is_accepting_responses must be set" (forms v1 discovery document).
PUBLISHED = {"publishState": {"isPublished": True, "isAcceptingResponses": True}}


def forms_service(credentials: Credentials, endpoint: str | None = None, timeout: float = 30.0) -> Any:
    """A Forms v1 client; ``endpoint`` replaces https://forms.googleapis.com/ (tests: a local fake)."""
    return build_service("forms", "v1", credentials, endpoint, "", timeout)


def _published(resource: Mapping[str, Any]) -> PublishedForm:
    """The port's view of a Forms API Form resource."""
    questions = tuple(
        Question(
            item_id=str(item.get("itemId", "")),
            question_id=str(item.get("questionItem", {}).get("question", {}).get("questionId", "")),
            title=str(item.get("title", "")),
        )
        for item in resource.get("items", [])
    )
    return PublishedForm(str(resource.get("formId", "")), questions, str(resource.get("responderUri", "")))


def _response(resource: Mapping[str, Any]) -> FormResponse:
    """The port's view of a Forms API FormResponse (text answers; a checkbox question has several)."""
    submitted = datetime.fromisoformat(str(resource["createTime"]).replace("Z", "+00:00"))
    answers = {
        question_id: tuple(str(a.get("value", "")) for a in answer.get("textAnswers", {}).get("answers", []))
        for question_id, answer in resource.get("answers", {}).items()
    }
    return FormResponse(submitted, answers)


class GoogleForms:
    """The form and its responses."""

    def __init__(
        self,
        service: Any,
        retries: int = 5,
        sleep: Callable[[float], None] = time.sleep,
        delegation: Delegation | None = None,
    ) -> None:
        self.service = service
        self.retries = retries
        self.sleep = sleep
        self.delegation = delegation

    def _execute(self, request: Any, doing: str) -> Any:
        try:
            return execute(request, api="Forms", doing=doing, retries=self.retries, sleep=self.sleep)
        except HttpError as problem:
            raise FormsError(failure(problem, api=API, doing=doing, fixes=FIXES)[0]) from None
        except CONNECTION_ERRORS as problem:
            raise FormsError(f"Google Forms could not be reached ({type(problem).__name__}).") from None
        except TOKEN_ERRORS as problem:
            raise explain_token_error(problem, self.delegation, API) from None

    def _form(self, form_id: str) -> dict[str, Any]:
        return dict(self._execute(self.service.forms().get(formId=form_id), "read the form"))

    def create(self, title: str) -> str:
        """A new, empty form; its id."""
        created = self._execute(
            self.service.forms().create(body={"info": {"title": title, "documentTitle": title}}),
            "create the form",
        )
        return str(created["formId"])

    def get(self, form_id: str) -> PublishedForm:
        """The form with its items."""
        return _published(self._form(form_id))

    def update(self, form_id: str, form: FormDefinition, known: Mapping[str, str]) -> PublishedForm:
        """Read the form's items, then apply the requests that bring them in line, in one batchUpdate."""
        current = self._form(form_id)
        requests = plan_requests(form, current.get("items", []), known)
        body = {"requests": requests, "includeFormInResponse": True}
        answer = self._execute(self.service.forms().batchUpdate(formId=form_id, body=body), "update the form")
        return _published(answer.get("form") or self._form(form_id))

    def publish(self, form_id: str) -> bool:
        """Publish the form and open it to responses, unless it already is; whether it changed."""
        state = self._form(form_id).get("publishSettings", {}).get("publishState", {})
        if state.get("isPublished") and state.get("isAcceptingResponses"):
            return False
        body = {"publishSettings": PUBLISHED, "updateMask": "publishState"}
        self._execute(self.service.forms().setPublishSettings(formId=form_id, body=body), "publish the form")
        return True

    def responses(self, form_id: str) -> list[FormResponse]:
        """Every response, following pages."""
        found: list[FormResponse] = []
        token = None
        while True:
            page = self._execute(
                self.service.forms().responses().list(formId=form_id, pageToken=token, pageSize=5000),
                "list the responses",
            )
            found.extend(_response(r) for r in page.get("responses", []))
            token = page.get("nextPageToken")
            if not token:
                return found
