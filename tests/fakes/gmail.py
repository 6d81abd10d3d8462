"""A stateful fake of the Gmail API's message send and search, for the Gmail mail adapter's tests."""

from __future__ import annotations

import base64
import email
import itertools
from email.message import Message
from typing import Any

from tests.fakes.google_http import ApiError, Discovery, FakeGoogleServer, Method


class FakeGmail:
    """Sent messages per mailbox; ``rfc822msgid:`` search as Gmail does it."""

    def __init__(self) -> None:
        self.sent: list[tuple[str, Message]] = []
        self.refuse: set[str] = set()  # recipients answered 400, as for an invalid address
        self._ids = itertools.count(1)
        self.server = FakeGoogleServer(Discovery("gmail.v1"), self.handle)

    def start(self) -> str:
        return self.server.start()

    def stop(self) -> None:
        self.server.stop()

    def handle(
        self, method: Method, params: dict[str, str], query: dict[str, list[str]], body: Any
    ) -> tuple[int, Any]:
        if method.id == "gmail.users.messages.send":
            raw = body.get("raw") if isinstance(body, dict) else None
            if not raw:
                raise ApiError(400, "Recipient address required", "invalidArgument")
            message = email.message_from_bytes(base64.urlsafe_b64decode(raw + "=" * (-len(raw) % 4)))
            if not message["To"] or any(r in message["To"] for r in self.refuse):
                raise ApiError(400, "Invalid To header", "invalidArgument")
            message_id = f"{next(self._ids):016x}"
            self.sent.append((message_id, message))
            return 200, {"id": message_id, "threadId": message_id, "labelIds": ["SENT"]}
        if method.id == "gmail.users.messages.list":
            q = query.get("q", [""])[0]
            found = [
                {"id": i, "threadId": i}
                for i, m in self.sent
                if q.startswith("rfc822msgid:")
                and (m["Message-ID"] or "").strip("<>") == q.split(":", 1)[1].strip("<>")
            ]
            answer: dict[str, Any] = {"resultSizeEstimate": len(found)}
            if found:
                answer["messages"] = found
            return 200, answer
        raise ApiError(501, f"{method.id} is not faked")
