"""The local register as a coordinator opens it (DESIGN section 11): the Overview tab first and open,
and the jobs' multi-line text (an intake issue's reasons, an audit line's detail) wrapped in its cell."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import openpyxl

from hsb_sheets.adapters.calendar.memory import MemoryCalendar
from hsb_sheets.adapters.mail.memory import MemoryMailer
from hsb_sheets.adapters.workbook.base import Append, Update, WriteBatch
from hsb_sheets.adapters.workbook.xlsx import XlsxWorkbook
from hsb_sheets.bootstrap import build_context
from hsb_sheets.config import Settings
from hsb_sheets.domain.tabs import AUDIT_LOG, OVERVIEW, SETTINGS, AuditLogTab
from hsb_sheets.services.context import Context
from hsb_sheets.services.setup import setup_register


def _context(path: Path) -> Context:
    return build_context(
        Settings(base_dir=path.parent),
        workbook=XlsxWorkbook(path),
        mailer=MemoryMailer(),
        calendar=MemoryCalendar(),
    )


def _first_and_open(path: Path) -> tuple[str, str, list[str]]:
    book = openpyxl.load_workbook(path)
    assert book.active is not None
    selected = [s.title for s in book.worksheets if s.sheet_view.tabSelected]
    return book.sheetnames[0], book.active.title, selected


def test_setup_puts_the_overview_first_and_open_on_a_new_and_on_an_existing_register(tmp_path: Path) -> None:
    path = tmp_path / "register.xlsx"
    setup_register(_context(path))
    assert _first_and_open(path) == (OVERVIEW, OVERVIEW, [OVERVIEW])
    book = openpyxl.load_workbook(path)  # a register set up before the Overview came first
    book.move_sheet(OVERVIEW, offset=len(book.sheetnames))
    for sheet in book.worksheets:
        sheet.sheet_view.tabSelected = sheet.title == SETTINGS
    book.active = book.sheetnames.index(SETTINGS)
    book.save(path)
    assert "made 'Overview' the first tab" in setup_register(_context(path))
    assert _first_and_open(path) == (OVERVIEW, OVERVIEW, [OVERVIEW])
    assert setup_register(_context(path)) == []  # already first: nothing to do


def test_text_the_jobs_write_on_several_lines_wraps_and_one_line_text_does_not(tmp_path: Path) -> None:
    path = tmp_path / "register.xlsx"
    ctx = _context(path)
    setup_register(ctx)
    detail = "Reasons:\nthe date of birth is not a real date\nno area was chosen"
    row: dict[str, str] = {
        AuditLogTab.TIME: "2026-03-12 10:00:00",
        AuditLogTab.JOB: "intake",
        AuditLogTab.DETAIL: detail,
    }
    single = {**row, AuditLogTab.DETAIL: "one line", AuditLogTab.ACTION: "noted"}
    ctx.workbook.write(WriteBatch([Append(AUDIT_LOG, row), Append(AUDIT_LOG, single)]))
    sheet = openpyxl.load_workbook(path)[AUDIT_LOG]
    header = [c.value for c in sheet[1]]
    several, one = (sheet.cell(sheet.max_row - r, header.index(AuditLogTab.DETAIL) + 1) for r in (1, 0))
    assert several.value == detail and several.alignment.wrap_text
    assert sheet.row_dimensions[several.row].height == 45  # three lines tall: they run under no row
    assert one.value == "one line" and not one.alignment.wrap_text
    assert not sheet.cell(sheet.max_row - 1, header.index(AuditLogTab.JOB) + 1).alignment.wrap_text
    time = sheet.cell(sheet.max_row - 1, header.index(AuditLogTab.TIME) + 1)
    assert time.number_format == "dd/mm/yyyy hh:mm" and isinstance(
        time.value, datetime
    )  # a date cell stays one
    # an update of a cell keeps its wrapping, and reads back as written
    key = {AuditLogTab.JOB: "intake", AuditLogTab.ACTION: "noted"}
    ctx.workbook.write(
        WriteBatch(updates=[Update(AUDIT_LOG, tuple(key), tuple(key.values()), {"Detail": "a\nb"})])
    )
    again = openpyxl.load_workbook(path)[AUDIT_LOG].cell(sheet.max_row, header.index(AuditLogTab.DETAIL) + 1)
    assert again.value == "a\nb" and again.alignment.wrap_text
    assert detail in [r[AuditLogTab.DETAIL] for r in ctx.workbook.read([AUDIT_LOG])[AUDIT_LOG].records()]
