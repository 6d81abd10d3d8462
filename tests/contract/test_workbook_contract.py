"""One contract for every workbook adapter: the in-memory fake and the .xlsx register pass it alike."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import openpyxl
import pytest
import requests

from hsb_sheets.adapters.workbook.base import Append, Table, Update, Workbook, WriteBatch
from hsb_sheets.adapters.workbook.google_sheets import SheetsHTTPClient, SheetsWorkbook
from hsb_sheets.adapters.workbook.memory import MemoryWorkbook
from hsb_sheets.adapters.workbook.xlsx import XlsxWorkbook
from hsb_sheets.domain.tabs import TabSpec
from hsb_sheets.errors import WorkbookError
from tests.fakes.google_sheets import FakeSheets

CASES = TabSpec.plain("Cases", system=("Case ID", "Route"), coordinator=("Worker", "Notes"), key="Case ID")
LOG = TabSpec.plain("Log", system=("Time", "Action"))
AWKWARD = [
    '=HYPERLINK("https://example.org")',
    "+1",
    "-2",
    "@x",
    "007",
    "1e5",
    "TRUE",
    "2026-03-01",
    "line one\nline two",
    "  padded  ",
    "“quotes” and ünïcode",
]

# A coordinator's edit: a function that reorders or changes the stored rows of a tab directly.
Edit = Callable[[str, Callable[[list[list[str]]], list[list[str]]]], None]


class Harness:
    def __init__(self, workbook: Workbook, edit: Edit) -> None:
        self.workbook = workbook
        self.edit = edit


def _memory() -> Harness:
    wb = MemoryWorkbook()

    def edit(tab: str, change: Callable[[list[list[str]]], list[list[str]]]) -> None:
        wb.tables[tab].rows = change(wb.tables[tab].rows)

    return Harness(wb, edit)


def _xlsx(path: Path) -> Harness:
    wb = XlsxWorkbook(path, lock_timeout=5)

    def edit(tab: str, change: Callable[[list[list[str]]], list[list[str]]]) -> None:
        # A coordinator with the file open in a spreadsheet program: no lock, whole rows rewritten.
        book = openpyxl.load_workbook(path)
        sheet = book[tab]
        rows = [
            [("" if v is None else str(v)) for v in row]
            for row in sheet.iter_rows(min_row=2, values_only=True)
        ]
        sheet.delete_rows(2, sheet.max_row)
        for r, row in enumerate(change(rows), start=2):
            for c, value in enumerate(row, start=1):
                sheet.cell(row=r, column=c).value = value or None
        book.save(path)

    return Harness(wb, edit)


def _sheets() -> tuple[Harness, FakeSheets]:
    fake = FakeSheets()
    url = fake.start()
    fake.create("sheet-under-test")
    http = SheetsHTTPClient(requests.Session(), endpoint=url, retries=2, sleep=lambda _: None)

    def edit(tab: str, change: Callable[[list[list[str]]], list[list[str]]]) -> None:
        # A coordinator editing the live spreadsheet in the browser.
        sheet = fake.spreadsheets["sheet-under-test"].sheet(tab)
        width = len(sheet.cells[0]) if sheet.cells else 0
        body = [(row + [""] * width)[:width] for row in sheet.cells[1:]]
        sheet.cells = sheet.cells[:1] + [list(r) for r in change(body)]

    return Harness(SheetsWorkbook(http, "sheet-under-test"), edit), fake


@pytest.fixture(params=["memory", "xlsx", "sheets"])
def harness(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Harness]:
    fake = None
    if request.param == "memory":
        h = _memory()
    elif request.param == "xlsx":
        h = _xlsx(tmp_path / "register.xlsx")
    else:
        h, fake = _sheets()
    h.workbook.ensure_tabs([CASES, LOG])
    yield h
    if fake is not None:
        fake.stop()


def add_cases(workbook: Workbook, *ids: str) -> None:
    workbook.write(WriteBatch(appends=[Append("Cases", {"Case ID": i, "Route": "universal"}) for i in ids]))


def read_cases(workbook: Workbook) -> Table:
    return workbook.read(["Cases"])["Cases"]


def test_ensure_tabs_creates_headers_and_is_idempotent(harness: Harness) -> None:
    table = read_cases(harness.workbook)
    assert table.header == ["Case ID", "Route", "Worker", "Notes"]
    assert table.rows == []
    assert harness.workbook.ensure_tabs([CASES, LOG]) == []


def test_ensure_tabs_repairs_a_missing_column_and_keeps_data(harness: Harness) -> None:
    add_cases(harness.workbook, "HSB-2026-0001")
    wider = TabSpec.plain(
        "Cases", system=(*CASES.system, "Flags"), coordinator=CASES.coordinator, key="Case ID"
    )
    assert harness.workbook.ensure_tabs([wider]) == ["added column 'Flags' to 'Cases'"]
    table = read_cases(harness.workbook)
    assert table.header[-1] == "Flags"
    assert table.rows == [["HSB-2026-0001", "universal", "", "", ""]]


def test_appends_map_values_by_header_name(harness: Harness) -> None:
    harness.workbook.write(WriteBatch(appends=[Append("Cases", {"Notes": "n", "Case ID": "HSB-2026-0001"})]))
    assert list(read_cases(harness.workbook).records()) == [
        {"Case ID": "HSB-2026-0001", "Route": "", "Worker": "", "Notes": "n"}
    ]


def test_every_value_round_trips_as_text(harness: Harness) -> None:
    harness.workbook.write(
        WriteBatch(appends=[Append("Cases", {"Case ID": f"C{i}", "Notes": v}) for i, v in enumerate(AWKWARD)])
    )
    assert read_cases(harness.workbook).column("Notes") == AWKWARD


def test_updates_are_keyed_and_survive_a_coordinator_sort(harness: Harness) -> None:
    add_cases(harness.workbook, "HSB-2026-0001", "HSB-2026-0002", "HSB-2026-0003")
    harness.edit("Cases", lambda rows: [["HSB-2026-0009", "early_help", "", ""], *reversed(rows)])
    harness.workbook.write(
        WriteBatch(updates=[Update("Cases", "Case ID", "HSB-2026-0002", {"Route": "early_help"})])
    )
    routes = {r["Case ID"]: r["Route"] for r in read_cases(harness.workbook).records()}
    assert routes == {
        "HSB-2026-0009": "early_help",
        "HSB-2026-0003": "universal",
        "HSB-2026-0002": "early_help",
        "HSB-2026-0001": "universal",
    }


def test_updates_leave_other_columns_alone(harness: Harness) -> None:
    add_cases(harness.workbook, "HSB-2026-0001")
    harness.edit("Cases", lambda rows: [[rows[0][0], rows[0][1], "worker@example.gov.uk", "call back"]])
    harness.workbook.write(
        WriteBatch(updates=[Update("Cases", "Case ID", "HSB-2026-0001", {"Route": "early_help"})])
    )
    assert read_cases(harness.workbook).rows == [
        ["HSB-2026-0001", "early_help", "worker@example.gov.uk", "call back"]
    ]


def test_a_bad_batch_writes_nothing(harness: Harness) -> None:
    add_cases(harness.workbook, "HSB-2026-0001")
    before = read_cases(harness.workbook).rows
    for bad in (
        WriteBatch(
            appends=[Append("Cases", {"Case ID": "X"})],
            updates=[Update("Cases", "Case ID", "HSB-2026-0404", {"Route": "x"})],
        ),
        WriteBatch(appends=[Append("Cases", {"Case ID": "X"}), Append("Cases", {"No such column": "x"})]),
        WriteBatch(appends=[Append("Cases", {"Case ID": "X"}), Append("Missing tab", {"Case ID": "x"})]),
    ):
        with pytest.raises(WorkbookError):
            harness.workbook.write(bad)
        assert read_cases(harness.workbook).rows == before


def test_a_key_on_two_rows_is_refused(harness: Harness) -> None:
    add_cases(harness.workbook, "HSB-2026-0001", "HSB-2026-0001")
    with pytest.raises(WorkbookError, match="on two rows"):
        harness.workbook.write(
            WriteBatch(updates=[Update("Cases", "Case ID", "HSB-2026-0001", {"Route": "x"})])
        )


def test_reading_a_missing_tab_is_a_clear_error(harness: Harness) -> None:
    with pytest.raises(WorkbookError, match="no 'Nope' tab"):
        harness.workbook.read(["Nope"])


def test_appends_go_below_rows_a_coordinator_added(harness: Harness) -> None:
    add_cases(harness.workbook, "HSB-2026-0001")
    harness.edit("Cases", lambda rows: [*rows, ["HSB-2026-0002", "manual", "", ""]])
    add_cases(harness.workbook, "HSB-2026-0003")
    assert read_cases(harness.workbook).column("Case ID") == [
        "HSB-2026-0001",
        "HSB-2026-0002",
        "HSB-2026-0003",
    ]


def test_a_session_can_read_and_write_repeatedly(harness: Harness) -> None:
    with harness.workbook.session():
        add_cases(harness.workbook, "HSB-2026-0001")
        assert read_cases(harness.workbook).column("Case ID") == ["HSB-2026-0001"]
        add_cases(harness.workbook, "HSB-2026-0002")
    assert read_cases(harness.workbook).column("Case ID") == ["HSB-2026-0001", "HSB-2026-0002"]


def test_updates_by_a_key_of_several_columns(harness: Harness) -> None:
    harness.workbook.write(
        WriteBatch(
            appends=[
                Append("Cases", {"Case ID": "HSB-2026-0001", "Route": "a", "Worker": "w1"}),
                Append("Cases", {"Case ID": "HSB-2026-0001", "Route": "b", "Worker": "w2"}),
            ]
        )
    )
    harness.workbook.write(
        WriteBatch(
            updates=[Update("Cases", ("Case ID", "Worker"), ("HSB-2026-0001", "w2"), {"Notes": "second"})]
        )
    )
    assert read_cases(harness.workbook).column("Notes") == ["", "second"]
    with pytest.raises(WorkbookError, match="no row"):
        harness.workbook.write(
            WriteBatch(
                updates=[Update("Cases", ("Case ID", "Worker"), ("HSB-2026-0001", "w3"), {"Notes": "x"})]
            )
        )


def test_appends_reuse_blank_rows_at_the_bottom_but_not_between_rows(harness: Harness) -> None:
    add_cases(harness.workbook, "HSB-2026-0001", "HSB-2026-0002", "HSB-2026-0003", "HSB-2026-0004")
    # A coordinator clears the second case's row and the last two rows (values deleted, rows kept).
    harness.edit("Cases", lambda rows: [rows[0], [""] * 4, rows[2], [""] * 4, [""] * 4])
    add_cases(harness.workbook, "HSB-2026-0005")
    assert read_cases(harness.workbook).column("Case ID")[:4] == [
        "HSB-2026-0001",
        "",
        "HSB-2026-0003",
        "HSB-2026-0005",
    ]
    add_cases(harness.workbook, "HSB-2026-0006", "HSB-2026-0007")
    assert read_cases(harness.workbook).column("Case ID") == [
        "HSB-2026-0001",
        "",
        "HSB-2026-0003",
        "HSB-2026-0005",
        "HSB-2026-0006",
        "HSB-2026-0007",
    ]


def test_read_values_gives_a_columns_text_cells_as_read_row_for_row(harness: Harness) -> None:
    harness.workbook.write(
        WriteBatch(appends=[Append("Cases", {"Case ID": f"C{i}", "Notes": v}) for i, v in enumerate(AWKWARD)])
    )
    with harness.workbook.session():
        table = read_cases(harness.workbook)
        assert harness.workbook.read_values("Cases", "Notes") == table.column("Notes") == AWKWARD
        assert harness.workbook.read_values("Cases", "Worker") == [""] * len(AWKWARD)
        with pytest.raises(WorkbookError, match="no 'Missing' column"):
            harness.workbook.read_values("Cases", "Missing")
