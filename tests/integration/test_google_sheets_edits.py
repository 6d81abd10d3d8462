"""No value lands on the wrong case on Google, whatever a coordinator does immediately before each write.

Each test runs the same register twice on the fake Sheets server: once untouched, once with a
coordinator's edit (a sort, a row inserted at the top, a row deleted, a column inserted) applied
immediately before every write request the job sends. The two registers must then hold the same
rows, cell for cell under the same headers, whatever their order: every appended case, every
rescheduled meeting and every Outbox 'sent' mark is on its own row, no coordinator's value is lost,
and nothing stray sits in an inserted column. Intake appends cases and marks Outbox rows sent;
meetings reschedules (updates) meetings a coordinator moved.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
import requests

from hsb_sheets.adapters.calendar.memory import MemoryCalendar
from hsb_sheets.adapters.mail.memory import MemoryMailer
from hsb_sheets.adapters.workbook.base import Update, WriteBatch
from hsb_sheets.adapters.workbook.google_sheets import SheetsHTTPClient, SheetsWorkbook
from hsb_sheets.bootstrap import build_context
from hsb_sheets.config import Settings
from hsb_sheets.domain.tabs import AUDIT_LOG, MEETINGS, OUTBOX, REFERRALS, SETTINGS, SettingsTab
from hsb_sheets.resources import shipped
from hsb_sheets.services.context import Context
from hsb_sheets.services.intake import run_intake
from hsb_sheets.services.meetings import run_meetings
from hsb_sheets.services.policy import REGISTER_ID
from hsb_sheets.services.rule_source import read_rule_csv
from hsb_sheets.services.setup import setup_register
from tests.conftest import FixedClock
from tests.fakes.google_sheets import FakeSheets, Sheet
from tests.integration.test_google_sheets_register import responses

SHEET = "register-under-test"
EDITED = (REFERRALS, OUTBOX, MEETINGS, AUDIT_LOG)
SCRATCH = "coordinator's scratch row"
VARIES = {"Duration (s)"}  # wall time: differs between any two runs
Snapshot = dict[str, list[tuple[tuple[str, str], ...]]]


def _register(fake: FakeSheets, tmp: Path) -> Context:
    fake.create(SHEET)
    http = SheetsHTTPClient(requests.Session(), endpoint=fake.url, retries=1, sleep=lambda _: None)  # type: ignore[attr-defined]
    ctx = build_context(
        Settings(base_dir=tmp),
        workbook=SheetsWorkbook(http, SHEET),
        mailer=MemoryMailer(),
        calendar=MemoryCalendar(),
        clock=FixedClock(datetime(2026, 3, 12, 10, 0, tzinfo=UTC)),
    )
    setup_register(ctx, directory_seed=read_rule_csv(shipped("config/directory.example.csv")))
    # Both registers get the same identity, so their event ids (which include it) can be compared.
    ctx.workbook.write(
        WriteBatch(updates=[Update(SETTINGS, SettingsTab.SETTING, REGISTER_ID, {SettingsTab.VALUE: "trial"})])
    )
    return ctx


@pytest.fixture
def fakes() -> Iterator[tuple[FakeSheets, FakeSheets]]:
    pair = (FakeSheets(), FakeSheets())
    for fake in pair:
        fake.url = fake.start()  # type: ignore[attr-defined]
    yield pair
    for fake in pair:
        fake.stop()


def _tab(fake: FakeSheets, name: str) -> Sheet:
    return fake.spreadsheets[SHEET].sheet(name)


def _prepare(fake: FakeSheets, ctx: Context) -> None:
    """Six cases with invited meetings, coordinators' notes and moved meetings, three new responses."""
    responses(ctx, fake, 6, light="Red")
    run_intake(ctx)
    run_meetings(ctx)
    referrals, meetings = _tab(fake, REFERRALS), _tab(fake, MEETINGS)
    header = referrals.cells[0]
    for row in referrals.cells[1:]:
        if any(row):
            row += [""] * (len(header) - len(row))
            row[header.index("Notes")] = f"note for {row[header.index('Case ID')]}"
    columns = meetings.cells[0]
    for row in meetings.cells[1:]:
        if any(row):
            row += [""] * (len(columns) - len(row))
            number = int(row[columns.index("Case ID")][-2:])
            row[columns.index("Agreed start")] = f"2026-04-{10 + number:02d} {8 + number:02d}:30"
    for name in EDITED:  # rows a coordinator keeps at the top, marked to the right of the register
        header = _tab(fake, name).cells[0]
        for n in range(12):
            row = [""] * (len(header) + 2) + [SCRATCH]
            if name == MEETINGS:  # a blank row there would stop the meetings job, so: a held meeting
                row[header.index("Meeting")], row[header.index("Status")] = f"scratch-{n}", "Held"
            fake.insert_row(SHEET, name, 1, row)
    responses(ctx, fake, 3, start=50, light="Red")


def _edits(fake: FakeSheets, kind: str) -> Callable[[], None]:
    """A coordinator's edit of every edited tab, for the fake to apply before each write request."""
    calls = [0]

    def edit() -> None:
        calls[0] += 1
        for name in EDITED:
            sheet = _tab(fake, name)
            if kind == "sort":  # by the first column, alternately down and up, so rows keep moving
                fake.sort(SHEET, name, sheet.cells[0][0], reverse=calls[0] % 2 == 1)
            elif kind == "insert row":
                fake.insert_row(SHEET, name, 1)
            elif kind == "delete row":
                scratch = [i for i, r in enumerate(sheet.cells) if SCRATCH in r]
                if scratch:
                    fake.delete_row(SHEET, name, scratch[0])
            elif kind == "insert column" and calls[0] <= 2:  # see the module docstring of google_rows
                fake.insert_column(SHEET, name, 1)

    return edit


def snapshot(fake: FakeSheets) -> Snapshot:
    """Every tab's rows as (header, value) pairs, in no particular order; blank and scratch rows left out.

    A column without a header name (one a coordinator inserted) must hold nothing.
    """
    shot: Snapshot = {}
    for sheet in fake.spreadsheets[SHEET].sheets:
        header = sheet.cells[0] if sheet.cells else []
        rows = []
        for row in sheet.cells[1:]:
            if SCRATCH in row:
                continue
            stray = [v for i, v in enumerate(row[: len(header)]) if v and not header[i]]
            assert stray == [], f"{sheet.title}: {stray} written into an unnamed column"
            cells = tuple(
                (header[i], v)
                for i, v in enumerate(row[: len(header)])
                if v and header[i] and header[i] not in VARIES
            )
            if cells:
                rows.append(cells)
        shot[sheet.title] = sorted(rows)
    return shot


JOBS: dict[str, Callable[[Context], object]] = {"intake": run_intake, "meetings": run_meetings}


@pytest.mark.parametrize("kind", ["sort", "insert row", "delete row", "insert column"])
@pytest.mark.parametrize("job", list(JOBS))
def test_an_edit_before_every_write_changes_nothing_about_where_values_land(
    fakes: tuple[FakeSheets, FakeSheets], tmp_path: Path, job: str, kind: str
) -> None:
    quiet, edited = fakes
    contexts = [_register(fake, tmp_path / str(n)) for n, fake in enumerate(fakes)]
    for fake, ctx in zip(fakes, contexts, strict=True):
        _prepare(fake, ctx)
    if job == "meetings":  # the new cases' meetings first, so that this run's writes are updates
        for ctx in contexts:
            run_intake(ctx)
    before = len(edited.server.requests)
    edited.before_each_write = _edits(edited, kind)
    reports = [JOBS[job](ctx) for ctx in contexts]
    edited.before_each_write = None
    assert reports[0] == reports[1]
    assert snapshot(edited) == snapshot(quiet)
    writes = [r for r in edited.server.requests[before:] if r.method == "POST"]
    assert writes, "the job wrote nothing, so the edits proved nothing"
    if job == "intake":
        outbox = _tab(edited, OUTBOX)
        header = outbox.cells[0]
        key = header.index("Key")
        acknowledged = [r for r in outbox.cells[1:] if len(r) > key and r[key].startswith("acknowledgement|")]
        assert len(acknowledged) == 9 and all(r[header.index("State")] == "sent" for r in acknowledged)
    else:
        meetings = _tab(edited, MEETINGS)
        header = meetings.cells[0]
        moved = [r for r in meetings.cells[1:] if len(r) > 3 and r[header.index("Status")] == "Rescheduled"]
        assert len(moved) == 6
        for row in moved:  # each meeting moved to the time a coordinator agreed for it (a date cell)
            agreed = datetime.fromisoformat(row[header.index("Agreed start")])
            assert row[header.index("Event start")] == agreed.strftime("%d/%m/%Y %H:%M")


def test_a_column_inserted_before_every_request_stops_the_write_clearly_and_on_its_own_rows(
    fakes: tuple[FakeSheets, FakeSheets],
) -> None:
    from hsb_sheets.adapters.workbook.base import Append, Update, WriteBatch
    from hsb_sheets.domain.tabs import TabSpec
    from hsb_sheets.errors import WorkbookError

    fake = fakes[0]
    fake.create(SHEET)
    http = SheetsHTTPClient(requests.Session(), endpoint=fake.url, retries=1, sleep=lambda _: None)  # type: ignore[attr-defined]
    book = SheetsWorkbook(http, SHEET)
    book.ensure_tabs(
        [TabSpec.plain("Cases", system=("Case ID", "Route"), coordinator=("Notes",), key="Case ID")]
    )
    ids = [f"HSB-2026-000{n}" for n in range(1, 4)]
    book.write(WriteBatch(appends=[Append("Cases", {"Case ID": i, "Notes": f"note {i}"}) for i in ids]))
    fake.before_each_write = lambda: fake.insert_column(SHEET, "Cases", 1)
    with pytest.raises(
        WorkbookError, match=r"kept moving.*\(4 tries\).*wrong column of the rows they were meant"
    ):
        book.write(WriteBatch(updates=[Update("Cases", "Case ID", ids[1], {"Route": "early_help"})]))
    fake.before_each_write = None
    rows = [r for r in _tab(fake, "Cases").cells[1:] if any(r)]
    assert [r[0] for r in rows] == ids  # every key where it was
    assert [i for i, r in enumerate(rows) if "early_help" in r] == [1]  # the value only on its own row
    assert all(f"note {i}" in r for i, r in zip(ids, rows, strict=True))  # coordinators' notes kept
