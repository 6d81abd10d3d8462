"""A crash between sending and recording never sends twice: SMTP (its journal), Gmail (drafts, journalled).

The Gmail fake replaces the sender's Message-ID as Gmail does, so no step may rely on finding it.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from email.message import Message
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from google.auth.credentials import AnonymousCredentials

from hsb_sheets.adapters.calendar.memory import MemoryCalendar
from hsb_sheets.adapters.mail.base import Email, Mailer
from hsb_sheets.adapters.mail.gmail import DraftJournal, GmailMailer, gmail_service
from hsb_sheets.adapters.mail.smtp import SmtpMailer, SmtpSettings
from hsb_sheets.adapters.workbook.base import WriteBatch
from hsb_sheets.adapters.workbook.memory import MemoryWorkbook
from hsb_sheets.bootstrap import build_context
from hsb_sheets.config import Settings
from hsb_sheets.domain.tabs import OUTBOX
from hsb_sheets.errors import MailError
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
                GmailMailer(
                    gmail_service(AnonymousCredentials(), url), retries=1, drafts=tmp_path / "drafts.json"
                ),
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


class CrashingGmail(GmailMailer):
    """A GmailMailer whose process dies just before or just after one of its Gmail requests."""

    def __init__(self, *args: Any, crash: tuple[str, str] | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.crash = crash  # ("before" | "after", what the request does)

    def _execute(self, request: Any, doing: str, *, missing_ok: bool = False) -> Any:
        if self.crash == ("before", doing):
            raise KeyboardInterrupt(f"killed before: {doing}")
        answer = super()._execute(request, doing, missing_ok=missing_ok)
        if self.crash == ("after", doing):  # Gmail did it; its answer never reached the journal
            raise KeyboardInterrupt(f"killed after: {doing}")
        return answer


@pytest.mark.parametrize(
    "crash",
    [
        ("after", "create a draft"),  # the draft exists at Gmail but its id was never journalled
        ("before", "send a draft"),  # the draft id is journalled, the draft was never sent
        ("after", "send a draft"),  # Gmail sent it (and replaced its Message-ID); nothing journalled
    ],
)
def test_gmail_sends_each_email_once_whatever_step_the_process_dies_at(
    crash: tuple[str, str], tmp_path: Path
) -> None:
    fake = FakeGmail()
    url = fake.start()
    journal = tmp_path / "gmail-drafts.json"
    service = gmail_service(AnonymousCredentials(), url)
    email = Email("reminder|due_today|HSB-2026-0001", "hsb@example.gov.uk", ("w@example.gov.uk",), "Due", "x")
    try:
        with pytest.raises(KeyboardInterrupt):
            CrashingGmail(service, retries=0, drafts=journal, crash=crash).send(email)
        rerun = GmailMailer(service, retries=0, drafts=journal)  # a new process, the same journal file
        first = rerun.send(email)
        again = GmailMailer(service, retries=0, drafts=journal).send(email)
        assert len(fake.sent) == 1 and first == again
        assert fake.original_ids == [email.message_id]  # Gmail did not keep the sender's Message-ID
        assert fake.sent[0][1]["Message-ID"] != email.message_id
        assert len(fake.drafts) == (1 if crash == ("after", "create a draft") else 0)  # an unsent draft
    finally:
        fake.stop()


def test_a_gmail_send_whose_answer_was_lost_is_not_sent_again(tmp_path: Path) -> None:
    """drafts.send reached Gmail but the connection broke: the retry finds the draft gone (sent)."""
    fake = FakeGmail()
    url = fake.start()
    journal = tmp_path / "gmail-drafts.json"
    email = Email("digest|2026-03-12|lead", "hsb@example.gov.uk", ("w@example.gov.uk",), "Digest", "x")
    try:
        mailer = GmailMailer(gmail_service(AnonymousCredentials(), url), retries=0, drafts=journal)
        draft = mailer._create(email)
        fake.handle(
            next(m for m in fake.server.discovery.methods if m.id == "gmail.users.drafts.send"),
            {"userId": "me"},
            {},
            {"id": draft},
        )  # Gmail sent it; the adapter never heard
        assert mailer.send(email).startswith("draft:") and len(fake.sent) == 1
        assert json.loads(journal.read_text()) == {DraftJournal.digest(email): {"message": f"draft:{draft}"}}
    finally:
        fake.stop()


def test_a_draft_gmail_refuses_to_send_is_deleted_and_the_email_failed(tmp_path: Path) -> None:
    fake = FakeGmail()
    url = fake.start()
    fake.refuse.add("bad@example.org")
    email = Email("intake_issue|r1", "hsb@example.gov.uk", ("bad@example.org",), "Issue", "x")
    try:
        mailer = GmailMailer(
            gmail_service(AnonymousCredentials(), url), retries=0, drafts=tmp_path / "d.json"
        )
        with pytest.raises(
            MailError, match=r"refused to send a draft \(HTTP 400 invalidArgument\)"
        ) as raised:
            mailer.send(email)
        assert raised.value.transient is False and fake.drafts == {} and fake.sent == []
        assert mailer.journal.get(email) == {}
    finally:
        fake.stop()
