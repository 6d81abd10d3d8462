"""A send's "email sent" Audit log line joins the run's last write; a run stopped before that write
loses the line, and the next run writes it (once) for every Outbox row sent without one."""

from __future__ import annotations

from collections import Counter

import pytest

from hsb_sheets.domain.tabs import AUDIT_LOG, CASE_ID, OUTBOX, AuditLogTab, OutboxTab
from hsb_sheets.services import runner
from hsb_sheets.services.context import Context
from hsb_sheets.services.runner import run_jobs
from tests.conftest import valid_answers
from tests.unit.test_intake_service import submit, tab


def killed(ctx: Context, dry_run: bool = False) -> None:
    raise KeyboardInterrupt  # the process is stopped mid-run, after intake sent and marked its emails


def sent_rows(ctx: Context) -> Counter[tuple[str, str, str]]:
    rows = tab(ctx, OUTBOX).records()
    return Counter(
        (r[OutboxTab.CASE_ID], r[OutboxTab.KIND], r[OutboxTab.SENT_AT])
        for r in rows
        if r[OutboxTab.STATE] == "sent"
    )


def sent_lines(ctx: Context) -> Counter[tuple[str, str, str]]:
    lines = tab(ctx, AUDIT_LOG).records()
    return Counter(
        (r[CASE_ID], r[AuditLogTab.DETAIL], r[AuditLogTab.TIME])
        for r in lines
        if r[AuditLogTab.ACTION] == "email sent"
    )


def test_a_run_stopped_before_its_last_write_has_its_audit_lines_written_by_the_next(
    memory_context: Context, monkeypatch: pytest.MonkeyPatch
) -> None:
    ctx = memory_context
    submit(ctx, ("10/03/2026 09:00:00", valid_answers(referrer_email="a@example.org")))
    monkeypatch.setitem(runner.JOBS, "meetings", killed)
    with pytest.raises(KeyboardInterrupt):
        run_jobs(ctx)
    assert len(sent_rows(ctx)) == 1  # the Outbox says the acknowledgement went
    assert not sent_lines(ctx)  # its audit line was to come with the run's last write
    monkeypatch.undo()
    run_jobs(ctx)
    assert sent_lines(ctx) == sent_rows(ctx)  # at the time it was sent
    [line] = [r for r in tab(ctx, AUDIT_LOG).records() if r[AuditLogTab.ACTION] == "email sent"]
    assert line[AuditLogTab.JOB] == "run" and line[AuditLogTab.DETAIL] == "acknowledgement"
    run_jobs(ctx)
    assert sent_lines(ctx) == sent_rows(ctx)  # written once only


def test_a_run_that_ends_normally_writes_one_line_per_send(memory_context: Context) -> None:
    ctx = memory_context
    for n in range(3):
        submit(ctx, (f"10/03/2026 09:0{n}:00", valid_answers(referrer_email=f"r{n}@example.org")))
        run_jobs(ctx)
    assert sum(sent_rows(ctx).values()) >= 3
    assert sent_lines(ctx) == sent_rows(ctx)
    assert "run" not in tab(ctx, AUDIT_LOG).column(AuditLogTab.JOB)  # nothing needed recovering
