"""Every discovery-based Google adapter (Calendar, Gmail, Forms) retries Google's rate limits end to end,
over real HTTP to the local fakes: 429 with Retry-After and 403 rateLimitExceeded are waited out (one log
line each), a 403 forbidden is the port's error at once."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from google.auth.credentials import AnonymousCredentials

from hsb_sheets.adapters.calendar.base import CalendarError, MeetingEvent
from hsb_sheets.adapters.calendar.google import GoogleCalendar, calendar_service
from hsb_sheets.adapters.forms.base import FormsError
from hsb_sheets.adapters.forms.google import GoogleForms, forms_service
from hsb_sheets.adapters.mail.base import Email
from hsb_sheets.adapters.mail.gmail import GmailMailer, gmail_service
from hsb_sheets.bootstrap import load_form
from hsb_sheets.errors import HsbError, MailError
from hsb_sheets.services.google_form import publish
from tests.fakes.gmail import FakeGmail
from tests.fakes.google_calendar import FakeCalendar
from tests.fakes.google_forms import FakeForms
from tests.fakes.google_http import FakeGoogleServer
from tests.unit.test_google_retry import log_lines

__all__ = ["log_lines"]  # the fixture, shared with the unit tests

LONDON = ZoneInfo("Europe/London")
START = datetime(2026, 3, 30, 10, 0, tzinfo=LONDON)
EVENT = MeetingEvent(
    "hsbcace0001", "Strategy discussion: HSB-2026-0001", "x", START, START.replace(hour=11), ()
)
EMAIL = Email("retry-1", "hsb@example.gov.uk", ("police@example.gov.uk",), "New referral", "HSB-2026-0001")


@dataclass
class Case:
    """One adapter against its fake: ``act`` does one operation; ``done`` counts what Google holds."""

    fake: Any  # the fake's class in CASES; a started fake in a test
    act: Callable[[str, Callable[[float], None], Path], object]
    done: Callable[[Any], int]
    first: str  # what the adapter was doing at its first request
    error: type[HsbError]


CASES = {
    "calendar": Case(
        FakeCalendar,
        lambda url, sleep, _: GoogleCalendar(
            calendar_service(AnonymousCredentials(), endpoint=url), "primary", LONDON, retries=2, sleep=sleep
        ).ensure(EVENT),
        lambda fake: len(fake.live("primary")),
        "read an event",
        CalendarError,
    ),
    "gmail": Case(
        FakeGmail,
        lambda url, sleep, _: GmailMailer(
            gmail_service(AnonymousCredentials(), url), retries=2, sleep=sleep
        ).send(EMAIL),
        lambda fake: len(fake.sent),
        "create a draft",
        MailError,
    ),
    "forms": Case(
        FakeForms,
        lambda url, sleep, tmp: publish(
            load_form(), GoogleForms(forms_service(AnonymousCredentials(), url), retries=2, sleep=sleep), tmp
        ),
        lambda fake: len(fake.forms),
        "create the form",
        FormsError,
    ),
}


@pytest.fixture(params=list(CASES))
def case(request: pytest.FixtureRequest) -> Iterator[tuple[Case, str]]:
    chosen = CASES[request.param]
    fresh = chosen.fake()
    url = fresh.start()
    try:
        yield Case(fresh, chosen.act, chosen.done, chosen.first, chosen.error), url
    finally:
        fresh.stop()


def server(case: Case) -> FakeGoogleServer:
    fake_server: FakeGoogleServer = case.fake.server
    return fake_server


def test_rate_limits_are_waited_out_honouring_retry_after(
    case: tuple[Case, str], tmp_path: Path, log_lines: list[str]
) -> None:
    chosen, url = case
    server(chosen).retry_after = "3"
    server(chosen).faults.extend([429, 403])  # the fake's injected 4xx answers say rateLimitExceeded
    sleeps: list[float] = []
    chosen.act(url, sleeps.append, tmp_path / "state.json")
    assert chosen.done(chosen.fake) == 1 and sleeps == [3.0, 3.0]
    statuses = [r.status for r in server(chosen).requests]
    assert statuses[:2] == [429, 403] and not {429, 403} & set(statuses[2:])
    assert len(log_lines) == 2
    assert f"doing={chosen.first} reason=HTTP 429 rateLimitExceeded wait_seconds=3.0" in log_lines[0]
    assert "reason=HTTP 403 rateLimitExceeded wait_seconds=3.0" in log_lines[1]


def test_a_forbidden_answer_is_the_ports_error_at_once(
    case: tuple[Case, str], tmp_path: Path, log_lines: list[str]
) -> None:
    chosen, url = case
    server(chosen).fault_reason = "forbidden"
    server(chosen).faults.append(403)
    sleeps: list[float] = []
    with pytest.raises(chosen.error, match=rf"refused to {chosen.first} \(HTTP 403 forbidden\)") as raised:
        chosen.act(url, sleeps.append, tmp_path / "state.json")
    assert getattr(raised.value, "transient", False) is False
    assert sleeps == [] and log_lines == [] and len(server(chosen).requests) == 1


def test_when_retries_run_out_the_error_is_transient_where_the_port_says_so(
    case: tuple[Case, str], tmp_path: Path
) -> None:
    chosen, url = case
    server(chosen).faults.extend([503] * 3)
    with pytest.raises(chosen.error, match=r"\(HTTP 503 backendError\)") as raised:
        chosen.act(url, lambda _: None, tmp_path / "state.json")
    assert getattr(raised.value, "transient", True) is True and len(server(chosen).requests) == 3


@pytest.mark.parametrize(("api", "reason"), [("calendar", "quotaExceeded"), ("gmail", "dailyLimitExceeded")])
def test_usage_limits_are_transient_when_retries_run_out(api: str, reason: str, tmp_path: Path) -> None:
    chosen = CASES[api]
    fake = chosen.fake()
    url = fake.start()
    try:
        fake.server.fault_reason = reason
        fake.server.faults.extend([403] * 3)
        with pytest.raises(chosen.error, match=rf"\(HTTP 403 {reason}\)") as raised:
            chosen.act(url, lambda _: None, tmp_path / "state.json")
    finally:
        fake.stop()
    assert getattr(raised.value, "transient", False) is True  # the email stays pending, the meeting waits


def test_an_email_gmail_rate_limits_stays_pending_for_the_next_run(tmp_path: Path, clock: Any) -> None:
    from hsb_sheets.adapters.calendar.memory import MemoryCalendar
    from hsb_sheets.adapters.workbook.memory import MemoryWorkbook
    from hsb_sheets.bootstrap import build_context
    from hsb_sheets.config import Settings
    from hsb_sheets.domain.tabs import OUTBOX
    from hsb_sheets.services.intake import run_intake
    from hsb_sheets.services.setup import setup_register
    from tests.conftest import valid_answers
    from tests.unit.test_intake_service import submit

    fake = FakeGmail()
    url = fake.start()
    mailer = GmailMailer(gmail_service(AnonymousCredentials(), url), retries=1, sleep=lambda _: None)
    ctx = build_context(
        Settings(base_dir=tmp_path),
        workbook=MemoryWorkbook(),
        mailer=mailer,
        calendar=MemoryCalendar(),
        clock=clock,
    )
    setup_register(ctx)
    submit(ctx, ("10/03/2026 09:00:00", valid_answers()))
    fake.server.faults.extend([429] * 100)
    try:
        report = run_intake(ctx, sleep=lambda _: None)
        assert report.delivery.failed == [] and report.delivery.waiting
        assert set(ctx.workbook.read([OUTBOX])[OUTBOX].column("State")) == {"pending"}
        fake.server.faults.clear()
        again = run_intake(ctx, sleep=lambda _: None)
        assert len(again.delivery.sent) == len(report.delivery.waiting) and fake.sent
    finally:
        fake.stop()
