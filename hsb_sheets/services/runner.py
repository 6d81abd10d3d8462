"""Running jobs by name: timing, one log line per run, and the lease that stops runs overlapping."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from hsb_sheets.adapters.google_auth_errors import TOKEN_ERRORS, explain_token_error
from hsb_sheets.errors import HsbError
from hsb_sheets.logs import log
from hsb_sheets.services.context import Context
from hsb_sheets.services.digest import DigestReport, run_digest
from hsb_sheets.services.intake import IntakeReport, run_intake
from hsb_sheets.services.meetings import MeetingsReport, run_meetings
from hsb_sheets.services.reminders import RemindersReport, run_reminders

JOBS: dict[str, Callable[..., Any]] = {
    "intake": run_intake,
    "meetings": run_meetings,
    "reminders": run_reminders,
    "digest": run_digest,
}


@dataclass
class JobOutcome:
    """What one job run did, for the log line and the command line."""

    job: str
    seconds: float
    counts: dict[str, int]
    report: Any


def counts_of(report: Any) -> dict[str, int]:
    """The numbers a run is summarised by (never personal data)."""
    if isinstance(report, IntakeReport):
        counts = {
            "registered": len(report.registered),
            "issues": report.issues,
            "already_ingested": report.already_ingested,
            "possible_duplicates": report.possible_duplicates,
        }
    elif isinstance(report, MeetingsReport):
        counts = {
            "created": len(report.created),
            "invited": len(report.invited),
            "needs_scheduling": len(report.needs_scheduling),
            "rescheduled": len(report.rescheduled),
            "cancelled": len(report.cancelled),
        }
    elif isinstance(report, RemindersReport):
        counts = {"queued": len(report.queued), "late": len(report.late), "problems": len(report.problems)}
    elif isinstance(report, DigestReport):
        counts = {"queued": len(report.queued)}
    else:
        counts = {}
    delivery = getattr(report, "delivery", None)
    if delivery is not None:
        counts.update(emails_sent=len(delivery.sent), emails_failed=len(delivery.failed))
    return counts


def run_job(ctx: Context, name: str, *, dry_run: bool = False) -> JobOutcome:
    """Run one job and log one line with its counts and duration (or why it failed)."""
    started = time.monotonic()
    try:
        if name == "intake" and ctx.pull_responses is not None and not dry_run:
            pulled = ctx.pull_responses(ctx)  # responses read by the Forms API join the tab first
            log("responses pulled", job=name, responses=pulled)
        try:
            report = JOBS[name](ctx, dry_run=dry_run)
        except TOKEN_ERRORS as problem:  # an adapter that did not explain it (the worker must go on)
            raise explain_token_error(problem) from None
    except HsbError as problem:
        log(
            "job failed",
            logging.ERROR,
            job=name,
            seconds=round(time.monotonic() - started, 2),
            error=str(problem),
        )
        raise
    outcome = JobOutcome(name, round(time.monotonic() - started, 2), counts_of(report), report)
    log("job finished", job=name, seconds=outcome.seconds, dry_run=dry_run, **outcome.counts)
    return outcome
