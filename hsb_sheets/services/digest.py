"""The digest job: on working days, one morning email per area to its coordinators."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field

from hsb_sheets.adapters.workbook.base import WriteBatch
from hsb_sheets.domain.directory import parse_directory
from hsb_sheets.domain.outbox_keys import OutboxKey
from hsb_sheets.domain.tabs import DIRECTORY, OUTBOX, SETTINGS, OutboxTab
from hsb_sheets.domain.working_days import WorkingCalendar
from hsb_sheets.services.audit import audit
from hsb_sheets.services.context import Context
from hsb_sheets.services.notifications import DeliveryReport, deliver_pending, queue_key
from hsb_sheets.services.policy import read_policy
from hsb_sheets.services.reports import delivery_counts

JOB = "digest"


@dataclass
class DigestReport:
    """What one digest run did."""

    queued: list[str] = field(default_factory=list)
    skipped: str = ""
    delivery: DeliveryReport = field(default_factory=DeliveryReport)
    planned: WriteBatch = field(default_factory=WriteBatch)
    dry_run: bool = False

    def counts(self) -> dict[str, int]:
        """The numbers this run is summarised by (the log line, Job status and the command line)."""
        return {"queued": len(self.queued), **delivery_counts(self.delivery)}


def run_digest(
    ctx: Context, *, dry_run: bool = False, sleep: Callable[[float], None] = time.sleep
) -> DigestReport:
    """Queue today's digest for each area's coordinators (once per day), then send."""
    started = time.monotonic()
    report = DigestReport(dry_run=dry_run)
    with ctx.workbook.session():
        tables = ctx.workbook.read([DIRECTORY, SETTINGS, OUTBOX])
        policy = read_policy(tables[SETTINGS])
        today = ctx.now().date()
        if not WorkingCalendar(ctx.timezone, policy.office_opens, policy.office_closes).is_working_day(today):
            report.skipped = "not a working day"
            return report
        directory = parse_directory(tables[DIRECTORY].records())
        queued = {key for key in tables[OUTBOX].column(OutboxTab.KEY) if key}
        batch = WriteBatch()
        for area in sorted({c.area for c in directory.contacts if c.role == "coordinator"}):
            for contact in directory.lookup(area, "coordinator"):
                key = OutboxKey.digest(area, today, contact.email)
                if str(key) in queued:
                    continue
                batch.appends.append(queue_key(key, "", "coordinator", contact.email, ctx.now()))
                report.queued.append(str(key))
        if report.queued:
            batch.appends.append(
                audit(ctx.now(), JOB, "digest queued", detail=f"{len(report.queued)} email(s)")
            )
        report.planned = batch
        if dry_run:
            return report
        ctx.workbook.write(batch)
        deliver_pending(ctx, policy, JOB, sleep=sleep, job_report=report, started=started)
        return report
