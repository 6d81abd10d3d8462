"""A crash between sending and recording in the Outbox never sends twice: SMTP (journal), Gmail (search)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from email.message import Message
from pathlib import Path

import pytest
from aiosmtpd.controller import Controller
from google.auth.credentials import AnonymousCredentials

from hsb_sheets.adapters.calendar.memory import MemoryCalendar
from hsb_sheets.adapters.mail.base import Mailer
from hsb_sheets.adapters.mail.gmail import GmailMailer, gmail_service
from hsb_sheets.adapters.mail.smtp import SmtpMailer, SmtpSettings
from hsb_sheets.adapters.workbook.base import WriteBatch
from hsb_sheets.adapters.workbook.memory import MemoryWorkbook
from hsb_sheets.bootstrap import build_context
from hsb_sheets.config import Settings
from hsb_sheets.domain.tabs import OUTBOX
from hsb_sheets.services.context import Context
from hsb_sheets.services.intake import run_intake
from hsb_sheets.services.setup import setup_register
from tests.conftest import FixedClock, valid_answers
from tests.fakes.gmail import FakeGmail
from tests.integration.test_smtp import Recorder, free_port
from tests.unit.test_intake_service import submit

Delivered = Callable[[], list[Message]]


@pytest.fixture(params=["smtp", "gmail"])
def mail(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[tuple[Mailer, Delivered, object]]:
    if request.param == "smtp":
        recorder = Recorder()
        port = free_port()
        controller = Controller(recorder, hostname="127.0.0.1", port=port)
        controller.start()
        try:
            yield (
                SmtpMailer(SmtpSettings("127.0.0.1", port, timeout=5), journal=tmp_path / "sent.log"),
                lambda: recorder.messages,
                recorder,
            )
        finally:
            controller.stop()
    else:
        fake = FakeGmail()
        url = fake.start()
        try:
            yield (
                GmailMailer(gmail_service(AnonymousCredentials(), url), retries=1),
                lambda: [m for _, m in fake.sent],
                fake,
            )
        finally:
            fake.stop()


def context(mailer: Mailer, clock: FixedClock, tmp_path: Path) -> Context:
    ctx = build_context(
        Settings(base_dir=tmp_path),
        workbook=MemoryWorkbook(),
        mailer=mailer,
        calendar=MemoryCalendar(),
        clock=clock,
    )
    setup_register(ctx)
    return ctx


def test_crash_between_send_and_ledger_write_sends_once(
    mail: tuple[Mailer, Delivered, object], clock: FixedClock, tmp_path: Path
) -> None:
    mailer, delivered, _ = mail
    ctx = context(mailer, clock, tmp_path)
    submit(
        ctx,
        ("10/03/2026 09:00:00", valid_answers()),
        ("10/03/2026 09:01:00", valid_answers(referrer_email="b@example.org")),
    )
    assert isinstance(ctx.workbook, MemoryWorkbook)
    real_write = ctx.workbook.write
    writes = {"n": 0}

    def crash_on_ledger(batch: WriteBatch) -> None:
        writes["n"] += 1
        if writes["n"] == 2:  # 1: the cases and the queued emails; 2: marking them sent
            raise KeyboardInterrupt("killed after sending, before recording")
        real_write(batch)

    ctx.workbook.write = crash_on_ledger  # type: ignore[method-assign]
    with pytest.raises(KeyboardInterrupt):
        run_intake(ctx)
    ctx.workbook.write = real_write  # type: ignore[method-assign]
    assert len(delivered()) == 2
    assert set(ctx.workbook.read([OUTBOX])[OUTBOX].column("State")) == {"pending"}

    report = run_intake(ctx)
    assert len(report.delivery.sent) == 2
    assert len(delivered()) == 2  # nothing went twice
    outbox = list(ctx.workbook.read([OUTBOX])[OUTBOX].records())
    assert {r["State"] for r in outbox} == {"sent"} and all(r["Message ID"] for r in outbox)


def test_a_permanent_failure_is_recorded_with_its_reason(
    mail: tuple[Mailer, Delivered, object], clock: FixedClock, tmp_path: Path
) -> None:
    mailer, delivered, server = mail
    server.refuse.add("refused@example.org")  # type: ignore[attr-defined]
    ctx = context(mailer, clock, tmp_path)
    submit(ctx, ("10/03/2026 09:00:00", valid_answers(referrer_email="refused@example.org")))
    report = run_intake(ctx)
    assert len(report.delivery.failed) == 1 and delivered() == []
    [entry] = ctx.workbook.read([OUTBOX])[OUTBOX].records()
    assert entry["State"] == "failed" and "refused" in entry["Error"]
