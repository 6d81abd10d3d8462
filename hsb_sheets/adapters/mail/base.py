"""The mail port: an Email, its MIME form, and the Mailer contract.

Each email carries an idempotency key and a Message-ID derived from it, so a resend after a crash
is recognisably the same message.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import formatdate
from typing import Protocol

from hsb_sheets.errors import MailError as MailError  # the port's error, here with its contract


@dataclass(frozen=True)
class Attachment:
    """A file part, for example a calendar invite."""

    filename: str
    maintype: str
    subtype: str
    content: bytes
    params: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True)
class Email:
    """One notification, ready to send."""

    key: str
    sender: str
    to: tuple[str, ...]
    subject: str
    text: str
    html: str | None = None
    cc: tuple[str, ...] = ()
    attachments: tuple[Attachment, ...] = ()
    calendar: tuple[str, bytes] | None = None  # (METHOD, iCalendar bytes): an invitation part

    @property
    def message_id(self) -> str:
        """A Message-ID that is the same every time this notification is built."""
        digest = hashlib.sha256(self.key.encode("utf-8")).hexdigest()[:32]
        domain = self.sender.rpartition("@")[2] or "hsb-sheets.invalid"
        return f"<{digest}@{domain}>"

    def to_mime(self) -> EmailMessage:
        """The RFC 5322 message."""
        message = EmailMessage()
        message["From"] = self.sender
        message["To"] = ", ".join(self.to)
        if self.cc:
            message["Cc"] = ", ".join(self.cc)
        message["Subject"] = self.subject
        message["Message-ID"] = self.message_id
        message["Date"] = formatdate(localtime=False, usegmt=True)
        message["X-HSB-Key"] = hashlib.sha256(self.key.encode("utf-8")).hexdigest()[:16]
        message.set_content(self.text)
        if self.html is not None:
            message.add_alternative(self.html, subtype="html")
        if self.calendar is not None:
            # Outlook and Google recognise an invitation by a text/calendar alternative with its method.
            method, content = self.calendar
            message.add_alternative(
                content, maintype="text", subtype="calendar", params={"method": method, "charset": "UTF-8"}
            )
        for attachment in self.attachments:
            message.add_attachment(
                attachment.content,
                maintype=attachment.maintype,
                subtype=attachment.subtype,
                filename=attachment.filename,
                params=dict(attachment.params),
            )
        return message


class Mailer(Protocol):
    """Sends emails. Implementations: ``eml`` (outbox folder), ``smtp``, ``gmail``, ``memory`` (tests).

    Sending an email whose key was already sent must not deliver it again.
    """

    def send(self, email: Email) -> str:
        """Send one email and return the provider's message id; MailError on failure."""
        ...
