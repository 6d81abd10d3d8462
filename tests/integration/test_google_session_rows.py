"""Within a run's session, reads of the Google register share the snapshot's rows rather than copying
them; a write replaces the rows it changes, so a table read before the write keeps its rows as read."""

from __future__ import annotations

from hsb_sheets.adapters.workbook.base import Update, WriteBatch
from hsb_sheets.domain.tabs import REFERRALS, ReferralsTab
from hsb_sheets.services.context import Context
from hsb_sheets.services.intake import run_intake
from tests.fakes.google_sheets import FakeSheets
from tests.integration.test_google_sheets_register import ctx, fake, responses, sleeps  # noqa: F401


def test_a_table_read_before_a_write_keeps_its_rows_and_a_later_read_sees_the_write(
    ctx: Context,  # noqa: F811
    fake: FakeSheets,  # noqa: F811
) -> None:
    responses(ctx, fake, 2)
    run_intake(ctx)
    with ctx.workbook.session():
        before = ctx.workbook.read([REFERRALS])[REFERRALS]
        first = before.rows[0][before.index(ReferralsTab.CASE_ID)]
        worker = before.index(ReferralsTab.WORKER)
        shown = [list(row) for row in before.rows]
        update = Update(REFERRALS, ReferralsTab.CASE_ID, first, {ReferralsTab.WORKER: "w@example.gov.uk"})
        ctx.workbook.write(WriteBatch(updates=[update]))
        after = ctx.workbook.read([REFERRALS])[REFERRALS]
        moved = [n for n, row in enumerate(before.rows) if row != shown[n]]  # row numbers only: no data shown
        assert moved == []  # as read, though the snapshot moved on
        assert after.rows[0][worker] == "w@example.gov.uk"
        assert [n for n, row in enumerate(after.rows[1:]) if row != shown[n + 1]] == []
    sheet = fake.spreadsheets["register-under-test"].sheet(REFERRALS)
    assert sheet.cells[1][sheet.cells[0].index(ReferralsTab.WORKER)] == "w@example.gov.uk"
