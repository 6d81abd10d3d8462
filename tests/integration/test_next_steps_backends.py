"""The Next steps tab on both real write paths: red rows when overdue, a coordinator's Done on and Notes
kept, and (on Google, which has no journal) a deleted step not made again."""

from __future__ import annotations

from pathlib import Path

import openpyxl

from hsb_sheets.adapters.calendar.memory import MemoryCalendar
from hsb_sheets.adapters.mail.memory import MemoryMailer
from hsb_sheets.adapters.workbook.xlsx import XlsxWorkbook
from hsb_sheets.bootstrap import build_context
from hsb_sheets.config import Settings
from hsb_sheets.domain.tabs import NEXT_STEPS
from hsb_sheets.resources import shipped
from hsb_sheets.services.context import Context
from hsb_sheets.services.intake import run_intake
from hsb_sheets.services.meetings import run_meetings
from hsb_sheets.services.reminders import run_reminders
from hsb_sheets.services.rule_source import read_rule_csv
from hsb_sheets.services.setup import setup_register
from tests.conftest import FixedClock, valid_answers
from tests.fakes.google_sheets import FakeSheets
from tests.integration.test_google_sheets_register import SHEET, ctx, fake, responses, sleeps
from tests.unit.test_intake_service import submit
from tests.unit.test_meetings_service import LONDON_NOON

__all__ = ["ctx", "fake", "sleeps"]  # the Google fixtures, used here by name
CENTRE = "HSB-2026-0001|refer_customer_service_centre|routing"


def red_rule_formula(rules: list[dict[str, object]]) -> str:
    [rule] = rules
    condition = rule["booleanRule"]["condition"]  # type: ignore[index]
    return str(condition["values"][0]["userEnteredValue"])


def test_google_steps_are_red_when_overdue_keep_done_on_and_a_deleted_one_stays_gone(
    ctx: Context, fake: FakeSheets
) -> None:
    sheet = fake.spreadsheets[SHEET].sheet(NEXT_STEPS)
    header = sheet.cells[0]
    assert red_rule_formula(sheet.conditional) == f'=${chr(65 + header.index("Status"))}2="Overdue"'
    responses(ctx, fake, 1, light="Red")  # received 10 March; today is 12 March: the referral is overdue
    run_intake(ctx)
    run_meetings(ctx)
    step_id = header.index("Step ID")
    rows = {r[step_id]: r for r in sheet.cells[1:] if len(r) > step_id and r[step_id]}
    assert rows[CENTRE][header.index("Status")] == "Overdue" and len(rows) == 4

    row = rows[CENTRE]
    while len(row) < len(header):
        row.append("")
    row[header.index("Done on")], row[header.index("Notes")] = "11/03/2026", "Phoned the centre"
    run_meetings(ctx)
    run_reminders(ctx)
    assert (row[header.index("Status")], row[header.index("Done on")], row[header.index("Notes")]) == (
        "Done",
        "11/03/2026",
        "Phoned the centre",
    )
    sheet.delete_rows(sheet.cells.index(row), sheet.cells.index(row) + 1)  # a coordinator deletes it
    run_meetings(ctx)
    run_meetings(ctx)
    assert (
        CENTRE not in {r[step_id] for r in sheet.cells[1:] if len(r) > step_id} and len(sheet.cells) - 1 == 3
    )


def test_xlsx_steps_are_red_when_overdue_and_keep_what_a_coordinator_typed(tmp_path: Path) -> None:
    path = tmp_path / "register.xlsx"
    clock = FixedClock(LONDON_NOON)
    ctx = build_context(
        Settings(base_dir=tmp_path),
        workbook=XlsxWorkbook(path),
        mailer=MemoryMailer(),
        calendar=MemoryCalendar(),
        clock=clock,
    )
    setup_register(ctx, directory_seed=read_rule_csv(shipped("config/directory.example.csv")))
    submit(ctx, ("10/03/2026 09:00:00", valid_answers(traffic_light="Red")))
    run_intake(ctx)
    run_meetings(ctx)
    book = openpyxl.load_workbook(path)
    sheet = book[NEXT_STEPS]
    header = [c.value for c in sheet[1]]
    [rule] = [r for cf in sheet.conditional_formatting for r in cf.rules]
    letter = chr(65 + header.index("Status"))
    assert rule.formula == [f'${letter}2="Overdue"']
    line = next(r for r in sheet.iter_rows(min_row=2) if r[header.index("Step ID")].value == CENTRE)
    assert line[header.index("Status")].value == "Overdue"
    line[header.index("Done on")].value = "11/03/2026"
    line[header.index("Notes")].value = "Phoned the centre"
    book.save(path)

    run_meetings(ctx)
    run_reminders(ctx)
    steps = {r["Step ID"]: r for r in ctx.workbook.read([NEXT_STEPS])[NEXT_STEPS].records()}
    assert (steps[CENTRE]["Status"], steps[CENTRE]["Done on"], steps[CENTRE]["Notes"]) == (
        "Done",
        "11/03/2026",
        "Phoned the centre",
    )
    assert len(steps) == 4
