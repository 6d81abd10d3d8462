"""On Google, a session's snapshot stays in step with its own writes: stored values and rows by key.

The read keeps only the cells holding an effectiveValue (numbers, date-times); a session's writes
(rows inserted for appends, rows updated, rows repaired after a coordinator's edit) keep them in step.
Over the fake Sheets server, ``read_values`` within the session must give exactly what a fresh read
of the spreadsheet gives afterwards, row for row; and a keyed update finds its row as the session's
earlier writes (appends, a changed key) left the tab.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta

import pytest
import requests

from hsb_sheets.adapters.workbook.base import Append, Update, WriteBatch
from hsb_sheets.adapters.workbook.google_sheets import SheetsHTTPClient, SheetsWorkbook
from hsb_sheets.domain.tabs import TabSpec
from hsb_sheets.errors import WorkbookError
from tests.fakes.google_sheets import FakeSheets, Value, serial_of

SHEET = "stored-values-under-test"
CASES = TabSpec.plain("Cases", system=("Case ID", "Stamp"), coordinator=("Notes", "Count"), key="Case ID")
FIRST = datetime(2026, 3, 10, 9, 5, 7, 123000)


@pytest.fixture
def fake() -> Iterator[FakeSheets]:
    server = FakeSheets()
    server.url = server.start()  # type: ignore[attr-defined]
    server.create(SHEET)
    yield server
    server.stop()


def workbook(fake: FakeSheets) -> SheetsWorkbook:
    http = SheetsHTTPClient(requests.Session(), endpoint=fake.url, retries=1, sleep=lambda _: None)  # type: ignore[attr-defined]
    return SheetsWorkbook(http, SHEET, dates={})


def filled(fake: FakeSheets) -> SheetsWorkbook:
    """Cases C0..C3: C0 and C2 stamped with date-times, C1 with text; C3 counts 7 (a number)."""
    book = workbook(fake)
    book.ensure_tabs([CASES])
    sheet = fake.spreadsheets[SHEET].sheet("Cases")
    stamps: list[str] = [Value.date_time(FIRST), "not yet", Value.date_time(FIRST + timedelta(seconds=1)), ""]
    sheet.cells[1:] = [[f"C{i}", stamp, f"note {i}", ""] for i, stamp in enumerate(stamps)]
    sheet.cells[4][3] = Value(7)
    return book


def fresh(fake: FakeSheets, column: str) -> list[str]:
    """A column as stored, read by a workbook that never wrote (a new session)."""
    book = workbook(fake)
    with book.session():
        return book.read_values("Cases", column)


def test_stored_values_follow_inserted_updated_and_appended_rows(fake: FakeSheets) -> None:
    book = filled(fake)
    serial = str(serial_of(FIRST))
    with book.session():
        assert book.read_values("Cases", "Stamp")[:2] == [serial, "not yet"]
        book.write(
            WriteBatch(
                appends=[
                    Append("Cases", {"Case ID": "C4", "Stamp": "typed"}),
                    Append("Cases", {"Case ID": "C5"}),
                ],
                updates=[
                    Update("Cases", "Case ID", "C0", {"Notes": "seen"}),  # its stamp stays a date-time
                    Update("Cases", "Case ID", "C2", {"Stamp": "overwritten"}),  # RAW text: stored as written
                    Update("Cases", "Case ID", "C3", {"Count": "8"}),
                ],
            )
        )
        stamps, counts = book.read_values("Cases", "Stamp"), book.read_values("Cases", "Count")
        assert book.read(["Cases"])["Cases"].column("Case ID") == [f"C{i}" for i in range(6)]
    assert stamps == [serial, "not yet", "overwritten", "", "typed", ""]
    assert stamps == fresh(fake, "Stamp")
    assert counts == ["", "", "", "8", "", ""] == fresh(fake, "Count")


def test_stored_values_of_a_row_repaired_after_a_column_was_inserted_are_as_read_afresh(
    fake: FakeSheets,
) -> None:
    book = filled(fake)
    with book.session():
        book.read(["Cases"])
        fake.before_write = lambda: fake.insert_column(SHEET, "Cases", 1)
        book.write(
            WriteBatch(
                appends=[Append("Cases", {"Case ID": "C4", "Notes": "new"})],
                updates=[Update("Cases", "Case ID", "C1", {"Notes": "moved"})],
            )
        )
        stamps, notes = book.read_values("Cases", "Stamp"), book.read_values("Cases", "Notes")
    assert notes == ["note 0", "moved", "note 2", "note 3", "new"] == fresh(fake, "Notes")
    assert stamps == fresh(fake, "Stamp") and stamps[0] == str(serial_of(FIRST))


def test_rows_are_found_by_key_as_the_sessions_own_writes_left_them(fake: FakeSheets) -> None:
    book = filled(fake)
    with book.session():
        book.write(WriteBatch(appends=[Append("Cases", {"Case ID": "C4"})]))
        book.write(WriteBatch(updates=[Update("Cases", "Case ID", "C4", {"Notes": "appended"})]))
        book.write(WriteBatch(updates=[Update("Cases", "Case ID", "C1", {"Case ID": "C9"})]))
        book.write(WriteBatch(updates=[Update("Cases", "Case ID", "C9", {"Notes": "renamed"})]))
        with pytest.raises(WorkbookError, match="no row with Case ID 'C1'"):
            book.write(WriteBatch(updates=[Update("Cases", "Case ID", "C1", {"Notes": "gone"})]))
        book.write(WriteBatch(updates=[Update("Cases", "Case ID", "C0", {"Case ID": "C9"})]))
        with pytest.raises(WorkbookError, match="'C9' on two rows"):
            book.write(WriteBatch(updates=[Update("Cases", "Case ID", "C9", {"Notes": "which?"})]))
    cases = workbook(fake).read(["Cases"])["Cases"]
    assert cases.column("Case ID") == ["C9", "C9", "C2", "C3", "C4"]
    assert cases.column("Notes") == ["note 0", "renamed", "note 2", "note 3", "appended"]
