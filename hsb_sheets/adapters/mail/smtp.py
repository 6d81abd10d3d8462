"""Emails sent through an SMTP server (with optional STARTTLS or implicit TLS and login)."""

from __future__ import annotations

import smtplib
import ssl
from dataclasses import dataclass

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
    """One connection per send: jobs send few emails, and a fresh connection never goes stale."""

    resend_is_harmless = False

    def __init__(self, settings: SmtpSettings) -> None:
        self.settings = settings

    def _connect(self) -> smtplib.SMTP:
        s = self.settings
        if s.security == "tls":
            return smtplib.SMTP_SSL(s.host, s.port, timeout=s.timeout, context=ssl.create_default_context())
        client = smtplib.SMTP(s.host, s.port, timeout=s.timeout)
        if s.security == "starttls":
            client.starttls(context=ssl.create_default_context())
        return client

    def send(self, email: Email) -> str:
        """Send the message; MailError says whether a retry may help."""
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
        return email.message_id
