"""The jobs on a Google spreadsheet (fake Sheets v4 server over HTTP): constant requests, safe beside
coordinators who sort and insert rows mid-run, bounded retries, and no formula ever written."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
import requests

from hsb_sheets.adapters.calendar.memory import MemoryCalendar
from hsb_sheets.adapters.lease.base import LeaseBusy
from hsb_sheets.adapters.lease.workbook import WorkbookLease
from hsb_sheets.adapters.mail.memory import MemoryMailer
from hsb_sheets.adapters.workbook.google_claim import KEEP
from hsb_sheets.adapters.workbook.google_sheets import SheetsHTTPClient, SheetsWorkbook
from hsb_sheets.bootstrap import build_context
from hsb_sheets.config import Settings
from hsb_sheets.domain.tabs import FORM_RESPONSES, JOB_NAMES, JOB_STATUS, LEASE, OUTBOX, OVERVIEW, REFERRALS
from hsb_sheets.errors import WorkbookError
from hsb_sheets.resources import shipped
from hsb_sheets.services.context import Context
from hsb_sheets.services.intake import run_intake
from hsb_sheets.services.meetings import run_meetings
from hsb_sheets.services.reminders import run_reminders
from hsb_sheets.services.rule_source import read_rule_csv
from hsb_sheets.services.runner import run_jobs
from hsb_sheets.services.setup import setup_register
from tests.conftest import FixedClock, valid_answers
from tests.fakes.google_sheets import FakeSheets

SHEET = "register-under-test"


class Sleeps:
    def __init__(self) -> None:
        self.delays: list[float] = []

    def __call__(self, seconds: float) -> None:
        self.delays.append(seconds)


@pytest.fixture
def fake() -> Iterator[FakeSheets]:
    server = FakeSheets()
    server.url = server.start()  # type: ignore[attr-defined]
    server.create(SHEET)
    yield server
    server.stop()


@pytest.fixture
def sleeps() -> Sleeps:
    return Sleeps()


@pytest.fixture
def ctx(fake: FakeSheets, sleeps: Sleeps, tmp_path: Path) -> Context:
    http = SheetsHTTPClient(requests.Session(), endpoint=fake.url, retries=3, sleep=sleeps)  # type: ignore[attr-defined]
    clock = FixedClock(datetime(2026, 3, 12, 10, 0, tzinfo=UTC))
    context = build_context(
        Settings(base_dir=tmp_path),
        workbook=SheetsWorkbook(http, SHEET),
        mailer=MemoryMailer(),
        calendar=MemoryCalendar(),
        clock=clock,
    )
    setup_register(context, directory_seed=read_rule_csv(shipped("config/directory.example.csv")))
    return context


def responses(ctx: Context, fake: FakeSheets, count: int, start: int = 0, light: str = "") -> None:
    """Form submissions arriving in the spreadsheet, as Google Forms would add them."""
    sheet = fake.spreadsheets[SHEET].sheet(FORM_RESPONSES)
    for n in range(start, start + count):
        answers = valid_answers(
            referrer_email=f"r{n}@example.org",
            child_first_name=f"Child{n}",
            traffic_light=light or ("Red", "Amber", "Green")[n % 3],
        )
        row = [
            f"10/03/2026 {8 + n // 3600:02d}:{n // 60 % 60:02d}:{n % 60:02d}",
            *(answers[f.id] for f in ctx.form.fields),
        ]
        sheet.cells.append(row)
        sheet.rows = max(sheet.rows, len(sheet.cells) + 10)


def requests_for(fake: FakeSheets, job: object) -> int:
    before = len(fake.sheet_requests)
    assert callable(job)
    job()
    return len(fake.sheet_requests) - before


def test_each_job_costs_the_same_few_requests_at_any_size(ctx: Context, fake: FakeSheets) -> None:
    counts: list[tuple[int, int, int]] = []
    for size in (5, 300):
        responses(ctx, fake, size, start=len(counts) * 1000, light="Green")
        run_intake(ctx)  # bring the register to this size, then give each size the same new work
        run_meetings(ctx)
        run_reminders(ctx)
        responses(ctx, fake, 3, start=len(counts) * 1000 + 500)
        counts.append(
            (
                requests_for(fake, lambda: run_intake(ctx)),
                requests_for(fake, lambda: run_meetings(ctx)),
                requests_for(fake, lambda: run_reminders(ctx)),
            )
        )
    assert counts[0] == counts[1], counts
    intake, meetings, reminders = counts[0]
    # A meetings run with invitations to send writes twice: what it is about to send, then what went.
    assert intake <= 6 and meetings <= 8 and reminders <= 6, counts


def test_a_run_of_all_jobs_costs_three_requests_idle_and_the_same_few_busy_at_any_size(
    ctx: Context, fake: FakeSheets
) -> None:
    ctx.lease = WorkbookLease(ctx.workbook, ctx.clock)  # as on Google: the lease is a row in the register
    counts: list[tuple[int, int]] = []
    for size in (5, 300):
        responses(ctx, fake, size, start=len(counts) * 1000, light="Green")
        run_jobs(ctx)
        idle = requests_for(fake, lambda: run_jobs(ctx))
        responses(ctx, fake, 3, start=len(counts) * 1000 + 500)  # a Red among them: a meeting to invite
        counts.append((idle, requests_for(fake, lambda: run_jobs(ctx))))
    assert counts[0] == counts[1], counts
    idle, busy = counts[0]
    # Idle: one read of every tab, the lease taken, every job's status with the lease's release.
    # Busy: reminders also queues and sends the escalations of the new cases' overdue next steps.
    assert idle <= 3 and busy <= 12, counts
    status = fake.spreadsheets[SHEET].sheet(JOB_STATUS).cells
    assert sorted(r[0] for r in status[1:] if r and r[0]) == sorted(JOB_NAMES)
    # The Overview came with that last write: every open case counted, under its worker.
    overview = fake.spreadsheets[SHEET].sheet(OVERVIEW).cells
    what, count = overview[0].index("What"), overview[0].index("Count")
    [open_cases] = [r for r in overview[1:] if len(r) > what and r[what] == "Open cases"]
    cases = [r for r in fake.spreadsheets[SHEET].sheet(REFERRALS).cells[1:] if any(r)]
    assert int(open_cases[count]) == len(cases)


def test_the_lease_is_one_request_to_take_refuses_a_second_run_and_stays_short(
    ctx: Context, fake: FakeSheets
) -> None:
    first, second = WorkbookLease(ctx.workbook, ctx.clock), WorkbookLease(ctx.workbook, ctx.clock)
    with first.hold(), pytest.raises(LeaseBusy, match="holds the lease until"), second.hold():
        pass
    for _ in range(KEEP + 5):  # every run adds a claim row; the oldest go
        with second.hold():
            pass
    lease = fake.spreadsheets[SHEET].sheet(LEASE)
    assert len([r for r in lease.cells[1:] if any(r)]) == KEEP
    before = len(fake.sheet_requests)
    with first.hold():  # free again: taken in one request (after the run's one read), released in one
        pass
    assert len(fake.sheet_requests) - before == 3


def test_values_go_in_raw_and_never_become_formulas(ctx: Context, fake: FakeSheets) -> None:
    sheet = fake.spreadsheets[SHEET].sheet(FORM_RESPONSES)
    answers = valid_answers(school_or_setting='=HYPERLINK("https://example.org","x")', referrer_name="+1 @x")
    sheet.cells.append(["10/03/2026 09:00:00", *(answers[f.id] for f in ctx.form.fields)])
    run_intake(ctx)
    referrals = fake.spreadsheets[SHEET].sheet(REFERRALS)
    assert all(not s.formulas for s in fake.spreadsheets[SHEET].sheets)
    header = referrals.cells[0]
    assert referrals.cells[1][header.index("School or setting")] == '=HYPERLINK("https://example.org","x")'
    writes = [r for r in fake.server.requests if r.path.endswith(("values:batchUpdate", "ByDataFilter"))]
    assert writes and all(r.body["valueInputOption"] == "RAW" for r in writes)
    cells = [  # appended rows: strings never parsed (no formulaValue); only the jobs' dates are numbers
        value
        for r in fake.server.requests
        if r.path.endswith(":batchUpdate") and "values" not in r.path
        for request in r.body["requests"]
        for row in request.get("updateCells", {}).get("rows", [])
        for value in row["values"]
    ]
    kinds = {kind for c in cells for kind in c["userEnteredValue"]}
    assert cells and kinds == {"stringValue", "numberValue"}


def test_a_coordinator_sorting_and_inserting_rows_mid_run_cannot_misplace_a_value(
    ctx: Context, fake: FakeSheets
) -> None:
    responses(ctx, fake, 4)
    run_intake(ctx)
    book = fake.spreadsheets[SHEET]
    referrals, outbox = book.sheet(REFERRALS), book.sheet(OUTBOX)
    header = referrals.cells[0]
    status, notes, case = header.index("Status"), header.index("Notes"), header.index("Case ID")
    for row in referrals.cells[1:]:  # coordinators annotate each case with its own id
        row[notes] = f"note for {row[case]}"
    responses(ctx, fake, 2, start=100)

    def coordinator_edits() -> None:
        # Between the job's read and its write: sort both tabs descending, insert rows at the top.
        referrals.cells[1:] = sorted(referrals.cells[1:], key=lambda r: r[case], reverse=True)
        referrals.cells.insert(1, [""] * len(header))
        outbox.cells[1:] = sorted(outbox.cells[1:], key=lambda r: r[0], reverse=True)
        outbox.cells.insert(1, ["coordinator's own row"])

    fake.before_write = coordinator_edits  # after the job's reads, immediately before its first write
    report = run_intake(ctx)
    assert report.registered == ["HSB-2026-0005", "HSB-2026-0006"]
    rows = [r + [""] * (len(header) - len(r)) for r in referrals.cells[1:] if any(r)]
    by_case = {r[case]: r for r in rows}
    assert sorted(by_case) == [f"HSB-2026-{n:04d}" for n in range(1, 7)]
    for case_id, row in by_case.items():
        expected_note = f"note for {case_id}" if case_id <= "HSB-2026-0004" else ""
        assert row[notes] == expected_note and row[status] == "New"
    out_header = outbox.cells[0]
    state, key = out_header.index("State"), out_header.index("Key")
    keyed = {r[key]: r for r in outbox.cells[1:] if len(r) > key and r[key].startswith("acknowledgement|")}
    assert len(keyed) == 6 and all(r[state] == "sent" for r in keyed.values())
    assert ["coordinator's own row"] in outbox.cells


def test_quota_answers_are_retried_honouring_retry_after(
    ctx: Context, fake: FakeSheets, sleeps: Sleeps
) -> None:
    responses(ctx, fake, 2)
    fake.server.retry_after = "7"
    fake.server.faults.extend([429, 429])
    report = run_intake(ctx)
    assert len(report.registered) == 2
    assert sleeps.delays == [7.0, 7.0]


def test_when_retries_run_out_the_run_stops_cleanly_and_the_next_finishes(
    ctx: Context, fake: FakeSheets, sleeps: Sleeps
) -> None:
    responses(ctx, fake, 2)
    # The job's one read (every tab), then every try of its first write fails.
    fake.before["get"] = [lambda: fake.server.faults.extend([503] * 4)]
    with pytest.raises(WorkbookError, match=r"busy \(HTTP 503\) after 4 tries.*next run will finish"):
        run_intake(ctx)
    assert len(sleeps.delays) == 3 and all(0 <= d <= 32 for d in sleeps.delays)
    referrals = fake.spreadsheets[SHEET].sheet(REFERRALS)
    assert [r for r in referrals.cells[1:] if any(r)] == []  # nothing half-written
    report = run_intake(ctx)
    assert report.registered == ["HSB-2026-0001", "HSB-2026-0002"]
    assert len([r for r in referrals.cells[1:] if any(r)]) == 2


def test_appends_past_the_end_of_the_grid_grow_it(ctx: Context, fake: FakeSheets) -> None:
    referrals = fake.spreadsheets[SHEET].sheet(REFERRALS)
    referrals.rows = 3  # a coordinator trimmed the tab to its header and two rows
    responses(ctx, fake, 4)
    report = run_intake(ctx)
    assert len(report.registered) == 4
    assert referrals.rows == 3 + 4 and len([r for r in referrals.cells[1:] if any(r)]) == 4
    grows = [r for r in fake.server.requests if r.path.endswith(":batchUpdate") and "values" not in r.path]
    assert any("insertDimension" in req for r in grows for req in r.body["requests"])
