"""A stateful fake of the Gmail API's drafts and message send, for the Gmail mail adapter's tests.

Behaviours of the real Gmail reproduced here:

- Gmail replaces the Message-ID a sender sets with its own, and keeps no copy of the original
  (github.com/FlowCrypt/flowcrypt-browser/issues/4273: "Gmail overwrites Message-ID and don't even
  keep the original value in X-Google-Original-Message-ID"; see also issue 4876). So a search for
  ``rfc822msgid:<the sender's id>`` never finds the sent message.
- A sent draft is deleted and the sent message gets a new id ("When the draft is sent, the draft is
  automatically deleted and a new message with an updated ID is created with the SENT system
  label", developers.google.com/gmail/api/guides/drafts); ``drafts.get`` of it then answers 404.
- A draft may lack valid recipients; ``drafts.send`` is where Gmail refuses them (400).
"""

from __future__ import annotations

import base64
import email
import itertools
from email.message import Message
from typing import Any

from tests.fakes.google_http import ApiError, Discovery, FakeGoogleServer, Method


def _decode(raw: str) -> Message:
    return email.message_from_bytes(base64.urlsafe_b64decode(raw + "=" * (-len(raw) % 4)))


class FakeGmail:
    """Drafts and sent messages of one mailbox."""

    def __init__(self) -> None:
        self.sent: list[tuple[str, Message]] = []
        self.drafts: dict[str, tuple[str, Message]] = {}  # draft id -> (message id, message)
        self.refuse: set[str] = set()  # recipients answered 400, as for an invalid address
        self.original_ids: list[str] = []  # the Message-IDs senders set, which Gmail did not keep
        self._ids = itertools.count(1)
        self.server = FakeGoogleServer(Discovery("gmail.v1"), self.handle)

    def start(self) -> str:
        return self.server.start()

    def stop(self) -> None:
        self.server.stop()

    def _id(self) -> str:
        return f"{next(self._ids):016x}"

    def _deliver(self, message: Message) -> dict[str, Any]:
        if not message["To"] or any(r in message["To"] for r in self.refuse):
            raise ApiError(400, "Invalid To header", "invalidArgument")
        self.original_ids.append(str(message["Message-ID"] or ""))
        del message["Message-ID"]
        message_id = self._id()
        message["Message-ID"] = f"<CAFake{message_id}@mail.gmail.com>"  # Gmail's own, not the sender's
        self.sent.append((message_id, message))
        return {"id": message_id, "threadId": message_id, "labelIds": ["SENT"]}

    def handle(
        self, method: Method, params: dict[str, str], query: dict[str, list[str]], body: Any
    ) -> tuple[int, Any]:
        if method.id == "gmail.users.messages.send":
            raw = body.get("raw") if isinstance(body, dict) else None
            if not raw:
                raise ApiError(400, "Recipient address required", "invalidArgument")
            return 200, self._deliver(_decode(raw))
        if method.id == "gmail.users.drafts.create":
            raw = (body or {}).get("message", {}).get("raw")
            if not raw:
                raise ApiError(400, "Missing draft message", "invalidArgument")
            draft_id, message_id = "r" + self._id(), self._id()
            self.drafts[draft_id] = (message_id, _decode(raw))
            return 200, {"id": draft_id, "message": {"id": message_id, "labelIds": ["DRAFT"]}}
        if method.id in ("gmail.users.drafts.get", "gmail.users.drafts.delete", "gmail.users.drafts.send"):
            draft_id = params.get("id") or (body or {}).get("id", "")
            if draft_id not in self.drafts:
                raise ApiError(404, "Requested entity was not found.", "notFound")
            message_id, message = self.drafts[draft_id]
            if method.id == "gmail.users.drafts.get":
                return 200, {"id": draft_id, "message": {"id": message_id, "labelIds": ["DRAFT"]}}
            if method.id == "gmail.users.drafts.delete":
                del self.drafts[draft_id]
                return 204, None
            answer = self._deliver(message)  # refused recipients leave the draft in place, as Gmail does
            del self.drafts[draft_id]
            return 200, answer
        if method.id == "gmail.users.messages.list":
            q = query.get("q", [""])[0]
            found = [
                {"id": i, "threadId": i}
                for i, m in self.sent
                if q.startswith("rfc822msgid:")
                and (m["Message-ID"] or "").strip("<>") == q.split(":", 1)[1].strip("<>")
            ]
            listed: dict[str, Any] = {"resultSizeEstimate": len(found)}
            if found:
                listed["messages"] = found
            return 200, listed
        raise ApiError(501, f"{method.id} is not faked")
