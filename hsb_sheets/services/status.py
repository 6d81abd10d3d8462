"""`hsb-sheets status`: the last run of each job and what is failing or waiting for a person.

A job's successful run is recorded on the Job status tab with its delivery (notifications.py); a
failed run by ``record_failure``, in a small write of its own after the failure.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta

from hsb_sheets.adapters.workbook.base import Append, Update, WriteBatch
from hsb_sheets.domain.meetings import NEEDS_SCHEDULING
from hsb_sheets.domain.register_rows import format_time
from hsb_sheets.domain.reminders import OVERDUE
from hsb_sheets.domain.tabs import (
    INTAKE_ISSUES,
    INTERVENTIONS,
    JOB_NAMES,
    JOB_STATUS,
    MEETINGS,
    OUTBOX,
    IntakeIssuesTab,
    InterventionsTab,
    JobStatusTab,
    MeetingsTab,
    OutboxTab,
)
from hsb_sheets.services.context import Context

FAILED_PREFIX = "failed: "
HELD_LONG = timedelta(hours=1)  # how long the register may be open in a desktop program unremarked


@dataclass
class Status:
    """Job rows (as the Job status tab holds them) and plain-words lines needing attention."""

    jobs: list[dict[str, str]] = field(default_factory=list)
    attention: list[str] = field(default_factory=list)


def read_status(ctx: Context) -> Status:
    """Read the register once and summarise it (counts and ids only)."""
    tables = ctx.workbook.read([JOB_STATUS, OUTBOX, MEETINGS, INTERVENTIONS, INTAKE_ISSUES])
    by_job = {r.get(JobStatusTab.JOB, ""): r for r in tables[JOB_STATUS].records()}
    report = Status(jobs=[by_job.get(job, {JobStatusTab.JOB: job}) for job in JOB_NAMES])
    if notice := held_open_notice(ctx):
        report.attention.append(notice)
    for job in JOB_NAMES:
        outcome = by_job.get(job, {}).get(JobStatusTab.OUTCOME, "")
        if outcome and outcome != "ok":
            report.attention.append(f"{job}: last run {outcome}")
    failed = [r[OutboxTab.KEY] for r in tables[OUTBOX].records() if r.get(OutboxTab.STATE) == "failed"]
    if failed:
        report.attention.append(f"{len(failed)} notification(s) failed: see the Outbox tab")
    pending = [r for r in tables[OUTBOX].records() if r.get(OutboxTab.STATE) == "pending"]
    if pending:
        report.attention.append(f"{len(pending)} notification(s) waiting to be sent")
    needs = [
        r.get(MeetingsTab.MEETING, "")
        for r in tables[MEETINGS].records()
        if r.get(MeetingsTab.STATUS) == NEEDS_SCHEDULING
    ]
    if needs:
        report.attention.append(f"{len(needs)} meeting(s) need scheduling: {', '.join(needs[:10])}")
    overdue = [
        r.get(InterventionsTab.CASE_ID, "")
        for r in tables[INTERVENTIONS].records()
        if r.get(InterventionsTab.STATUS) == OVERDUE
    ]
    if overdue:
        report.attention.append(f"{len(overdue)} end summary(ies) overdue: {', '.join(overdue[:10])}")
    waiting = [
        r for r in tables[INTAKE_ISSUES].records() if not r.get(IntakeIssuesTab.RESOLUTION, "").strip()
    ]
    if waiting:
        report.attention.append(f"{len(waiting)} intake issue(s) waiting for a coordinator")
    return report


def held_open_notice(ctx: Context) -> str:
    """A sentence when a desktop program has held the register open for long (else empty)."""
    held = ctx.workbook.held_open()
    if held is None or ctx.clock() - held.since <= HELD_LONG:
        return ""
    return (
        held.describe("The register")
        + " The jobs keep their work in the journal and write it to the register once it is closed."
    )


def record_failure(ctx: Context, job: str, error: str, seconds: float) -> None:
    """Record a failed run on the Job status tab: its time, ``failed: <error>`` and its duration.

    The counts of an earlier run are cleared, as they are not this run's. Raises whatever the
    register raises: the caller decides what a failure to record means.
    """
    values: dict[str, str] = {
        JobStatusTab.LAST_RUN: format_time(ctx.now()),
        JobStatusTab.OUTCOME: f"{FAILED_PREFIX}{error}",
        JobStatusTab.DURATION: f"{seconds:.1f}",
        JobStatusTab.COUNTS: "",
    }
    with ctx.workbook.session():
        recorded = ctx.workbook.read([JOB_STATUS])[JOB_STATUS].column(JobStatusTab.JOB)
        if job in (name.strip() for name in recorded):
            batch = WriteBatch(updates=[Update(JOB_STATUS, JobStatusTab.JOB, job, values)])
        else:
            batch = WriteBatch(appends=[Append(JOB_STATUS, {JobStatusTab.JOB: job, **values})])
        ctx.workbook.write(batch)
