"""The .xlsx register on disk: text not formulas, atomic replacement, one run at a time."""

from __future__ import annotations

import zipfile
from pathlib import Path

import openpyxl
import pytest

from hsb_sheets.adapters.workbook.base import Append, WriteBatch
from hsb_sheets.adapters.workbook.xlsx import XlsxWorkbook
from hsb_sheets.domain.tabs import TabSpec
from hsb_sheets.errors import WorkbookError

TAB = TabSpec.plain("Cases", system=("Case ID", "Notes"))
FORMULAS = ['=HYPERLINK("https://example.org","x")', "=1+1", "+1", "-2", "@SUM(A1)"]


@pytest.fixture
def register(tmp_path: Path) -> XlsxWorkbook:
    wb = XlsxWorkbook(tmp_path / "register.xlsx", lock_timeout=0.2)
    wb.ensure_tabs([TAB])
    return wb


def test_formula_like_answers_are_stored_as_text_cells(register: XlsxWorkbook) -> None:
    register.write(
        WriteBatch(appends=[Append("Cases", {"Case ID": str(i), "Notes": f}) for i, f in enumerate(FORMULAS)])
    )
    sheet = openpyxl.load_workbook(register.path)["Cases"]
    cells = [sheet.cell(row=r, column=2) for r in range(2, 2 + len(FORMULAS))]
    assert [c.value for c in cells] == FORMULAS
    assert {c.data_type for c in cells} == {"s"}
    with zipfile.ZipFile(register.path) as archive:
        xml = archive.read("xl/worksheets/sheet1.xml").decode()
    assert "<f>" not in xml and "<f " not in xml  # no formula element anywhere


def test_a_crash_while_saving_leaves_the_register_intact(
    register: XlsxWorkbook, monkeypatch: pytest.MonkeyPatch
) -> None:
    register.write(WriteBatch(appends=[Append("Cases", {"Case ID": "HSB-2026-0001"})]))
    before = register.path.read_bytes()

    def crash(fd: int) -> None:  # the temporary file is written, then the disk fails
        raise OSError("disk full")

    monkeypatch.setattr("hsb_sheets.adapters.workbook.register_file.os.fsync", crash)
    with pytest.raises(OSError):
        register.write(WriteBatch(appends=[Append("Cases", {"Case ID": "HSB-2026-0002"})]))
    monkeypatch.undo()
    assert register.path.read_bytes() == before
    assert not list(register.path.parent.glob(".register-*"))
    assert register.read(["Cases"])["Cases"].column("Case ID") == ["HSB-2026-0001"]


def test_two_runs_never_interleave(register: XlsxWorkbook) -> None:
    other = XlsxWorkbook(register.path, lock_timeout=0.2)
    with register.session(), pytest.raises(WorkbookError, match=r"Another run is using register\.xlsx"):
        other.write(WriteBatch(appends=[Append("Cases", {"Case ID": "HSB-2026-0002"})]))
    other.write(WriteBatch(appends=[Append("Cases", {"Case ID": "HSB-2026-0002"})]))
    assert register.read(["Cases"])["Cases"].column("Case ID") == ["HSB-2026-0002"]


def test_a_damaged_file_is_a_clear_error(tmp_path: Path) -> None:
    path = tmp_path / "register.xlsx"
    path.write_bytes(b"not a workbook")
    with pytest.raises(WorkbookError, match="cannot be opened as a workbook"):
        XlsxWorkbook(path).read(["Cases"])


def test_a_missing_register_says_to_run_init(tmp_path: Path) -> None:
    with pytest.raises(WorkbookError, match="hsb-sheets init"):
        XlsxWorkbook(tmp_path / "none.xlsx").read(["Cases"])
