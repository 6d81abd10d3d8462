"""One contract for every mail adapter: .eml outbox, SMTP (a real aiosmtpd server) and Gmail (fake API)."""

from __future__ import annotations

import email
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from email.message import Message
from pathlib import Path

import pytest
from google.auth.credentials import AnonymousCredentials

from hsb_sheets.adapters.mail.base import Email, Mailer
from hsb_sheets.adapters.mail.eml import EmlOutbox
from hsb_sheets.adapters.mail.gmail import GmailMailer, gmail_service
from hsb_sheets.adapters.mail.smtp import SmtpMailer, SmtpSettings
from tests.fakes.gmail import FakeGmail
from tests.integration.test_smtp import Recorder, free_port


@dataclass
class Harness:
    mailer: Mailer
    delivered: Callable[[], list[Message]]
    sent_message_ids: Callable[[], list[str]]  # the Message-IDs as the sender set them


@pytest.fixture(params=["eml", "smtp", "gmail"])
def harness(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Harness]:
    if request.param == "eml":
        folder = tmp_path / "outbox"
        delivered = lambda: [email.message_from_bytes(p.read_bytes()) for p in folder.glob("*.eml")]  # noqa: E731
        yield Harness(EmlOutbox(folder), delivered, lambda: [m["Message-ID"] for m in delivered()])
    elif request.param == "smtp":
        from aiosmtpd.controller import Controller

        recorder = Recorder()
        port = free_port()
        controller = Controller(recorder, hostname="127.0.0.1", port=port)
        controller.start()
        try:
            mailer = SmtpMailer(SmtpSettings("127.0.0.1", port, timeout=5), journal=tmp_path / "journal.log")
            yield Harness(
                mailer, lambda: recorder.messages, lambda: [m["Message-ID"] for m in recorder.messages]
            )
        finally:
            controller.stop()
    else:
        fake = FakeGmail()
        url = fake.start()
        try:
            yield Harness(
                GmailMailer(gmail_service(AnonymousCredentials(), url), retries=2),
                lambda: [m for _, m in fake.sent],
                lambda: fake.original_ids,  # Gmail replaced them in what it delivered
            )
        finally:
            fake.stop()


def notice(key: str = "reminder|due_today|HSB-2026-0001") -> Email:
    return Email(
        key=key,
        sender="hsb-service@example.gov.uk",
        to=("worker@example.gov.uk",),
        cc=("lead@example.org",),
        subject="End summary due today: HSB-2026-0001",
        text="The end summary for case HSB-2026-0001 is due today.",
        html="<p>Due today.</p>",
    )


def test_a_message_is_delivered_with_its_headers(harness: Harness) -> None:
    provider_id = harness.mailer.send(notice())
    assert provider_id
    [message] = harness.delivered()
    assert harness.sent_message_ids() == [notice().message_id]
    assert message["Subject"] == "End summary due today: HSB-2026-0001"
    assert message["To"] == "worker@example.gov.uk" and message["Cc"] == "lead@example.org"
    types = {part.get_content_type() for part in message.walk()}
    assert {"text/plain", "text/html"} <= types


def test_sending_the_same_notification_again_delivers_nothing_more(harness: Harness) -> None:
    first = harness.mailer.send(notice())
    second = harness.mailer.send(notice())
    harness.mailer.send(notice("reminder|escalation|HSB-2026-0001"))
    assert first == second
    assert len(harness.delivered()) == 2


def test_a_copy_left_by_a_killed_eml_write_is_removed_when_that_email_is_sent(tmp_path: Path) -> None:
    """A run killed between writing the temporary file and renaming it leaves a copy (personal data);
    the rerun that sends the same email removes it, and leaves only the one .eml."""
    folder = tmp_path / "outbox"
    folder.mkdir()
    outbox = EmlOutbox(folder)
    message = notice()
    leftover = folder / f".mail-{outbox.path_for(message).stem}-abc123"
    leftover.write_bytes(b"half an email")
    outbox.send(message)
    assert not leftover.exists()
    assert [p.name for p in folder.iterdir()] == [outbox.path_for(message).name]
