"""APScheduler wiring for `hsb-sheets worker`: one cron job per job name, one run at a time.

APScheduler runs each due job in a thread of its pool, so jobs whose times coincide start together.
They take turns: a job joins the worker's queue of due jobs, waits a moment for its siblings to join,
and whichever tick then holds the turn takes the lease once and runs every job queued by then, in the
order of ``JOBS`` (intake first, so the digest sees what intake registered). A job is
never skipped because a sibling holds the lease; the lease only keeps out other processes (a second
worker, a manual run), and a job waits up to ``lease_wait`` seconds for them before it is skipped.
"""

from __future__ import annotations

import contextlib
import logging
import signal
import threading
from types import FrameType

from apscheduler.schedulers.blocking import BlockingScheduler
from apscheduler.triggers.cron import CronTrigger

from hsb_sheets.config import Settings
from hsb_sheets.errors import HsbError
from hsb_sheets.logs import log
from hsb_sheets.services.collection import collection_held
from hsb_sheets.services.context import Context
from hsb_sheets.services.runner import JOBS, JobFailed, hold_waiting, internal_error, run_job

LEASE_WAIT_SECONDS = 300.0  # another process's run (a manual `run`) usually ends well within this
GATHER_SECONDS = 1.0  # APScheduler hands coinciding jobs to its pool within milliseconds of each other


class Turns:
    """The worker's jobs, one after another: coinciding ticks queue, and one turn runs them all."""

    def __init__(
        self, ctx: Context, lease_wait: float = LEASE_WAIT_SECONDS, gather: float = GATHER_SECONDS
    ) -> None:
        self.ctx = ctx
        self.lease_wait = lease_wait
        self.gather = gather
        self.stopping = threading.Event()  # set on shutdown: stop waiting for another process's lease
        self._turn = threading.Lock()
        self._queue_lock = threading.Lock()
        self._queued: set[str] = set()

    def tick(self, job: str) -> None:
        """One scheduled run of ``job``: queue it, then run the queue when it is this tick's turn."""
        with self._queue_lock:
            self._queued.add(job)
        self.stopping.wait(self.gather)  # let coinciding jobs join the queue, to run in their order
        with self._turn:
            with self._queue_lock:
                due = [name for name in JOBS if name in self._queued]
                self._queued.clear()
            try:
                self._run(due)  # empty when an earlier turn ran this tick's job already
            except Exception as problem:  # a fault outside any job: logged without personal data
                log("worker error", logging.ERROR, jobs=",".join(due), error=internal_error(problem))

    def _run(self, due: list[str]) -> None:
        """Run the due jobs under one hold of the lease; a failed job is logged and the others run."""
        if not due:
            return
        with contextlib.ExitStack() as stack:
            wait = 0.0 if self.stopping.is_set() else self.lease_wait
            stack.enter_context(collection_held())  # as run_jobs: see services/collection.py
            try:
                stack.enter_context(hold_waiting(self.ctx.lease, wait, self._nap))
            except HsbError as problem:  # another process's run went on too long, or the lease is unreadable
                self._skip(due, str(problem).split(";")[0])
                return
            for position, job in enumerate(due):
                if self.stopping.is_set():
                    self._skip(due[position:], "the worker is stopping; the job runs at its next time")
                    return
                with contextlib.suppress(JobFailed):  # logged and recorded on the Job status tab
                    run_job(self.ctx, job)

    @staticmethod
    def _skip(jobs: list[str], reason: str) -> None:
        for job in jobs:
            log("job skipped", logging.WARNING, job=job, reason=reason)

    def _nap(self, seconds: float) -> None:
        """Wait for another process's lease, cut short when the worker stops."""
        self.stopping.wait(seconds)


def build_scheduler(settings: Settings, ctx: Context, turns: Turns | None = None) -> BlockingScheduler:
    """A blocking scheduler with explicit job ids, coalesced missed runs and one instance per job,
    whose jobs take turns (``turns``, or new ones for ``ctx``)."""
    scheduler = BlockingScheduler(timezone=settings.service.timezone)
    turns = turns or Turns(ctx)
    for job in JOBS:
        trigger = CronTrigger.from_crontab(
            getattr(settings.schedule, job), timezone=settings.service.timezone
        )
        scheduler.add_job(
            turns.tick,
            trigger,
            args=(job,),
            id=f"hsb-sheets-{job}",
            name=job,
            coalesce=True,  # after downtime, one run catches up rather than a backlog
            max_instances=1,
            misfire_grace_time=3600,
            replace_existing=True,
        )
    return scheduler


def run_worker(settings: Settings, ctx: Context) -> None:
    """Run the jobs on their schedules until SIGTERM or SIGINT, finishing the running job first."""
    turns = Turns(ctx)
    scheduler = build_scheduler(settings, ctx, turns)

    def stop(signum: int, _: FrameType | None) -> None:
        log("worker stopping", signal=signal.Signals(signum).name)
        turns.stopping.set()  # the running job finishes; queued ones wait for their next time
        scheduler.shutdown(wait=True)

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    log("worker started", jobs=",".join(JOBS), timezone=settings.service.timezone)
    scheduler.start()
    log("worker stopped")
