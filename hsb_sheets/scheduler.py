"""APScheduler wiring for `hsb-sheets worker`: one cron job per job name, one run at a time."""

from __future__ import annotations

import signal
from types import FrameType

from apscheduler.schedulers.blocking import BlockingScheduler
from apscheduler.triggers.cron import CronTrigger

from hsb_sheets.config import Settings
from hsb_sheets.errors import HsbError
from hsb_sheets.logs import log
from hsb_sheets.services.context import Context
from hsb_sheets.services.runner import JOBS, run_job


def tick(ctx: Context, job: str) -> None:
    """One scheduled run: hold the lease, run the job; a failure is logged and the worker goes on."""
    try:
        with ctx.lease.hold():
            run_job(ctx, job)
    except HsbError as problem:  # logged by run_job, or the lease was busy: try at the next tick
        log("job skipped", job=job, reason=str(problem).split(";")[0])


def build_scheduler(settings: Settings, ctx: Context) -> BlockingScheduler:
    """A blocking scheduler with explicit job ids, coalesced missed runs and one instance per job."""
    scheduler = BlockingScheduler(timezone=settings.service.timezone)
    for job in JOBS:
        trigger = CronTrigger.from_crontab(
            getattr(settings.schedule, job), timezone=settings.service.timezone
        )
        scheduler.add_job(
            tick,
            trigger,
            args=(ctx, job),
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
    scheduler = build_scheduler(settings, ctx)

    def stop(signum: int, _: FrameType | None) -> None:
        log("worker stopping", signal=signal.Signals(signum).name)
        scheduler.shutdown(wait=True)

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    log("worker started", jobs=",".join(JOBS), timezone=settings.service.timezone)
    scheduler.start()
    log("worker stopped")
