"""On Google the form's responses are in the tab Google made when the form was linked, whatever it
is called: setup makes no *Form responses 1* for a link to collide with, intake finds the tab by its
header, and doctor names it and compares the spreadsheet's locale and time zone with Settings."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
import requests

from hsb_sheets.adapters.calendar.memory import MemoryCalendar
from hsb_sheets.adapters.journal.memory import MemoryJournal
from hsb_sheets.adapters.mail.memory import MemoryMailer
from hsb_sheets.adapters.workbook.google_sheets import LINK_THE_FORM, SheetsHTTPClient, SheetsWorkbook
from hsb_sheets.bootstrap import build_context
from hsb_sheets.config import Settings
from hsb_sheets.domain.tabs import FORM_RESPONSES, REFERRALS
from hsb_sheets.errors import WorkbookError
from hsb_sheets.services.context import Context
from hsb_sheets.services.doctor import _attempt
from hsb_sheets.services.doctor_google import responses_check, spreadsheet_settings_check
from hsb_sheets.services.intake import run_intake
from hsb_sheets.services.setup import setup_register
from hsb_sheets.services.submissions import copy_submissions, submission_for
from tests.conftest import FixedClock, valid_answers
from tests.fakes.google_sheets import FakeSheets, Sheet, Value

SHEET = "register-under-test"


@pytest.fixture
def fake() -> Iterator[FakeSheets]:
    server = FakeSheets()
    server.url = server.start()  # type: ignore[attr-defined]
    server.create(SHEET)
    yield server
    server.stop()


def context(fake: FakeSheets, tmp_path: Path, *, linked: bool = True) -> Context:
    http = SheetsHTTPClient(requests.Session(), endpoint=fake.url, retries=1, sleep=lambda _: None)  # type: ignore[attr-defined]
    ctx = build_context(
        Settings(base_dir=tmp_path),
        workbook=SheetsWorkbook(http, SHEET),
        mailer=MemoryMailer(),
        calendar=MemoryCalendar(),
        clock=FixedClock(datetime(2026, 3, 12, 10, 0, tzinfo=UTC)),
    )
    if linked:  # as bootstrap builds it with [forms] source = "sheet"
        ctx.workbook = SheetsWorkbook(http, SHEET, form_questions=[f.title for f in ctx.form.fields])
    return ctx


def titles(ctx: Context) -> list[str]:
    return [f.title for f in ctx.form.fields]


def submit(ctx: Context, sheet: Sheet, count: int) -> None:
    """Submissions as Google Forms adds them to its tab: a date-time Timestamp, then the answers."""
    for n in range(count):
        answers = valid_answers(referrer_email=f"r{n}@example.org", child_first_name=f"Child{n}")
        sheet.cells.append(
            [Value.date_time(datetime(2026, 3, 11, 9, n)), *(answers[f.id] for f in ctx.form.fields)]
        )


def tab_names(fake: FakeSheets) -> list[str]:
    return [sheet.title for sheet in fake.spreadsheets[SHEET].sheets]


def test_setup_makes_no_responses_tab_a_link_would_collide_with_and_says_how_to_link(
    fake: FakeSheets, tmp_path: Path
) -> None:
    ctx = context(fake, tmp_path)
    changes = setup_register(ctx)
    assert FORM_RESPONSES not in tab_names(fake)
    assert LINK_THE_FORM in changes and "Link to Sheets" in LINK_THE_FORM
    linked = fake.link_form(SHEET, titles(ctx))
    assert linked.title == FORM_RESPONSES  # the name was free, so Google's tab takes it
    assert LINK_THE_FORM not in setup_register(ctx)  # once linked, setup has nothing to say about it
    submit(ctx, linked, 2)
    assert len(run_intake(ctx).registered) == 2


def test_intake_reads_the_tab_the_form_was_linked_to_not_an_empty_form_responses_1(
    fake: FakeSheets, tmp_path: Path
) -> None:
    ctx = context(fake, tmp_path)
    setup_register(ctx)
    # A register set up by an earlier version: its own empty 'Form responses 1', with the form's header.
    old = Sheet(70, FORM_RESPONSES, frozen_rows=1)
    old.cells = [["Timestamp", *titles(ctx)]]
    fake.spreadsheets[SHEET].sheets.append(old)
    linked = fake.link_form(SHEET, titles(ctx))
    assert linked.title == "Form responses 2"  # Google does not reuse the name
    submit(ctx, linked, 3)
    before = len(fake.sheet_requests)
    report = run_intake(ctx)
    assert len(report.registered) == 3
    assert len(fake.spreadsheets[SHEET].sheet(REFERRALS).cells) == 4
    # finding the tab costs nothing: the session's one read of every tab holds each header
    made = fake.sheet_requests[before:]
    assert [r.split(" ")[0] for r in made] == ["GET", "POST", "POST", "POST"]  # one read, then writes
    assert not any("values:batchGet" in r for r in made)
    assert run_intake(ctx).already_ingested == 3


def test_web_form_submissions_go_into_the_linked_tab(fake: FakeSheets, tmp_path: Path) -> None:
    ctx = context(fake, tmp_path)
    setup_register(ctx)
    fake.spreadsheets[SHEET].sheets.append(Sheet(90, FORM_RESPONSES))
    fake.spreadsheets[SHEET].sheet(FORM_RESPONSES).cells = [["Timestamp", "Something else"]]
    linked = fake.link_form(SHEET, titles(ctx))
    journal = MemoryJournal()
    journal.add_submission(
        submission_for(ctx, "S1", datetime(2026, 3, 12, 9, 0, tzinfo=UTC), valid_answers())
    )
    assert copy_submissions(ctx, journal) == 1
    assert len(linked.cells) == 2 and fake.spreadsheets[SHEET].sheet(FORM_RESPONSES).cells[1:] == []


def test_no_linked_tab_is_a_clear_error_naming_what_to_do(fake: FakeSheets, tmp_path: Path) -> None:
    ctx = context(fake, tmp_path)
    setup_register(ctx)
    with pytest.raises(WorkbookError, match=r"No tab has the form's header.*Link the form"):
        run_intake(ctx)


def test_doctor_names_the_tab_it_reads(fake: FakeSheets, tmp_path: Path) -> None:
    ctx = context(fake, tmp_path)
    setup_register(ctx)
    (missing,) = responses_check(_attempt, ctx.workbook)
    assert not missing.ok and "Link to Sheets" in missing.problems[0].fix
    fake.spreadsheets[SHEET].sheets.append(Sheet(80, "Form responses 1"))
    fake.spreadsheets[SHEET].sheet("Form responses 1").cells = [["Timestamp", "Old question"]]
    fake.link_form(SHEET, titles(ctx))
    (found,) = responses_check(_attempt, ctx.workbook)
    assert found.ok and "'Form responses 2'" in found.detail


def test_doctor_warns_when_the_spreadsheets_locale_or_time_zone_disagree_with_settings(
    fake: FakeSheets, tmp_path: Path
) -> None:
    ctx = context(fake, tmp_path)
    setup_register(ctx)
    (agreeing,) = spreadsheet_settings_check(_attempt, ctx.workbook, "en-GB", "Europe/London")
    assert agreeing.ok, agreeing.detail
    book = fake.spreadsheets[SHEET]
    book.locale, book.time_zone = "en_US", "America/New_York"
    (check,) = spreadsheet_settings_check(_attempt, ctx.workbook, "en-GB", "Europe/London")
    assert not check.ok
    (problem,) = check.problems
    assert "locale is en_US" in problem.detail and "en-GB" in problem.detail
    assert "time zone is America/New_York" in problem.detail and "File, Settings" in problem.fix


def test_the_local_backend_and_an_unlinked_google_register_keep_form_responses_1(
    fake: FakeSheets, tmp_path: Path
) -> None:
    ctx = context(fake, tmp_path, linked=False)  # [forms] source = "api": responses pulled into it
    assert LINK_THE_FORM not in setup_register(ctx)
    assert FORM_RESPONSES in tab_names(fake)
    assert responses_check(_attempt, ctx.workbook) == []
