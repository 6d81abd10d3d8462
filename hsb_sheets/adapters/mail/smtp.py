"""Emails sent through an SMTP server (with optional STARTTLS or implicit TLS and login)."""

from __future__ import annotations

import hashlib
import os
import smtplib
import ssl
from dataclasses import dataclass
from pathlib import Path

from hsb_sheets.adapters.mail.base import Email
from hsb_sheets.errors import MailError


@dataclass(frozen=True)
class SmtpSettings:
    """How to reach the server."""

    host: str
    port: int = 25
    security: str = "none"  # "none" | "starttls" | "tls"
    username: str | None = None
    password: str | None = None
    timeout: float = 30.0


class SmtpMailer:
    """One connection per send: jobs send few emails, and a fresh connection never goes stale.

    SMTP cannot be asked whether a message was delivered, so each accepted message is written to a
    small local journal (a hash of its key and its Message-ID) straight after the server accepts it.
    A resend after a crash checks the journal first; only a crash in the instant between the
    server's answer and the journal write can send twice, and then with the same Message-ID.
    """

    def __init__(self, settings: SmtpSettings, journal: Path | None = None) -> None:
        self.settings = settings
        self.journal = journal

    @staticmethod
    def _digest(email: Email) -> str:
        return hashlib.sha256(email.key.encode("utf-8")).hexdigest()

    def _journalled(self, email: Email) -> bool:
        if self.journal is None or not self.journal.exists():
            return False
        digest = self._digest(email)
        with self.journal.open(encoding="utf-8") as fh:
            return any(line.split(" ", 1)[0] == digest for line in fh)

    def _remember(self, email: Email) -> None:
        if self.journal is None:
            return
        self.journal.parent.mkdir(parents=True, exist_ok=True)
        with self.journal.open("a", encoding="utf-8") as fh:
            fh.write(f"{self._digest(email)} {email.message_id}\n")
            fh.flush()
            os.fsync(fh.fileno())

    def _connect(self) -> smtplib.SMTP:
        s = self.settings
        if s.security == "tls":
            return smtplib.SMTP_SSL(s.host, s.port, timeout=s.timeout, context=ssl.create_default_context())
        client = smtplib.SMTP(s.host, s.port, timeout=s.timeout)
        if s.security == "starttls":
            client.starttls(context=ssl.create_default_context())
        return client

    def send(self, email: Email) -> str:
        """Send the message unless the journal shows it went; MailError says whether a retry may help."""
        if self._journalled(email):
            return email.message_id
        where = f"{self.settings.host}:{self.settings.port}"
        try:
            with self._connect() as client:
                if self.settings.username:
                    client.login(self.settings.username, self.settings.password or "")
                client.send_message(email.to_mime())
        except smtplib.SMTPRecipientsRefused:
            raise MailError(
                f"The SMTP server {where} refused the recipient address.", transient=False
            ) from None
        except smtplib.SMTPAuthenticationError:
            raise MailError(
                f"The SMTP server {where} rejected the login; check the username and password.",
                transient=False,
            ) from None
        except smtplib.SMTPResponseException as problem:
            transient = 400 <= problem.smtp_code < 500
            raise MailError(
                f"The SMTP server {where} answered {problem.smtp_code}.", transient=transient
            ) from None
        except (TimeoutError, smtplib.SMTPException, OSError) as problem:
            raise MailError(
                f"Could not reach the SMTP server {where} ({type(problem).__name__}).", transient=True
            ) from None
        self._remember(email)
        return email.message_id
