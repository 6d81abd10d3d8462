"""Mail through a real SMTP server (aiosmtpd, in the test process) and the .eml outbox."""

from __future__ import annotations

import email
import socket
from collections.abc import Iterator
from email.message import Message
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.controller import Controller

from hsb_sheets.adapters.mail.base import Email
from hsb_sheets.adapters.mail.eml import EmlOutbox
from hsb_sheets.adapters.mail.smtp import SmtpMailer, SmtpSettings
from hsb_sheets.bootstrap import build_context
from hsb_sheets.config import load_settings
from hsb_sheets.domain.form import TIMESTAMP
from hsb_sheets.domain.tabs import OUTBOX
from hsb_sheets.errors import MailError
from hsb_sheets.services.intake import run_intake
from hsb_sheets.services.setup import setup_register
from hsb_sheets.services.workspace import create_workspace, import_responses
from tests.conftest import valid_answers


class Recorder:
    """An SMTP handler that keeps every message and can refuse addresses."""

    def __init__(self) -> None:
        self.messages: list[Message] = []
        self.refuse: set[str] = set()

    async def handle_RCPT(self, server: Any, session: Any, envelope: Any, address: str, options: Any) -> str:
        if address in self.refuse:
            return "550 No such user here"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.messages.append(email.message_from_bytes(envelope.content))
        return "250 Message accepted for delivery"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
def smtp_server() -> Iterator[tuple[Recorder, int]]:
    recorder = Recorder()
    port = free_port()
    controller = Controller(recorder, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield recorder, port
    finally:
        controller.stop()


def sample(key: str = "acknowledgement|HSB-2026-0001") -> Email:
    return Email(
        key=key,
        sender="hsb-service@example.gov.uk",
        to=("referrer@example.org",),
        subject="Referral received: HSB-2026-0001",
        text="Thank you.",
        html="<p>Thank you.</p>",
    )


def test_smtp_delivers_with_a_stable_message_id(smtp_server: tuple[Recorder, int]) -> None:
    recorder, port = smtp_server
    mailer = SmtpMailer(SmtpSettings("127.0.0.1", port, timeout=5))
    message_id = mailer.send(sample())
    assert message_id == sample().message_id  # rebuilt, the same notification has the same id
    [received] = recorder.messages
    assert received["Message-ID"] == message_id
    assert received["To"] == "referrer@example.org"
    assert received["Subject"] == "Referral received: HSB-2026-0001"
    assert received.is_multipart()


def test_a_refused_recipient_is_a_permanent_failure(smtp_server: tuple[Recorder, int]) -> None:
    recorder, port = smtp_server
    recorder.refuse.add("referrer@example.org")
    with pytest.raises(MailError) as caught:
        SmtpMailer(SmtpSettings("127.0.0.1", port, timeout=5)).send(sample())
    assert caught.value.transient is False


def test_an_unreachable_server_is_a_transient_failure() -> None:
    with pytest.raises(MailError) as caught:
        SmtpMailer(SmtpSettings("127.0.0.1", free_port(), timeout=2)).send(sample())
    assert caught.value.transient is True
    assert "Could not reach the SMTP server" in str(caught.value)


def test_the_eml_outbox_writes_each_key_once(tmp_path: Path) -> None:
    outbox = EmlOutbox(tmp_path / "outbox")
    outbox.send(sample())
    outbox.send(sample())
    outbox.send(sample("intake_issue|R1"))
    files = sorted(p.name.split("-")[0] for p in (tmp_path / "outbox").glob("*.eml"))
    assert files == ["acknowledgement", "intake_issue"]
    parsed = email.message_from_bytes(next((tmp_path / "outbox").glob("ack*.eml")).read_bytes())
    assert parsed["Message-ID"] == sample().message_id


def test_intake_over_a_real_workbook_and_smtp_server_sends_each_email_once(
    smtp_server: tuple[Recorder, int], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    recorder, port = smtp_server
    monkeypatch.setenv("HSB_SHEETS_MAIL_BACKEND", "smtp")
    monkeypatch.setenv("HSB_SHEETS_MAIL_SMTP_HOST", "127.0.0.1")
    monkeypatch.setenv("HSB_SHEETS_MAIL_SMTP_PORT", str(port))
    settings = load_settings(create_workspace(tmp_path / "ws"))
    ctx = build_context(settings)
    setup_register(ctx)
    header = [TIMESTAMP, *(f.title for f in ctx.form.fields)]
    answers = [
        valid_answers(referrer_email="one@example.org"),
        valid_answers(referrer_email="two@example.org", child_first_name="Lee", traffic_light="Amber"),
        valid_answers(referrer_email="three@example.org", child_last_name=""),
    ]
    rows = [[f"10/03/2026 09:0{i}:00", *(a[f.id] for f in ctx.form.fields)] for i, a in enumerate(answers)]
    import_responses(ctx, header, rows)

    report = run_intake(ctx)
    assert len(report.registered) == 2 and report.issues == 1
    assert sorted(m["To"] for m in recorder.messages) == [
        "one@example.org",
        "three@example.org",
        "two@example.org",
    ]
    for message in recorder.messages:
        text = message.as_string()
        assert "Robin" not in text and "Testwood" not in text and "15/06/2012" not in text

    run_intake(ctx)
    assert len(recorder.messages) == 3
    states = ctx.workbook.read([OUTBOX])[OUTBOX].column("State")
    assert states == ["sent", "sent", "sent"]
