"""Erasure on the local register: a stale copy saved over it, or the journal, brings nothing back."""

from __future__ import annotations

import sqlite3
from datetime import UTC, datetime
from pathlib import Path

from hsb_sheets.adapters.journal.base import Submission
from hsb_sheets.adapters.journal.sqlite import SqliteJournal
from hsb_sheets.adapters.workbook.base import Append, Update, WriteBatch
from hsb_sheets.domain.tabs import FORM_RESPONSES, REFERRALS, RETENTION_REVIEW, RetentionReviewTab
from hsb_sheets.services.intake import run_intake
from hsb_sheets.services.retention import run_retention
from tests.conftest import FixedClock
from tests.integration.test_journaled_register import (
    NOW,
    CountingMailer,
    context,
    register_of,
    save_over,
    submit,
    tables,
    workspace,
)

__all__ = ["workspace"]  # the fixture
CASE = "HSB-2026-0001"


def journal_bytes(folder: Path) -> bytes:
    return b"".join(p.read_bytes() for p in folder.rglob("*") if p.is_file() and "journal" in p.name)


def test_erased_data_is_gone_from_the_journal_and_a_stale_save_does_not_restore_it(workspace: Path) -> None:
    clock = FixedClock(NOW)
    ctx = context(workspace, CountingMailer(), clock)
    register = register_of(workspace)
    submit(ctx, 1)  # the child's first name is "Child1"
    run_intake(ctx)
    ctx.workbook.write(WriteBatch(updates=[Update(REFERRALS, "Case ID", CASE, {"Status": "Closed"})]))
    assert b"Child1" in journal_bytes(workspace)
    clock.now = datetime(2037, 6, 15, 9, tzinfo=UTC)
    assert run_retention(ctx).listed == [CASE]
    values: dict[str, str] = {
        RetentionReviewTab.CONFIRMED_BY: "Sam Coordinator",
        RetentionReviewTab.CONFIRMED_ON: "15/06/2037",
    }
    ctx.workbook.write(WriteBatch(updates=[Update(RETENTION_REVIEW, "Case ID", CASE, values)]))
    stale = register.read_bytes()  # a desktop program's copy, from before the erasure
    assert [e.case_id for e in run_retention(ctx).erased] == [CASE]
    assert b"Child1" not in register.read_bytes()
    assert b"Child1" not in journal_bytes(workspace)  # submissions, remembered rows, free pages, log

    save_over(register, stale)  # the stale copy still holds the name...
    run_intake(ctx)  # ...and the jobs' next read puts back what the journal remembers: the erased row
    run_retention(ctx)
    seen = tables(register)
    for name in (REFERRALS, FORM_RESPONSES):
        assert not any("Child1" in cell for row in seen[name].rows for cell in row), name
    assert b"Child1" not in journal_bytes(workspace)


def test_erasing_compacts_a_journal_that_kept_removed_data_in_free_pages(tmp_path: Path) -> None:
    journal = SqliteJournal(tmp_path / "journal.sqlite")
    header = ("Timestamp", "Child's first name")
    journal.add_submission(Submission("S1", NOW, header, ("2026-03-12 10:00:00.000000", "Child7")))
    journal.queue_write(WriteBatch(appends=[Append(REFERRALS, {"Child first name": "Child8"})]), NOW)
    with sqlite3.connect(tmp_path / "journal.sqlite") as raw:  # as an older version removed things
        raw.execute("PRAGMA secure_delete = OFF")
        raw.execute("DELETE FROM queued_writes")
    assert b"Child8" in journal_bytes(tmp_path)
    journal.erase_submission("S1", ("2026-03-12 10:00:00.000000", ""))
    assert b"Child7" not in journal_bytes(tmp_path) and b"Child8" not in journal_bytes(tmp_path)
    assert journal.submissions()[0].row == ("2026-03-12 10:00:00.000000", "")
