"""Emails sent as a shared mailbox through the Gmail API, exactly once, by way of drafts.

The service account acts for the mailbox by domain-wide delegation. Gmail may replace the
Message-ID a sender sets (FlowCrypt found it "overwrites Message-ID and doesn't even keep the
original value": github.com/FlowCrypt/flowcrypt-browser/issues/4273), so searching the mailbox for
it cannot prove a message was not sent. Instead each email goes out as a draft:

1. ``users.drafts.create``, and the draft's id is written to a local journal (fsync) under the
   email's key;
2. ``users.drafts.send``: Gmail deletes the draft as it sends it ("When the draft is sent, the draft
   is automatically deleted", developers.google.com/gmail/api/guides/drafts), and the sent
   message's id is journalled.

A rerun after a crash reads the journal: a sent message id is returned as it is; a recorded draft
that still exists was not sent and is sent now; one that no longer exists (404) was sent. A crash
before the draft's id is journalled leaves an unsent draft behind, never a second message.
Transient failures (429, 5xx, 403 rate limits, connection and token-endpoint errors) are retried
by :func:`hsb_sheets.adapters.google_api.execute`; when retries run out they stay transient.
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from google.auth.credentials import Credentials
from googleapiclient.errors import HttpError

from hsb_sheets.adapters.google_api import CONNECTION_ERRORS, build_service, execute, failure, status
from hsb_sheets.adapters.google_auth_errors import TOKEN_ERRORS, Delegation, explain_token_error
from hsb_sheets.adapters.mail.base import Email
from hsb_sheets.errors import MailError

# Drafts: create, read (does it still exist?), send and delete. gmail.compose covers all four and
# users.messages.send; it cannot read the mailbox's other mail.
SCOPES = ("https://www.googleapis.com/auth/gmail.compose",)
API = "Gmail"
SENT_BY_DRAFT = "draft:"  # the message id recorded when a draft was found sent but its message id is unknown
FIXES = {
    "invalidArgument": "check the recipient addresses",
    "failedPrecondition": "check [mail] gmail_mailbox is a user mailbox with Gmail enabled",
}


def gmail_service(credentials: Credentials, endpoint: str | None = None, timeout: float = 30.0) -> Any:
    """A Gmail v1 client; ``endpoint`` replaces https://gmail.googleapis.com/ (tests: a local fake)."""
    return build_service("gmail", "v1", credentials, endpoint, "", timeout)


class DraftJournal:
    """For each email key (hashed), the draft made for it and, once sent, the sent message's id.

    A small JSON file replaced atomically (write, fsync, rename), so a crash leaves the old or the
    new content, never half of it. Without a path it lives in memory (tests, one-off sends).
    """

    def __init__(self, path: Path | None = None) -> None:
        self.path = path
        self._memory: dict[str, dict[str, str]] = {}

    @staticmethod
    def digest(email: Email) -> str:
        return hashlib.sha256(email.key.encode("utf-8")).hexdigest()

    def _load(self) -> dict[str, dict[str, str]]:
        if self.path is None:
            return self._memory
        try:
            data = json.loads(self.path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            return {}
        except (OSError, ValueError):
            raise MailError(
                f"The Gmail drafts journal {self.path} cannot be read; restore it from a backup "
                "(deleting it could send emails whose drafts were made but not recorded as sent twice).",
                transient=False,
            ) from None
        return {str(k): dict(v) for k, v in data.items()}

    def get(self, email: Email) -> dict[str, str]:
        """The entry for this email: {"draft": id} before sending, {"message": id} after; {} if none."""
        return self._load().get(self.digest(email), {})

    def put(self, email: Email, entry: dict[str, str] | None) -> None:
        """Record (or with None, forget) this email's entry durably."""
        data = self._load()
        if entry is None:
            data.pop(self.digest(email), None)
        else:
            data[self.digest(email)] = entry
        if self.path is None:
            self._memory = data
            return
        self.path.parent.mkdir(parents=True, exist_ok=True)
        partial = self.path.with_suffix(self.path.suffix + ".partial")
        with partial.open("w", encoding="utf-8") as fh:
            json.dump(data, fh)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(partial, self.path)


class GmailMailer:
    """Sends through Gmail drafts; never twice for one email key."""

    def __init__(
        self,
        service: Any,
        user_id: str = "me",
        retries: int = 5,
        sleep: Callable[[float], None] = time.sleep,
        drafts: Path | DraftJournal | None = None,
        delegation: Delegation | None = None,
    ) -> None:
        self.service = service
        self.user_id = user_id
        self.retries = retries
        self.sleep = sleep
        self.journal = drafts if isinstance(drafts, DraftJournal) else DraftJournal(drafts)
        self.delegation = delegation

    def _execute(self, request: Any, doing: str, *, missing_ok: bool = False) -> Any:
        """The answer; with ``missing_ok``, None for a 404 (the draft no longer exists)."""
        try:
            return execute(request, api=API, doing=doing, retries=self.retries, sleep=self.sleep)
        except HttpError as problem:
            if missing_ok and status(problem) == 404:
                return None
            message, transient = failure(problem, api=API, doing=doing, fixes=FIXES)
            raise MailError(message, transient=transient) from None
        except CONNECTION_ERRORS as problem:
            raise MailError(
                f"Gmail could not be reached ({type(problem).__name__}).", transient=True
            ) from None
        except TOKEN_ERRORS as problem:
            raise explain_token_error(problem, self.delegation, API) from None

    def _drafts(self) -> Any:
        return self.service.users().drafts()

    def _create(self, email: Email) -> str:
        raw = base64.urlsafe_b64encode(email.to_mime().as_bytes()).decode("ascii")
        made = self._execute(
            self._drafts().create(userId=self.user_id, body={"message": {"raw": raw}}), "create a draft"
        )
        draft_id = str(made["id"])
        self.journal.put(email, {"draft": draft_id})
        return draft_id

    def _send(self, email: Email, draft_id: str) -> str:
        """Send the draft; a 404 means it was sent already (Gmail deleted it as it sent it)."""
        try:
            sent = self._execute(
                self._drafts().send(userId=self.user_id, body={"id": draft_id}),
                "send a draft",
                missing_ok=True,
            )
        except MailError as problem:
            if not problem.transient:  # the draft will never go: do not leave it (and its text) behind
                self._discard(email, draft_id)
            raise
        message_id = str(sent["id"]) if sent else SENT_BY_DRAFT + draft_id
        self.journal.put(email, {"message": message_id})
        return message_id

    def _discard(self, email: Email, draft_id: str) -> None:
        """Delete a draft that cannot be sent and forget it (best effort: the send's error is what counts)."""
        try:
            self._execute(
                self._drafts().delete(userId=self.user_id, id=draft_id), "delete a draft", missing_ok=True
            )
        except MailError:
            return
        self.journal.put(email, None)

    def send(self, email: Email) -> str:
        """Send unless the journal shows it was sent; return Gmail's message id."""
        entry = self.journal.get(email)
        if entry.get("message"):
            return entry["message"]
        draft_id = entry.get("draft", "")
        if draft_id:
            found = self._execute(
                self._drafts().get(userId=self.user_id, id=draft_id, format="minimal"),
                "read a draft",
                missing_ok=True,
            )
            if found is None:  # no longer a draft: it was sent before the crash
                message_id = SENT_BY_DRAFT + draft_id
                self.journal.put(email, {"message": message_id})
                return message_id
        else:
            draft_id = self._create(email)
        return self._send(email, draft_id)
