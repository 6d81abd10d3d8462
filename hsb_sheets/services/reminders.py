"""The reminders job: end summaries due, reminders and escalations queued once and sent once.

For each intervention a coordinator entered, the job works out the due date and status, queues the
reminders that apply today in the Outbox (their keys make each one unique), writes the register
once, then sends what is queued. Today is the date in the service's time zone, whatever the
server's own zone.
"""

from __future__ import annotations

import re
import time
from collections import Counter
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import date

from hsb_sheets.adapters.workbook.base import Update, WriteBatch
from hsb_sheets.domain.dates import DateFormatError, parse_date
from hsb_sheets.domain.directory import Directory, parse_directory
from hsb_sheets.domain.register_rows import format_time
from hsb_sheets.domain.reminders import (
    COMPLETE,
    intervention_status,
    recorded_late,
    reminders_due,
    summary_due,
)
from hsb_sheets.domain.tabs import CASE_ID, DIRECTORY, INTERVENTIONS, OUTBOX, REFERRALS, SETTINGS
from hsb_sheets.domain.working_days import WorkingCalendar
from hsb_sheets.services.audit import audit
from hsb_sheets.services.context import Context
from hsb_sheets.services.messages import INTERVENTION_KEY, REMINDER, reminder_key
from hsb_sheets.services.notifications import DeliveryReport, deliver_pending, queue
from hsb_sheets.services.policy import Policy, read_policy

JOB = "reminders"


@dataclass
class RemindersReport:
    """What one reminders run did (or, in a dry run, would do)."""

    queued: list[str] = field(default_factory=list)
    statuses: Counter[str] = field(default_factory=Counter)
    late: list[str] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    delivery: DeliveryReport = field(default_factory=DeliveryReport)
    planned: WriteBatch = field(default_factory=WriteBatch)
    dry_run: bool = False


class DateProblem(ValueError):
    """A coordinator's date that cannot be read; the message names the column."""


def _one_date(record: Mapping[str, str], column: str, policy: Policy) -> date | None:
    text = record.get(column, "").strip()
    if not text:
        return None
    try:
        return parse_date(text, policy.date_locale)
    except DateFormatError:
        raise DateProblem(f"'{column}' is not a date (use DD/MM/YYYY)") from None


def _review_dates(record: Mapping[str, str], policy: Policy) -> tuple[date, ...]:
    parts = [p for p in re.split(r"[,;\n]+", record.get("Review dates", "")) if p.strip()]
    try:
        return tuple(parse_date(p, policy.date_locale) for p in parts)
    except DateFormatError:
        raise DateProblem(
            "'Review dates' has an entry that is not a date (use DD/MM/YYYY, comma separated)"
        ) from None


def run_reminders(
    ctx: Context, *, dry_run: bool = False, sleep: Callable[[float], None] = time.sleep
) -> RemindersReport:
    """Update due dates and statuses, queue today's reminders, write once, then send."""
    started = time.monotonic()
    report = RemindersReport(dry_run=dry_run)
    with ctx.workbook.session():
        tables = ctx.workbook.read([INTERVENTIONS, REFERRALS, DIRECTORY, SETTINGS, OUTBOX])
        policy = read_policy(tables[SETTINGS])
        work = WorkingCalendar(ctx.timezone, policy.office_opens, policy.office_closes)
        now = ctx.now()
        today = now.date()
        directory = parse_directory(tables[DIRECTORY].records())
        referrals = {r[CASE_ID]: r for r in tables[REFERRALS].records() if r.get(CASE_ID)}
        queued = {key for key in tables[OUTBOX].column("Key") if key}
        records = list(tables[INTERVENTIONS].records())
        keys = Counter(tuple(r.get(c, "").strip() for c in INTERVENTION_KEY) for r in records)
        batch = WriteBatch()
        for record in records:
            key = tuple(record.get(c, "").strip() for c in INTERVENTION_KEY)
            case_id, intervention, start = key
            if not case_id:
                continue
            if keys[key] > 1:
                report.problems.append(
                    f"{case_id}: two rows for {intervention} starting {start or '(blank)'}"
                )
                continue
            values = _plan_row(
                ctx, policy, work, today, record, referrals.get(case_id, {}), directory, queued, batch, report
            )
            changed = {k: v for k, v in values.items() if record.get(k, "") != v}
            if changed:
                batch.updates.append(Update(INTERVENTIONS, INTERVENTION_KEY, key, changed))
        report.planned = batch
        if dry_run:
            return report
        ctx.workbook.write(batch)
        counts = {"queued": len(report.queued), "late": len(report.late), "problems": len(report.problems)}
        report.delivery = deliver_pending(ctx, policy, JOB, sleep=sleep, counts=counts, started=started)
        return report


def _plan_row(
    ctx: Context,
    policy: Policy,
    work: WorkingCalendar,
    today: date,
    record: Mapping[str, str],
    referral: Mapping[str, str],
    directory: Directory,
    queued: set[str],
    batch: WriteBatch,
    report: RemindersReport,
) -> dict[str, str]:
    """The row's system values; appends reminders and audit entries to the batch."""
    case_id, intervention, start = (record.get(c, "").strip() for c in INTERVENTION_KEY)
    now = ctx.now()
    try:
        end = _one_date(record, "End date", policy)
        recorded = _one_date(record, "End summary recorded", policy)
        reviews = _review_dates(record, policy)
    except DateProblem as problem:
        report.problems.append(f"{case_id}: {problem}")
        return {"Last reminder": f"Check the dates: {problem}"}
    status = intervention_status(today, end, recorded)
    report.statuses[status] += 1
    values = {"End summary due": summary_due(end).isoformat() if end else "", "Status": status}
    if status == COMPLETE and record.get("Status", "") != COMPLETE and recorded_late(end, recorded):
        report.late.append(case_id)
        batch.appends.append(
            audit(
                now,
                JOB,
                "end summary recorded late",
                case_id,
                detail=f"{intervention}; due {values['End summary due']}",
            )
        )
    for reminder in reminders_due(work, today, end, reviews, recorded):
        if reminder.recipient_role == "worker":
            lead = referral.get("Lead professional email", "").strip()
            worker = record.get("Worker email", "").strip()
            recipients = [worker, lead] if worker and lead else [worker] if worker else []
            role = "worker+lead_professional" if lead else "worker"
        else:
            recipients = [c.email for c in directory.lookup(referral.get("Area", ""), "service_manager")]
            role = "service_manager"
        if not recipients:
            missing = (
                "worker email" if reminder.recipient_role == "worker" else "service manager in the Directory"
            )
            report.problems.append(
                f"{case_id}: no {missing} for the {reminder.kind.replace('_', ' ')} reminder"
            )
            values["Last reminder"] = f"Cannot send: no {missing}"
            continue
        key = reminder_key(reminder.kind, case_id, intervention, start, reminder.due, role, reminder.send_on)
        if key in queued:
            continue
        queued.add(key)
        subject = key.split("|", 1)[1]
        batch.appends.append(queue(REMINDER, subject, case_id, role, ", ".join(recipients), now))
        report.queued.append(key)
        values["Last reminder"] = f"{reminder.kind.replace('_', ' ')} {format_time(now)}"
    return values
