"""The jobs' dates and times on Google are real date cells, read back as the text the jobs wrote, and
the Overview tab comes first (DESIGN section 11), against the fake Sheets v4 server."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

import requests

from hsb_sheets.adapters.workbook.google_sheets import SheetsHTTPClient
from hsb_sheets.domain.tabs import (
    AUDIT_LOG,
    JOB_STATUS,
    MEETINGS,
    NEXT_STEPS,
    OUTBOX,
    OVERVIEW,
    REFERRALS,
    MeetingsTab,
)
from hsb_sheets.services.context import Context
from hsb_sheets.services.runner import run_jobs
from hsb_sheets.services.setup import setup_register
from tests.fakes.google_sheets import FakeSheets, Value
from tests.integration.test_google_sheets_register import SHEET, ctx, fake, responses, sleeps

__all__ = ["ctx", "fake", "sleeps"]  # the fixtures, shared with the register's own tests


def _column(fake: FakeSheets, tab: str, column: str) -> list[str]:
    sheet = fake.spreadsheets[SHEET].sheet(tab)
    at = sheet.cells[0].index(column)
    return [row[at] for row in sheet.cells[1:] if any(row) and at < len(row) and row[at]]


def test_the_jobs_dates_are_date_cells_shown_in_one_format_and_read_back_as_written(
    ctx: Context, fake: FakeSheets
) -> None:
    responses(ctx, fake, 3, light="Red")
    run_jobs(ctx)
    received = _column(fake, REFERRALS, "Received")
    assert received and all(isinstance(v, Value) and v.pattern == "dd/mm/yyyy hh:mm" for v in received)
    assert received[0] == "10/03/2026 08:00"  # shown through the format, from its serial number
    due = _column(fake, NEXT_STEPS, "Due")
    assert due and all(isinstance(v, Value) and v.pattern == "dd/mm/yyyy" for v in due)
    for tab, column in ((AUDIT_LOG, "Time"), (OUTBOX, "Created at"), (MEETINGS, MeetingsTab.REQUESTED)):
        assert all(isinstance(v, Value) for v in _column(fake, tab, column)), (tab, column)
    # the form's answers stay text, whatever they look like
    assert not any(isinstance(v, Value) for v in _column(fake, REFERRALS, "Child date of birth"))
    tables = ctx.workbook.read([REFERRALS, MEETINGS, NEXT_STEPS, AUDIT_LOG])
    assert next(iter(tables[REFERRALS].records()))["Received"] == "2026-03-10 08:00:00"  # to the second
    requested = next(iter(tables[MEETINGS].records()))[MeetingsTab.REQUESTED]
    assert requested == "2026-03-12 10:00"  # a meeting's times to the minute, as the job wrote them
    assert all(len(r["Due"]) == 10 and r["Due"][4] == "-" for r in tables[NEXT_STEPS].records())
    times = [r["Time"] for r in tables[AUDIT_LOG].records()]
    assert times and all(datetime.fromisoformat(t).isoformat(sep=" ") == t for t in times)  # as written


def _tabs_written(fake: FakeSheets, since: int) -> set[str]:
    """The tabs whose rows a values write since ``since`` changed (each write probes their header rows)."""
    return {
        d["dataFilter"]["a1Range"].rsplit("!", 1)[0].strip("'")
        for r in fake.server.requests[since:]
        if r.path.endswith(":batchUpdateByDataFilter")
        for d in r.body["data"]
        if "a1Range" in d["dataFilter"]
    }


def _appended(fake: FakeSheets, since: int) -> list[dict[str, Any]]:
    return [
        request
        for r in fake.server.requests[since:]
        if r.method == "POST" and r.path.endswith(":batchUpdate")
        for request in r.body["requests"]
        if "updateCells" in request or "insertDimension" in request
    ]


def test_a_rerun_sees_no_difference_in_the_dates_and_writes_none_again(
    ctx: Context, fake: FakeSheets
) -> None:
    responses(ctx, fake, 3, light="Red")
    run_jobs(ctx)
    dated = (REFERRALS, MEETINGS, OUTBOX, NEXT_STEPS)
    assert set(dated) <= _tabs_written(fake, 0) | {REFERRALS, OUTBOX}  # appended, not written by anchor
    before = len(fake.server.requests)
    shown = {tab: json.dumps(fake.spreadsheets[SHEET].sheet(tab).cells) for tab in dated}
    run_jobs(ctx)
    # each run records itself (Job status, Overview); no row the jobs dated is written again
    assert _tabs_written(fake, before) <= {JOB_STATUS, OVERVIEW}
    assert _appended(fake, before) == []
    assert shown == {t: json.dumps(fake.spreadsheets[SHEET].sheet(t).cells) for t in shown}


def test_the_fake_shows_a_number_in_a_date_formatted_column_through_its_pattern(fake: FakeSheets) -> None:
    http = SheetsHTTPClient(requests.Session(), endpoint=fake.url)  # type: ignore[attr-defined]
    book = fake.spreadsheets[SHEET]
    sheet_id = book.sheets[0].sheet_id
    area = {"sheetId": sheet_id, "startRowIndex": 1, "startColumnIndex": 0, "endColumnIndex": 1}
    pattern = {"type": "DATE_TIME", "pattern": "dd/mm/yyyy hh:mm"}
    fmt = {
        "range": area,
        "cell": {"userEnteredFormat": {"numberFormat": pattern}},
        "fields": "userEnteredFormat.numberFormat",
    }
    http.batch_update(SHEET, {"requests": [{"repeatCell": fmt}]})
    body = {"values": [["When", "Text"], [46317.416666666664, "2026-10-22"]]}
    http.values_update(SHEET, "Sheet1!A1:B2", params={"valueInputOption": "RAW"}, body=body)
    shown = http.values_get(SHEET, "Sheet1!A1:B2")["values"]
    assert shown == [["When", "Text"], ["22/10/2026 10:00", "2026-10-22"]]  # RAW text is never a date
    cells = {
        "rows": [{"values": [{"userEnteredValue": {"numberValue": 46318.5}}]}],
        "fields": "userEnteredValue",
    }
    start = {"sheetId": sheet_id, "rowIndex": 2, "columnIndex": 0}
    http.batch_update(SHEET, {"requests": [{"updateCells": {**cells, "start": start}}]})
    assert http.values_get(SHEET, "Sheet1!A3")["values"] == [["23/10/2026 12:00"]]


def test_setup_puts_the_overview_tab_first_on_a_new_and_on_an_existing_register(
    ctx: Context, fake: FakeSheets
) -> None:
    book = fake.spreadsheets[SHEET]
    assert book.sheets[0].title == OVERVIEW
    overview = book.sheets.pop(0)
    book.sheets.append(overview)  # a register set up before the Overview came first
    book.metadata = []  # and laid out by an earlier version
    setup_register(ctx)
    assert book.sheets[0].title == OVERVIEW
    sent = len(fake.server.requests)
    setup_register(ctx)  # already first: nothing more to do
    assert not any(r.method == "POST" for r in fake.server.requests[sent:])
