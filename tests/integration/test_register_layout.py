"""`setup` gives both backends the same dropdowns, red rows and frozen headers; Google also protects
system columns. Running it twice changes nothing the second time."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import openpyxl
import pytest
import requests

from hsb_sheets.adapters.calendar.memory import MemoryCalendar
from hsb_sheets.adapters.mail.memory import MemoryMailer
from hsb_sheets.adapters.workbook import a1
from hsb_sheets.adapters.workbook.google_sheets import SheetsHTTPClient, SheetsWorkbook
from hsb_sheets.adapters.workbook.xlsx import XlsxWorkbook
from hsb_sheets.bootstrap import build_context
from hsb_sheets.config import Settings
from hsb_sheets.domain.tabs import INTERVENTIONS, MEETINGS, OUTBOX, REFERRALS, ReferralsTab, columns_of
from hsb_sheets.services.setup import setup_register
from tests.fakes.google_sheets import FakeSheets

SERVICE_ACCOUNT = "hsb-sheets@example.iam.gserviceaccount.com"


@pytest.fixture
def fake() -> Iterator[FakeSheets]:
    server = FakeSheets()
    server.url = server.start()  # type: ignore[attr-defined]
    server.create("layout")
    yield server
    server.stop()


def test_google_setup_is_complete_and_idempotent(fake: FakeSheets, tmp_path: Path) -> None:
    http = SheetsHTTPClient(requests.Session(), endpoint=fake.url, retries=1)  # type: ignore[attr-defined]
    ctx = build_context(
        Settings(base_dir=tmp_path),
        workbook=SheetsWorkbook(http, "layout", SERVICE_ACCOUNT),
        mailer=MemoryMailer(),
        calendar=MemoryCalendar(),
    )
    first = setup_register(ctx)
    assert "created tab 'Referrals'" in first and any("protection of system columns" in c for c in first)
    book = fake.spreadsheets["layout"]
    referrals, meetings = book.sheet(REFERRALS), book.sheet(MEETINGS)
    assert referrals.frozen_rows == 1
    header = referrals.cells[0]
    assert header[:4] == ["Case ID", "Status", "Worker", "Route override"] and referrals.frozen_columns == 4
    technical = [c for c in columns_of(ReferralsTab) if c.technical]
    assert header[-len(technical) :] == technical
    key, jobs = referrals.protected  # the case id, and every system column after the coordinators'
    for block in (key, jobs):
        assert block["editors"] == {"users": [SERVICE_ACCOUNT]} and block["warningOnly"] is False
    spans = [(b["range"]["startColumnIndex"], b["range"]["endColumnIndex"]) for b in (key, jobs)]
    assert spans == [(0, 1), (header.index("Received"), len(header))]
    assert book.sheet(OUTBOX).protected and not book.sheet("Form responses 1").protected
    statuses = [
        v for v in meetings.validations if v["range"]["startColumnIndex"] == meetings.cells[0].index("Status")
    ]
    assert (
        next(x["userEnteredValue"] for x in statuses[0]["rule"]["condition"]["values"]) == "Needs scheduling"
    )
    [rule] = book.sheet(INTERVENTIONS).conditional
    letter = chr(65 + book.sheet(INTERVENTIONS).cells[0].index("Status"))
    assert rule["booleanRule"]["condition"]["values"][0]["userEnteredValue"] == f'=${letter}2="Overdue"'

    writes = len([r for r in fake.server.requests if r.method == "POST"])
    assert setup_register(ctx) == []
    assert len([r for r in fake.server.requests if r.method == "POST"]) == writes  # nothing written again
    assert len(referrals.protected) == 2 and len(book.sheet(INTERVENTIONS).conditional) == 1


def test_local_setup_gives_the_xlsx_the_same_dropdowns_and_red_rows(tmp_path: Path) -> None:
    path = tmp_path / "register.xlsx"
    ctx = build_context(
        Settings(base_dir=tmp_path),
        workbook=XlsxWorkbook(path),
        mailer=MemoryMailer(),
        calendar=MemoryCalendar(),
    )
    assert any(c.startswith("dropdown on 'Meetings'") for c in setup_register(ctx))
    before = path.read_bytes()
    assert setup_register(ctx) == []
    assert path.read_bytes() == before
    book = openpyxl.load_workbook(path)
    formulas = {dv.formula1 for dv in book[INTERVENTIONS].data_validations.dataValidation}
    assert (
        '"AIM3 assessment,AIM Under 12s,TA-HSB work,Safety planning,Psychosexual education,Other"' in formulas
    )
    rules = [r for cf in book[MEETINGS].conditional_formatting for r in cf.rules]
    assert rules and "Needs scheduling" in rules[0].formula[0]
    referrals = book[REFERRALS]
    header = [c.value for c in referrals[1]]
    assert header[:4] == ["Case ID", "Status", "Worker", "Route override"]  # key and coordinators first
    assert referrals.freeze_panes == "E2"  # ... and kept in view with the header
    technical = [c for c in columns_of(ReferralsTab) if c.technical]
    assert header[-len(technical) :] == technical  # technical columns last, grouped and hidden
    grouped = referrals.column_dimensions[a1.column_letters(len(header) - len(technical) + 1)]
    assert (grouped.outline_level, grouped.hidden, grouped.max) == (1, True, len(header))
    assert referrals.auto_filter.ref == f"A1:{a1.column_letters(len(header))}5000"
    assert all(book[name].auto_filter.ref for name in book.sheetnames)  # a filter on every tab
    assert referrals.column_dimensions["A"].width >= 14 and book[MEETINGS].column_dimensions["D"].width >= 17
