"""Emails sent as a shared mailbox through the Gmail API (``users.messages.send``).

The service account acts for the mailbox by domain-wide delegation. Before sending, the adapter
searches the mailbox for the email's Message-ID (``rfc822msgid:``): a message that went out before
a crash is found and not sent again. Transient failures (429, 5xx, 403 rate limits, connection errors)
are retried by :func:`hsb_sheets.adapters.google_api.execute`, with bounded, jittered backoff.
"""

from __future__ import annotations

import base64
import time
from collections.abc import Callable
from typing import Any

from google.auth.credentials import Credentials
from googleapiclient.errors import HttpError

from hsb_sheets.adapters.google_api import CONNECTION_ERRORS, build_service, execute, status
from hsb_sheets.adapters.mail.base import Email
from hsb_sheets.errors import MailError

# Sending, and searching the mailbox's own messages for a Message-ID before a resend.
SCOPES = ("https://www.googleapis.com/auth/gmail.send", "https://www.googleapis.com/auth/gmail.readonly")


def gmail_service(credentials: Credentials, endpoint: str | None = None, timeout: float = 30.0) -> Any:
    """A Gmail v1 client; ``endpoint`` replaces https://gmail.googleapis.com/ (tests: a local fake)."""
    return build_service("gmail", "v1", credentials, endpoint, "", timeout)


class GmailMailer:
    """Sends through Gmail; never twice for one Message-ID."""

    def __init__(
        self,
        service: Any,
        user_id: str = "me",
        retries: int = 5,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.service = service
        self.user_id = user_id
        self.retries = retries
        self.sleep = sleep

    def _execute(self, request: Any, doing: str) -> Any:
        try:
            return execute(request, api="Gmail", doing=doing, retries=self.retries, sleep=self.sleep)
        except HttpError as problem:
            code = status(problem)
            transient = code == 429 or code >= 500
            raise MailError(f"Gmail refused to {doing} (HTTP {code}).", transient=transient) from None
        except CONNECTION_ERRORS as problem:
            raise MailError(
                f"Gmail could not be reached ({type(problem).__name__}).", transient=True
            ) from None

    def already_sent(self, email: Email) -> str | None:
        """The Gmail id of a message with this email's Message-ID, if the mailbox has one."""
        query = "rfc822msgid:" + email.message_id.strip("<>")
        found = self._execute(
            self.service.users().messages().list(userId=self.user_id, q=query, includeSpamTrash=True),
            "search the mailbox",
        )
        messages = found.get("messages", [])
        return str(messages[0]["id"]) if messages else None

    def send(self, email: Email) -> str:
        """Send unless the mailbox shows it was sent; return Gmail's message id."""
        existing = self.already_sent(email)
        if existing is not None:
            return existing
        raw = base64.urlsafe_b64encode(email.to_mime().as_bytes()).decode("ascii")
        sent = self._execute(
            self.service.users().messages().send(userId=self.user_id, body={"raw": raw}), "send a message"
        )
        return str(sent["id"])
