"""On Google a response is identified by its Timestamp's serial number, not by what the cell shows.

Google Forms stamps each submission as a date-time value with the fraction of a second; the cell
shows it through the column's number format. Over the fake Sheets server (which renders values as
the recorded traffic shows Google doing): a new number format, a Date locale change or a corrected
email re-ingests nothing, and responses a few milliseconds apart are two responses.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import requests

from hsb_sheets.adapters.calendar.memory import MemoryCalendar
from hsb_sheets.adapters.mail.memory import MemoryMailer
from hsb_sheets.adapters.workbook.base import Update, WriteBatch
from hsb_sheets.adapters.workbook.google_sheets import SheetsHTTPClient, SheetsWorkbook
from hsb_sheets.bootstrap import build_context
from hsb_sheets.config import Settings
from hsb_sheets.domain.responses import response_id
from hsb_sheets.domain.tabs import FORM_RESPONSES, REFERRALS, RESPONSE_ID, SETTINGS, SettingsTab
from hsb_sheets.services.context import Context
from hsb_sheets.services.intake import run_intake
from hsb_sheets.services.policy import DATE_LOCALE
from hsb_sheets.services.setup import setup_register
from tests.conftest import FixedClock, valid_answers
from tests.fakes.google_sheets import FakeSheets, Sheet, Value

SHEET = "register-under-test"
FIRST = datetime(2026, 3, 10, 9, 5, 7, 123000)


@pytest.fixture
def fake() -> Iterator[FakeSheets]:
    server = FakeSheets()
    server.url = server.start()  # type: ignore[attr-defined]
    server.create(SHEET)
    yield server
    server.stop()


@pytest.fixture
def ctx(fake: FakeSheets, tmp_path: Path) -> Context:
    http = SheetsHTTPClient(requests.Session(), endpoint=fake.url, retries=1, sleep=lambda _: None)  # type: ignore[attr-defined]
    context = build_context(
        Settings(base_dir=tmp_path),
        workbook=SheetsWorkbook(http, SHEET),
        mailer=MemoryMailer(),
        calendar=MemoryCalendar(),
        clock=FixedClock(datetime(2026, 3, 12, 10, 0, tzinfo=UTC)),
    )
    setup_register(context)
    return context


def form_sheet(fake: FakeSheets) -> Sheet:
    return fake.spreadsheets[SHEET].sheet(FORM_RESPONSES)


def submitted(ctx: Context, fake: FakeSheets, moment: datetime, **changes: str) -> None:
    """A submission as Google Forms adds it: a date-time Timestamp, then the answers as text."""
    answers = valid_answers(**changes)
    sheet = form_sheet(fake)
    sheet.cells.append([Value.date_time(moment), *(answers[f.id] for f in ctx.form.fields)])
    sheet.rows = max(sheet.rows, len(sheet.cells) + 10)


def sent(ctx: Context) -> int:
    assert isinstance(ctx.mailer, MemoryMailer)
    return len(ctx.mailer.sent)


def registered_ids(fake: FakeSheets) -> list[str]:
    referrals = fake.spreadsheets[SHEET].sheet(REFERRALS)
    column = referrals.cells[0].index(RESPONSE_ID)
    return [row[column] for row in referrals.cells[1:] if any(row)]


def test_a_new_number_format_or_date_locale_re_ingests_nothing(ctx: Context, fake: FakeSheets) -> None:
    for n in range(3):
        submitted(ctx, fake, FIRST + timedelta(minutes=n), referrer_email=f"r{n}@example.org")
    assert len(run_intake(ctx).registered) == 3
    ids, mails = registered_ids(fake), sent(ctx)
    sheet = form_sheet(fake)
    shown = sheet.cells[1][0]
    for pattern in ("dd/mm/yyyy hh:mm", "yyyy-mm-dd hh:mm:ss.000", "d/m/yy h:mm"):
        sheet.reformat(0, pattern)
        assert sheet.cells[1][0] != shown  # the display changed; the serial did not
        report = run_intake(ctx)
        assert (report.registered, report.issues, report.already_ingested) == ([], 0, 3)
    ctx.workbook.write(
        WriteBatch(updates=[Update(SETTINGS, SettingsTab.SETTING, DATE_LOCALE, {SettingsTab.VALUE: "en-US"})])
    )
    assert run_intake(ctx).registered == []
    assert registered_ids(fake) == ids and sent(ctx) == mails


def test_a_corrected_referrer_email_re_ingests_nothing(ctx: Context, fake: FakeSheets) -> None:
    submitted(ctx, fake, FIRST, referrer_email="typo@example.org")
    assert len(run_intake(ctx).registered) == 1
    mails = sent(ctx)
    sheet = form_sheet(fake)
    sheet.cells[1][1 + [f.id for f in ctx.form.fields].index("referrer_email")] = "right@example.org"
    assert run_intake(ctx).registered == [] and sent(ctx) == mails


def test_submissions_a_few_milliseconds_apart_are_two_responses_each_ingested_once(
    ctx: Context, fake: FakeSheets
) -> None:
    submitted(ctx, fake, FIRST)
    submitted(ctx, fake, FIRST + timedelta(milliseconds=40))  # a second click on Submit
    form_sheet(fake).reformat(0, "dd/mm/yyyy hh:mm:ss")
    assert form_sheet(fake).cells[1][0] == form_sheet(fake).cells[2][0]  # shown alike
    report = run_intake(ctx)
    assert len(report.registered) == 2 and report.possible_duplicates == 1
    ids = registered_ids(fake)
    assert len(set(ids)) == 2
    assert run_intake(ctx).registered == [] and registered_ids(fake) == ids


def test_the_serials_come_with_the_rows_in_one_read_each_to_its_own_row(
    ctx: Context, fake: FakeSheets
) -> None:
    for n in range(3):
        submitted(ctx, fake, FIRST + timedelta(minutes=n), referrer_email=f"r{n}@example.org")
    sheet = form_sheet(fake)
    sheet.cells[1:4] = sorted(sheet.cells[1:4], key=lambda r: r[1 + 1], reverse=True)  # a coordinator's sort
    before = len(fake.sheet_requests)
    assert len(run_intake(ctx).registered) == 3
    assert not [r for r in fake.sheet_requests[before:] if "/values/" in r]  # no values.get of its own
    instants = [FIRST + timedelta(minutes=n) for n in (2, 1, 0)]  # the rows' order after the sort
    assert registered_ids(fake) == [response_id(t.isoformat(sep=" "), []) for t in instants]
