"""Web-form submissions go from the journal into "Form responses 1" exactly once, whatever happened."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from hsb_sheets.adapters.journal.base import JournalError, Submission
from hsb_sheets.adapters.journal.memory import MemoryJournal
from hsb_sheets.adapters.workbook.memory import MemoryWorkbook
from hsb_sheets.domain.form import TIMESTAMP
from hsb_sheets.domain.tabs import AUDIT_LOG, FORM_RESPONSES, AuditLogTab
from hsb_sheets.services.context import Context
from hsb_sheets.services.intake import run_intake
from hsb_sheets.services.submissions import copy_submissions, submission_for
from tests.conftest import valid_answers

SUMMER = datetime(2026, 7, 1, 12, 0, 0, 500000, tzinfo=UTC)  # 13:00 in London (BST)


def rows(ctx: Context) -> list[dict[str, str]]:
    return list(ctx.workbook.read([FORM_RESPONSES])[FORM_RESPONSES].records())


def store(ctx: Context) -> MemoryWorkbook:
    assert isinstance(ctx.workbook, MemoryWorkbook)
    return ctx.workbook


def journal_with(ctx: Context, *submissions: Submission) -> MemoryJournal:
    journal = MemoryJournal()
    for submission in submissions:
        journal.add_submission(submission)
    return journal


def test_a_submission_is_the_form_row_with_its_local_instant(memory_context: Context) -> None:
    submission = submission_for(memory_context, "S1", SUMMER, valid_answers())
    assert submission.header[0] == TIMESTAMP and submission.row[0] == "2026-07-01 13:00:00.500000"
    assert submission.received == SUMMER
    title = memory_context.form.field("child_last_name").title
    assert submission.row[submission.header.index(title)] == "Testwood"


def test_each_submission_is_copied_once(memory_context: Context) -> None:
    ctx = memory_context
    first = submission_for(ctx, "S1", SUMMER, valid_answers())
    second = submission_for(
        ctx, "S2", SUMMER.replace(microsecond=500001), valid_answers(child_first_name="Sky")
    )
    journal = journal_with(ctx, first, second)
    assert copy_submissions(ctx, journal) == 2
    assert [r[TIMESTAMP] for r in rows(ctx)] == ["2026-07-01 13:00:00.500000", "2026-07-01 13:00:00.500001"]
    assert journal.state.copied == {"S1", "S2"}
    audit = ctx.workbook.read([AUDIT_LOG])[AUDIT_LOG].records()
    assert [a[AuditLogTab.DETAIL] for a in audit if a[AuditLogTab.JOB] == "web form"] == ["2 submission(s)"]
    writes = store(ctx).writes
    assert copy_submissions(ctx, journal) == 0 and store(ctx).writes == writes  # nothing left: no write
    assert copy_submissions(ctx, None) == 0


def test_a_copy_that_stopped_before_the_journal_noted_it_is_not_made_twice(memory_context: Context) -> None:
    ctx = memory_context
    journal = journal_with(ctx, submission_for(ctx, "S1", SUMMER, valid_answers()))
    journal.fail_next = 1  # the register is written, then noting it in the journal fails
    with pytest.raises(JournalError):
        copy_submissions(ctx, journal)
    assert len(rows(ctx)) == 1 and journal.state.copied == set()
    assert copy_submissions(ctx, journal) == 0
    assert len(rows(ctx)) == 1 and journal.state.copied == {"S1"}


def test_a_row_found_by_its_instant_even_after_edits_or_a_desktop_programs_date_cell(
    memory_context: Context,
) -> None:
    ctx = memory_context
    corrected = submission_for(ctx, "S1", SUMMER, valid_answers(referrer_email="old@example.org"))
    retyped = submission_for(ctx, "S2", SUMMER.replace(second=5, microsecond=250), valid_answers())
    journal = journal_with(ctx, corrected, retyped)
    assert copy_submissions(ctx, journal) == 2
    table = store(ctx).tables[FORM_RESPONSES]
    email = table.header.index(ctx.form.field("referrer_email").title)
    table.rows[0][email] = "new@example.org"  # a coordinator corrected an answer
    table.rows[1][0] = "2026-07-01 13:00:05"  # a desktop program made the Timestamp a date, to the second
    journal.state.copied.clear()  # as if both copies stopped before the journal noted them
    assert copy_submissions(ctx, journal) == 0
    assert len(rows(ctx)) == 2 and journal.state.copied == {"S1", "S2"}


def test_a_different_submission_in_the_same_second_is_still_copied(memory_context: Context) -> None:
    ctx = memory_context
    there = submission_for(ctx, "S1", SUMMER.replace(microsecond=0), valid_answers())
    assert copy_submissions(ctx, journal_with(ctx, there)) == 1
    other = submission_for(ctx, "S2", SUMMER, valid_answers(child_first_name="Sky"))
    same_answers = submission_for(ctx, "S3", SUMMER.replace(microsecond=7), valid_answers())
    assert copy_submissions(ctx, journal_with(ctx, other, same_answers)) == 2  # S1's row stands for S1 only
    assert len(rows(ctx)) == 3


def test_two_submissions_at_one_instant_are_both_copied_once(memory_context: Context) -> None:
    ctx = memory_context
    one = submission_for(ctx, "S1", SUMMER, valid_answers())
    two = submission_for(ctx, "S2", SUMMER, valid_answers(child_first_name="Sky"))
    journal = journal_with(ctx, one, two)
    assert copy_submissions(ctx, journal) == 2
    journal.state.copied.clear()
    assert copy_submissions(ctx, journal) == 0 and len(rows(ctx)) == 2


def test_intake_copies_first_and_a_dry_run_copies_nothing(memory_context: Context) -> None:
    ctx = memory_context
    ctx.journal = journal_with(
        ctx, submission_for(ctx, "S1", datetime(2026, 3, 12, 9, 0, tzinfo=UTC), valid_answers())
    )
    assert run_intake(ctx, dry_run=True).registered == [] and rows(ctx) == []
    assert run_intake(ctx).registered == ["HSB-2026-0001"] and len(rows(ctx)) == 1
