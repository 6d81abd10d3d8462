"""The local register: the demo's responses, and real date-time cells, keep their ids (DESIGN.md 2.1).

The reported failure: changing the Settings tab's Date locale from en-GB to en-US re-ingested all
the demo's responses, with a new case or intake issue and an email for each. And a Timestamp typed
as a real date-time cell in Excel or LibreOffice is read as its value, to the microsecond, whatever
number format shows it.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path

import openpyxl

from hsb_sheets.adapters.workbook.base import Update, WriteBatch
from hsb_sheets.domain.tabs import FORM_RESPONSES, OUTBOX, REFERRALS, SETTINGS, SettingsTab
from hsb_sheets.services.context import Context
from hsb_sheets.services.demo import prepare_demo
from hsb_sheets.services.intake import run_intake
from hsb_sheets.services.policy import DATE_LOCALE
from tests.conftest import valid_answers


def rows(ctx: Context, name: str) -> int:
    with ctx.workbook.session():
        return len(ctx.workbook.read([name])[name].rows)


def set_locale(ctx: Context, locale: str) -> None:
    update = Update(SETTINGS, SettingsTab.SETTING, DATE_LOCALE, {SettingsTab.VALUE: locale})
    ctx.workbook.write(WriteBatch(updates=[update]))


def test_changing_the_date_locale_re_ingests_none_of_the_demo_responses(tmp_path: Path) -> None:
    ctx = prepare_demo(tmp_path / "demo").workspace.ctx
    first = run_intake(ctx)
    assert len(first.registered) + first.issues == rows(ctx, FORM_RESPONSES)
    before = (rows(ctx, REFERRALS), rows(ctx, OUTBOX))
    set_locale(ctx, "en-US")
    report = run_intake(ctx)
    assert (report.registered, report.issues) == ([], 0)
    assert report.already_ingested == rows(ctx, FORM_RESPONSES)
    assert (rows(ctx, REFERRALS), rows(ctx, OUTBOX)) == before


def test_real_date_time_cells_keep_their_ids_whatever_their_number_format(tmp_path: Path) -> None:
    ctx = prepare_demo(tmp_path / "demo").workspace.ctx
    run_intake(ctx)
    register = tmp_path / "demo" / "register.xlsx"
    assert register.exists()
    book = openpyxl.load_workbook(register)
    sheet = book[FORM_RESPONSES]
    header = [c.value for c in sheet[1]]
    moment = datetime(2026, 3, 11, 16, 45, 30, 250000)
    for n in range(2):  # two responses a quarter of a second apart, typed as real date-times
        answers = valid_answers(child_first_name=f"Timestamped{n}", referrer_email=f"t{n}@example.org")
        sheet.append([moment + timedelta(milliseconds=250 * n), *(answers[f.id] for f in ctx.form.fields)])
        sheet.cell(row=sheet.max_row, column=1).number_format = "dd/mm/yyyy hh:mm:ss"
    book.save(register)
    assert header[0] == "Timestamp"
    with ctx.workbook.session():
        values = ctx.workbook.read_values(FORM_RESPONSES, "Timestamp")[-2:]
    assert values == ["2026-03-11 16:45:30.250000", "2026-03-11 16:45:30.500000"]
    assert len(run_intake(ctx).registered) == 2
    before = (rows(ctx, REFERRALS), rows(ctx, OUTBOX))

    book = openpyxl.load_workbook(register)
    for cells in book[FORM_RESPONSES].iter_rows(min_row=2, max_col=1):
        cells[0].number_format = "dd/mm/yyyy hh:mm"  # a coordinator hides the seconds
    book.save(register)
    set_locale(ctx, "en-US")
    report = run_intake(ctx)
    assert (report.registered, report.issues) == ([], 0)
    assert (rows(ctx, REFERRALS), rows(ctx, OUTBOX)) == before
