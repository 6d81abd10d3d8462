"""How the Google register reads Google's answers: 403 rate limits are waited out like 429, other 403s
say what to fix, and the spreadsheet's own settings and tab headers are there for doctor."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest
import requests

from hsb_sheets.adapters.workbook.base import Append, WriteBatch
from hsb_sheets.adapters.workbook.google_sheets import SheetsHTTPClient, SheetsWorkbook
from hsb_sheets.adapters.workbook.responses_tab import responses_tab
from hsb_sheets.domain.tabs import TabSpec
from hsb_sheets.errors import WorkbookError
from tests.fakes.google_sheets import FakeSheets, Refusal

SHEET = "answers-under-test"
CASES = TabSpec.plain("Cases", system=("Case ID", "Route"), key="Case ID")


@pytest.fixture
def fake() -> Iterator[FakeSheets]:
    server = FakeSheets()
    server.url = server.start()  # type: ignore[attr-defined]
    server.create(SHEET)
    yield server
    server.stop()


def workbook(fake: FakeSheets, sleep: Callable[[float], None], retries: int = 3) -> SheetsWorkbook:
    http = SheetsHTTPClient(requests.Session(), endpoint=fake.url, retries=retries, sleep=sleep)  # type: ignore[attr-defined]
    return SheetsWorkbook(http, SHEET)


def add_case(book: SheetsWorkbook) -> None:
    book.write(WriteBatch(appends=[Append("Cases", {"Case ID": "HSB-2026-0001", "Route": "universal"})]))


@pytest.mark.parametrize("reason", ["rateLimitExceeded", "userRateLimitExceeded"])
def test_a_403_rate_limit_is_waited_out_like_a_429(fake: FakeSheets, reason: str) -> None:
    sleeps: list[float] = []
    book = workbook(fake, sleeps.append)
    book.ensure_tabs([CASES])
    fake.server.retry_after, fake.server.fault_reason = "4", reason
    fake.server.faults.extend([403, 403])
    add_case(book)
    assert sleeps == [4.0, 4.0]
    assert [r.status for r in fake.server.requests[-4:]] == [403, 403, 200, 200]  # the read, then the write
    assert book.read(["Cases"])["Cases"].column("Case ID") == ["HSB-2026-0001"]


def test_when_403_rate_limits_go_on_the_run_stops_saying_google_is_busy(fake: FakeSheets) -> None:
    sleeps: list[float] = []
    book = workbook(fake, sleeps.append, retries=2)
    book.ensure_tabs([CASES])
    fake.server.fault_reason = "userRateLimitExceeded"
    fake.server.faults.extend([403] * 3)
    with pytest.raises(WorkbookError, match=r"busy \(HTTP 403 userRateLimitExceeded\) after 3 tries"):
        add_case(book)
    assert len(sleeps) == 2 and all(0 <= s <= 32 for s in sleeps)


@pytest.mark.parametrize(
    ("refusal", "says"),
    [
        (
            Refusal(403, "The caller does not have permission", "PERMISSION_DENIED", "forbidden"),
            "as an Editor",
        ),
        (
            Refusal(
                403,
                "Google Sheets API has not been used in project 1 before or it is disabled.",
                "PERMISSION_DENIED",
                "SERVICE_DISABLED",
            ),
            "Sheets API is not enabled",
        ),
    ],
)
def test_other_403s_name_the_fix_at_once(fake: FakeSheets, refusal: Refusal, says: str) -> None:
    sleeps: list[float] = []
    book = workbook(fake, sleeps.append)

    def refuse() -> None:
        raise refusal

    fake.before["get"] = [refuse]
    with pytest.raises(WorkbookError, match=says):
        book.describe()
    assert sleeps == [] and len(fake.server.requests) == 1


def test_an_api_not_configured_403_says_to_enable_the_api(fake: FakeSheets) -> None:
    book = workbook(fake, lambda _: None)
    fake.server.fault_reason = "accessNotConfigured"
    fake.server.faults.append(403)
    with pytest.raises(WorkbookError, match=r"enable it \(APIs & Services"):
        book.read(["Sheet1"])


def test_the_spreadsheets_own_locale_time_zone_and_tabs_are_read_once_a_session(fake: FakeSheets) -> None:
    book = workbook(fake, lambda _: None)
    book.ensure_tabs([CASES])
    spreadsheet = fake.spreadsheets[SHEET]
    spreadsheet.locale, spreadsheet.time_zone = "de_DE", "America/New_York"
    before = len(fake.sheet_requests)
    with book.session():
        info = book.describe()
        assert book.describe() is info
    assert (info.locale, info.time_zone, info.tabs) == ("de_DE", "America/New_York", ("Sheet1", "Cases"))
    assert len(fake.sheet_requests) - before == 1


def test_tab_headers_come_in_one_request_and_pick_the_linked_responses_tab(fake: FakeSheets) -> None:
    book = workbook(fake, lambda _: None)
    spreadsheet = fake.spreadsheets[SHEET]
    book.ensure_tabs([CASES, TabSpec.plain("Form responses 1", system=("Timestamp", "Old question"))])
    fake.server.requests.clear()
    # The form was linked after 'Form responses 1' existed: Google added a tab named otherwise.
    spreadsheet.sheets.append(spreadsheet.sheets[0].__class__(77, "Form responses 2"))
    spreadsheet.sheet("Form responses 2").cells = [["Timestamp", "Child's first name", "Age"]]
    with book.session():
        book.read(["Cases"])
        headers = book.tab_headers()
    assert headers == {
        "Sheet1": [],
        "Cases": ["Case ID", "Route"],
        "Form responses 1": ["Timestamp", "Old question"],
        "Form responses 2": ["Timestamp", "Child's first name", "Age"],
    }
    # in a session the first read takes every tab (and the tab list): the headers cost nothing more
    assert [r.split("/")[-1].split(":")[-1] for r in fake.sheet_requests] == [SHEET]
    assert responses_tab(headers, ["Child's first name", "Age"]) == "Form responses 2"
