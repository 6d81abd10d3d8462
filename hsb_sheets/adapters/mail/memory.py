"""A mailer for unit tests that records what was sent, keyed by idempotency key."""

from __future__ import annotations

from hsb_sheets.adapters.mail.base import Email
from hsb_sheets.errors import MailError


class MemoryMailer:
    """Keeps every email it is given; can be told to fail the next sends."""

    def __init__(self) -> None:
        self.sent: list[Email] = []
        self.fail_next = 0

    def send(self, email: Email) -> str:
        """Record the email (or fail, when asked to)."""
        if self.fail_next:
            self.fail_next -= 1
            raise MailError("The test mailer was told to fail.", transient=True)
        if all(e.key != email.key for e in self.sent):
            self.sent.append(email)
        return email.message_id
