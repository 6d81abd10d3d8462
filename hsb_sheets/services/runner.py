"""Running jobs by name: timing, one log line per run, and the lease that stops runs overlapping."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Sequence
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass
from typing import Any, Protocol

from hsb_sheets.adapters.google_auth_errors import TOKEN_ERRORS, explain_token_error
from hsb_sheets.errors import HsbError
from hsb_sheets.logs import log
from hsb_sheets.services.context import Context
from hsb_sheets.services.digest import run_digest
from hsb_sheets.services.intake import run_intake
from hsb_sheets.services.meetings import run_meetings
from hsb_sheets.services.reminders import run_reminders

JOBS: dict[str, Callable[..., Any]] = {
    "intake": run_intake,
    "meetings": run_meetings,
    "reminders": run_reminders,
    "digest": run_digest,
}


@dataclass
class JobOutcome:
    """What one job run did: its report and the counts every summary of it shows."""

    job: str
    seconds: float
    counts: dict[str, int]
    report: Any


class Watcher(Protocol):
    """Hears of each job of a run as it goes (the command line shows a spinner and prints summaries)."""

    def running(self, job: str) -> AbstractContextManager[object]:
        """Entered while the job runs."""
        ...

    def finished(self, outcome: JobOutcome) -> None:
        """Called once the job has run."""
        ...


class Quiet:
    """A watcher that shows nothing."""

    def running(self, job: str) -> AbstractContextManager[object]:
        """Nothing to show."""
        return nullcontext()

    def finished(self, outcome: JobOutcome) -> None:
        """Nothing to show."""


def counts_of(report: Any) -> dict[str, int]:
    """The numbers a run is summarised by: the report's own ``counts()`` (never personal data)."""
    return dict(report.counts())


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


def watch_job(ctx: Context, name: str, watcher: Watcher, *, dry_run: bool = False) -> JobOutcome:
    """Run one job with the watcher told as it starts and ends."""
    with watcher.running(name):
        outcome = run_job(ctx, name, dry_run=dry_run)
    watcher.finished(outcome)
    return outcome


def run_jobs(
    ctx: Context, names: Sequence[str] = (), *, dry_run: bool = False, watcher: Watcher | None = None
) -> list[JobOutcome]:
    """Run the named jobs (all of them when none are named) in order, holding the run lease."""
    with ctx.lease.hold():
        return [watch_job(ctx, name, watcher or Quiet(), dry_run=dry_run) for name in names or tuple(JOBS)]
