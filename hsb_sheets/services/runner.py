"""Running jobs by name: timing, one log line per run, and the lease that stops runs overlapping.

One job's failure never stops the others: a failed job is logged, recorded on the Job status tab,
and the run goes on; the run then fails naming each job that failed.
"""

from __future__ import annotations

import contextlib
import logging
import time
import traceback
from collections.abc import Callable, Iterator, Sequence
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

from hsb_sheets.adapters.google_auth_errors import TOKEN_ERRORS, explain_token_error
from hsb_sheets.adapters.lease.base import Finishing, Lease, LeaseBusy
from hsb_sheets.adapters.workbook.base import Append, WriteBatch
from hsb_sheets.adapters.workbook.journaled import previewing
from hsb_sheets.errors import HsbError
from hsb_sheets.logs import log
from hsb_sheets.services.collection import collection_held
from hsb_sheets.services.context import Context
from hsb_sheets.services.digest import run_digest
from hsb_sheets.services.intake import run_intake
from hsb_sheets.services.meetings import run_meetings
from hsb_sheets.services.notifications import unaudited_sends
from hsb_sheets.services.overview import overview_batch
from hsb_sheets.services.reminders import run_reminders
from hsb_sheets.services.retention import run_retention
from hsb_sheets.services.status import record_failure

JOBS: dict[str, Callable[..., Any]] = {
    "intake": run_intake,
    "meetings": run_meetings,
    "reminders": run_reminders,
    "digest": run_digest,
    "retention": run_retention,
}
LEASE_POLL_SECONDS = 10.0


@dataclass
class JobOutcome:
    """What one job run did: its report and the counts every summary of it shows."""

    job: str
    seconds: float
    counts: dict[str, int]
    report: Any


class JobFailed(HsbError):
    """One job failed; ``error`` says why, in words without personal data."""

    def __init__(self, job: str, error: str, seconds: float) -> None:
        super().__init__(f"{job}: {error}")
        self.job, self.error, self.seconds = job, error, seconds


class JobsFailed(HsbError):
    """Some jobs of a run failed (the others ran): one message naming each and its error."""

    def __init__(self, failures: Sequence[JobFailed], outcomes: Sequence[JobOutcome]) -> None:
        ran = len(failures) + len(outcomes)
        others = ", the others ran" if outcomes else ""
        lines = "".join(f"\n  {failure}" for failure in failures)
        super().__init__(f"{len(failures)} of {ran} job(s) failed{others}:{lines}")
        self.failures, self.outcomes = list(failures), list(outcomes)


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


def internal_error(problem: Exception) -> str:
    """An unexpected exception in words safe to log: its type and where it was raised, never its text
    (which may quote a value from the register)."""
    frames = traceback.extract_tb(problem.__traceback__)
    where = f" at {Path(frames[-1].filename).name}:{frames[-1].lineno}" if frames else ""
    return f"internal error {type(problem).__name__}{where} (a fault in hsb-sheets: please report it)"


def run_job(ctx: Context, name: str, *, dry_run: bool = False) -> JobOutcome:
    """Run one job and log one line with its counts and duration.

    JobFailed if it failed (with any exception but KeyboardInterrupt and SystemExit); the failure is
    logged, and recorded on the Job status tab unless this is a dry run.
    """
    started = time.monotonic()
    try:
        if name == "intake" and ctx.pull_responses is not None and not dry_run:
            pulled = ctx.pull_responses(ctx)  # responses read by the Forms API join the tab first
            log("responses pulled", job=name, responses=pulled)
        try:
            with previewing(ctx.workbook, dry_run):  # a dry run restores nothing either
                report = JOBS[name](ctx, dry_run=dry_run)
        except TOKEN_ERRORS as problem:  # an adapter that did not explain it (the worker must go on)
            raise explain_token_error(problem) from None
    except HsbError as problem:
        raise _failed(ctx, name, str(problem), started, dry_run) from problem
    except Exception as problem:  # a bug must not stop the other jobs, nor log personal data
        raise _failed(ctx, name, internal_error(problem), started, dry_run) from problem
    outcome = JobOutcome(name, round(time.monotonic() - started, 2), counts_of(report), report)
    log("job finished", job=name, seconds=outcome.seconds, dry_run=dry_run, **outcome.counts)
    return outcome


def _failed(ctx: Context, name: str, error: str, started: float, dry_run: bool) -> JobFailed:
    """Log a failed job and record it on the Job status tab (best effort: the register may be the fault)."""
    seconds = round(time.monotonic() - started, 2)
    log("job failed", logging.ERROR, job=name, seconds=seconds, error=error)
    if not dry_run:
        try:
            record_failure(ctx, name, error, seconds)
        except Exception as problem:  # never mask the job's own error
            reason = str(problem) if isinstance(problem, HsbError) else internal_error(problem)
            log("job status not recorded", logging.WARNING, job=name, reason=reason)
    return JobFailed(name, error, seconds)


def watch_job(ctx: Context, name: str, watcher: Watcher, *, dry_run: bool = False) -> JobOutcome:
    """Run one job with the watcher told as it starts and ends."""
    with watcher.running(name):
        outcome = run_job(ctx, name, dry_run=dry_run)
    watcher.finished(outcome)
    return outcome


@contextlib.contextmanager
def hold_waiting(
    lease: Lease, wait: float = 0.0, sleep: Callable[[float], object] = time.sleep
) -> Iterator[None]:
    """Hold the lease, trying again for up to ``wait`` seconds while another process holds it."""
    deadline = time.monotonic() + wait
    with contextlib.ExitStack() as stack:
        while True:
            try:
                stack.enter_context(lease.hold())
                break
            except LeaseBusy:
                left = deadline - time.monotonic()
                if left <= 0:
                    raise
                sleep(min(LEASE_POLL_SECONDS, left))
        yield


def finish_run(ctx: Context, final: WriteBatch) -> None:
    """The run's last write: every job's Job status row, with the lease's release where it can join.

    A failure is logged, not raised: the jobs' own work is written already.
    """
    try:
        if isinstance(ctx.lease, Finishing):
            ctx.lease.finish(final)
        else:
            ctx.workbook.write(final)
    except HsbError as problem:
        log("job status not recorded", logging.WARNING, reason=str(problem))


def _unaudited(ctx: Context, final: WriteBatch) -> list[Append]:
    """The Audit log lines of earlier sends that never landed (logged, not raised, if unreadable)."""
    try:
        return unaudited_sends(ctx, final)
    except HsbError as problem:
        log("missing audit lines not checked", logging.WARNING, reason=str(problem))
        return []


def run_jobs(
    ctx: Context,
    names: Sequence[str] = (),
    *,
    dry_run: bool = False,
    watcher: Watcher | None = None,
    wait: float = 0.0,
    sleep: Callable[[float], object] = time.sleep,
) -> list[JobOutcome]:
    """Run the named jobs (all of them when none are named) in order, holding the run lease once.

    Every job runs even if an earlier one failed; JobsFailed at the end names each that did. Each
    job's Job status row is written once, as the run ends (with the lease's release, on Google).
    ``wait`` is how long to wait for another process's run to end (LeaseBusy after that).
    """
    outcomes: list[JobOutcome] = []
    failures: list[JobFailed] = []
    with collection_held(), hold_waiting(ctx.lease, wait, sleep):
        ctx.deferred = WriteBatch()
        try:
            for name in names or tuple(JOBS):
                try:
                    outcomes.append(watch_job(ctx, name, watcher or Quiet(), dry_run=dry_run))
                except JobFailed as failure:
                    failures.append(failure)
        finally:
            final, ctx.deferred = ctx.deferred, None
        if not dry_run:  # the Overview joins the run's last write: no request of its own
            final.extend(overview_batch(ctx))
            final.appends[:0] = _unaudited(ctx, final)  # sends an earlier run stopped before logging
        finish_run(ctx, final)
    if failures:
        raise JobsFailed(failures, outcomes)
    return outcomes
