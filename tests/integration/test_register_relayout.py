"""A register laid out by an earlier version (columns in declaration order, dates as text, coordinators'
edits in it) is brought to the layout for people by `setup`: whole columns move, no value and no edit
is lost, the jobs' dates become real date cells reading as the same text, and the next run restores
nothing (the journal sees the same values)."""

from __future__ import annotations

import zipfile
from datetime import datetime
from pathlib import Path

import openpyxl
import pytest

from hsb_sheets.domain import layout as layout_module
from hsb_sheets.domain.layout import Layout
from hsb_sheets.domain.tabs import (
    AUDIT_LOG,
    INTERVENTIONS,
    MEETINGS,
    OUTBOX,
    REFERRALS,
    AuditLogTab,
    ReferralsTab,
    columns_of,
)
from hsb_sheets.services import setup as setup_service
from hsb_sheets.services.demo import prepare_demo, run_demo
from hsb_sheets.services.setup import setup_register

TABS = (REFERRALS, MEETINGS, INTERVENTIONS, OUTBOX, AUDIT_LOG)


def _earlier_layout(form: object, specs: object) -> Layout:
    """What versions before the register for people applied: dropdowns and red rows only."""
    full = layout_module.register_layout(form, specs)  # type: ignore[arg-type]
    return Layout(full.dropdowns, full.highlights, full.protected)


def _records(path: Path) -> dict[str, list[dict[str, str]]]:
    from hsb_sheets.adapters.workbook.xlsx import XlsxWorkbook

    tables = XlsxWorkbook(path).read(TABS)
    return {name: [dict(r) for r in table.records()] for name, table in tables.items()}


def test_setup_moves_an_earlier_registers_whole_columns_and_keeps_every_value(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    with monkeypatch.context() as earlier:
        earlier.setattr(setup_service, "register_layout", _earlier_layout)
        demo = prepare_demo(tmp_path)
        run_demo(demo)
    path = demo.workspace.settings.resolve(demo.workspace.settings.workbook.path)
    book = openpyxl.load_workbook(path)
    referrals = book[REFERRALS]
    header = [c.value for c in referrals[1]]
    assert header[:3] == ["Case ID", "Response ID", "Received"]  # the earlier order
    status, worker, notes = (header.index(c) + 1 for c in ("Status", "Worker", "Notes"))
    for row in (2, 3):  # a coordinator allocates two cases, as in Excel or LibreOffice
        referrals.cell(row=row, column=status, value="Allocated")
        referrals.cell(row=row, column=worker, value=f"Worker {row}")
        referrals.cell(row=row, column=notes, value=f"Spoke to school ({row})")
    book.save(path)
    before = _records(path)

    again = prepare_demo(tmp_path)  # setup, as `hsb-sheets setup` (or the demo run again) does it
    changes = again.workspace.changes
    assert f"moved the columns of '{REFERRALS}' into the order people work in" in changes
    after = _records(path)
    assert after[AUDIT_LOG][: len(before[AUDIT_LOG])] == before.pop(AUDIT_LOG)  # setup adds its own line
    assert {name: after[name] for name in before} == before  # every value, by header, rows in order
    book = openpyxl.load_workbook(path)
    header = [c.value for c in book[REFERRALS][1]]
    assert header[:4] == ["Case ID", "Status", "Worker", "Route override"]
    assert header.index("Notes") < header.index("Received")  # coordinators' columns before the system's
    technical = [c for c in columns_of(ReferralsTab) if c.technical]
    assert header[-len(technical) :] == technical
    received = book[REFERRALS].cell(row=2, column=header.index("Received") + 1)
    assert isinstance(received.value, datetime) and received.number_format == "dd/mm/yyyy hh:mm"
    meetings = book[MEETINGS]
    requested = meetings.cell(row=2, column=[c.value for c in meetings[1]].index("Requested") + 1)
    assert isinstance(requested.value, datetime)  # written to the minute, and read back to the minute
    assert after[MEETINGS][0]["Requested"].count(":") == 1

    run_demo(again)  # every job again, on the new layout
    final = _records(path)
    restored = [r for r in final[AUDIT_LOG] if "restored" in r[AuditLogTab.ACTION]]
    assert restored == []  # the journal finds every value it wrote where it is now
    assert [r["Worker"] for r in final[REFERRALS][:2]] == ["Worker 2", "Worker 3"]
    assert final[REFERRALS][:21] == after[REFERRALS][:21]  # the run changed none of these cases
    assert setup_register(again.workspace.ctx) == []  # once only
    with zipfile.ZipFile(path) as archive:
        assert "<f>" not in archive.read("xl/worksheets/sheet2.xml").decode()
