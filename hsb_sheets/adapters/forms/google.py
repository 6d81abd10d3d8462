"""Google Forms API v1: create and update the referral form, and list its responses."""

from __future__ import annotations

from typing import Any

import httplib2
from google.auth.credentials import Credentials
from googleapiclient.errors import HttpError

from hsb_sheets.adapters.google_api import build_service
from hsb_sheets.errors import HsbError

SCOPES = (
    "https://www.googleapis.com/auth/forms.body",
    "https://www.googleapis.com/auth/forms.responses.readonly",
)


class FormsError(HsbError):
    """The Forms API refused or could not be reached."""


def forms_service(credentials: Credentials, endpoint: str | None = None, timeout: float = 30.0) -> Any:
    """A Forms v1 client; ``endpoint`` replaces https://forms.googleapis.com/ (tests: a local fake)."""
    return build_service("forms", "v1", credentials, endpoint, "", timeout)


class GoogleForms:
    """The form and its responses, with bounded retries on 429/5xx."""

    def __init__(self, service: Any, retries: int = 5) -> None:
        self.service = service
        self.retries = retries

    def _execute(self, request: Any, doing: str) -> Any:
        try:
            return request.execute(num_retries=self.retries)
        except HttpError as problem:
            raise FormsError(f"Google Forms refused to {doing} (HTTP {int(problem.resp.status)}).") from None
        except (OSError, httplib2.HttpLib2Error) as problem:
            raise FormsError(f"Google Forms could not be reached ({type(problem).__name__}).") from None

    def create(self, title: str) -> str:
        """A new, empty form; its id."""
        created = self._execute(
            self.service.forms().create(body={"info": {"title": title, "documentTitle": title}}),
            "create the form",
        )
        return str(created["formId"])

    def get(self, form_id: str) -> dict[str, Any]:
        """The form with its items."""
        return dict(self._execute(self.service.forms().get(formId=form_id), "read the form"))

    def update(self, form_id: str, requests: list[dict[str, Any]]) -> dict[str, Any]:
        """Apply batchUpdate requests; returns the form as it now is."""
        body = {"requests": requests, "includeFormInResponse": True}
        answer = self._execute(self.service.forms().batchUpdate(formId=form_id, body=body), "update the form")
        return dict(answer.get("form") or self.get(form_id))

    def responses(self, form_id: str) -> list[dict[str, Any]]:
        """Every response, following pages."""
        found: list[dict[str, Any]] = []
        token = None
        while True:
            page = self._execute(
                self.service.forms().responses().list(formId=form_id, pageToken=token, pageSize=5000),
                "list the responses",
            )
            found.extend(page.get("responses", []))
            token = page.get("nextPageToken")
            if not token:
                return found
