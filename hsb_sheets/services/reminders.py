"""The reminders job: end summaries due, reminders and escalations queued once and sent once.

For each intervention a coordinator entered, the job works out the due date and status, queues the
reminders that apply today in the Outbox (their keys make each one unique), writes the register
once, then sends what is queued. Today is the date in the service's time zone, whatever the
server's own zone. A date the job cannot use stays on its row with a reason (*Last reminder*) and
one audit line, and every other row is worked; an End date of 31/12/9999 (any year from 9000) is
read as "no end date yet".
"""

from __future__ import annotations

import re
import time
from collections import Counter
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import date

from hsb_sheets.adapters.workbook.base import Update, WriteBatch
from hsb_sheets.domain.cells import (
    DATE_HINT,
    OPEN_ENDED_YEAR,
    CellProblem,
    cannot_read,
    plausible,
    read_date,
)
from hsb_sheets.domain.dates import DateFormatError, parse_date
from hsb_sheets.domain.directory import Directory, parse_directory
from hsb_sheets.domain.outbox_keys import OutboxKey
from hsb_sheets.domain.register_rows import format_time
from hsb_sheets.domain.reminders import (
    COMPLETE,
    OPEN,
    Reminder,
    intervention_status,
    recorded_late,
    reminders_due,
    summary_due,
)
from hsb_sheets.domain.tabs import (
    DIRECTORY,
    INTERVENTION_KEY,
    INTERVENTIONS,
    MEETINGS,
    NEXT_STEPS,
    OUTBOX,
    REFERRALS,
    SETTINGS,
    InterventionsTab,
    OutboxTab,
    ReferralsTab,
)
from hsb_sheets.domain.working_days import WorkingCalendar
from hsb_sheets.services.audit import audit
from hsb_sheets.services.context import Context
from hsb_sheets.services.notifications import DeliveryReport, deliver_pending, queue_key
from hsb_sheets.services.policy import Policy, read_policy
from hsb_sheets.services.step_escalations import plan_escalations

JOB = "reminders"
OPEN_ENDED = f"{OPEN} (no end date yet)"  # Status of an intervention whose End date is 31/12/9999 or the like
REVIEW_HINT = f"{DATE_HINT}, separated by commas"
UNREADABLE = "Cannot read "  # how every reason about a cell begins, so that a fixed cell clears it


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

    def counts(self) -> dict[str, int]:
        """The numbers the run is summarised by, for the log, the Job status tab and the CLI."""
        return {
            "queued": len(self.queued),
            "late": len(self.late),
            "problems": len(self.problems),
            "emails_sent": len(self.delivery.sent),
            "emails_failed": len(self.delivery.failed),
        }


@dataclass(frozen=True)
class RowDates:
    """An intervention's dates as the job can use them; ``open_ended`` when End date says "no end yet"."""

    end: date | None
    recorded: date | None
    reviews: tuple[date, ...]
    open_ended: bool = False


def _end_date(text: str, locale: str) -> tuple[date | None, bool]:
    """The End date, and whether it is a far-future date meaning "no end date yet" (31/12/9999)."""
    try:
        if parse_date(text, locale).year >= OPEN_ENDED_YEAR:
            return None, True
    except DateFormatError:
        pass  # read_date says what is wrong
    return read_date(InterventionsTab.END_DATE, text, locale), False


def row_dates(record: Mapping[str, str], locale: str) -> RowDates:
    """Every date the row's reminders depend on; CellProblem names the first that cannot be used."""
    read_date(InterventionsTab.START_DATE, record.get(InterventionsTab.START_DATE, ""), locale)
    end, open_ended = _end_date(record.get(InterventionsTab.END_DATE, "").strip(), locale)
    recorded = read_date(
        InterventionsTab.END_SUMMARY_RECORDED, record.get(InterventionsTab.END_SUMMARY_RECORDED, ""), locale
    )
    reviews = []
    for part in re.split(r"[,;\n]+", record.get(InterventionsTab.REVIEW_DATES, "")):
        if not part.strip():
            continue
        try:
            reviews.append(parse_date(part, locale))
        except DateFormatError:
            raise CellProblem(cannot_read(InterventionsTab.REVIEW_DATES, part, REVIEW_HINT)) from None
        if not plausible(reviews[-1]):
            raise CellProblem(cannot_read(InterventionsTab.REVIEW_DATES, part, REVIEW_HINT))
    return RowDates(end, recorded, tuple(reviews), open_ended)


def _key_of(record: Mapping[str, str]) -> tuple[str, str, str]:
    case_id, intervention, start = (record.get(c, "").strip() for c in INTERVENTION_KEY)
    return case_id, intervention, start


def run_reminders(
    ctx: Context, *, dry_run: bool = False, sleep: Callable[[float], None] = time.sleep
) -> RemindersReport:
    """Update due dates and statuses, queue today's reminders, write once, then send."""
    started = time.monotonic()
    with ctx.workbook.session():
        tables = ctx.workbook.read(
            [INTERVENTIONS, REFERRALS, DIRECTORY, SETTINGS, OUTBOX, NEXT_STEPS, MEETINGS]
        )
        policy = read_policy(tables[SETTINGS])
        directory = parse_directory(tables[DIRECTORY].records())
        run = _Run(ctx, policy, directory, tables[OUTBOX].column(OutboxTab.KEY), dry_run)
        referrals = tables[REFERRALS].keyed(ReferralsTab.CASE_ID)
        records = list(tables[INTERVENTIONS].records())
        keys = Counter(_key_of(r) for r in records)
        for record in records:
            key = _key_of(record)
            case_id, intervention, start = key
            if not case_id:
                continue
            if keys[key] > 1:
                run.report.problems.append(
                    f"{case_id}: two rows for {intervention} starting {start or '(blank)'}"
                )
                continue
            try:
                values = run.plan_row(record, referrals.get(case_id, {}))
            except (ValueError, ArithmeticError, LookupError) as problem:  # one row never stops the job
                values = run.hold(record, f"Cannot read this row ({type(problem).__name__}): check its cells")
            changed = {k: v for k, v in values.items() if record.get(k, "") != v}
            if changed:
                run.batch.updates.append(Update(INTERVENTIONS, INTERVENTION_KEY, key, changed))
        escalations = plan_escalations(
            tables[NEXT_STEPS].records(),
            tables[MEETINGS].records(),
            directory,
            run.work,
            run.now,
            run.queued,
            locale=policy.date_locale,
            job=JOB,
        )
        run.batch.extend(escalations.batch)
        report = run.report
        report.queued.extend(escalations.queued)
        report.problems.extend(escalations.problems)
        report.planned = run.batch
        if dry_run:
            return report
        ctx.workbook.write(run.batch)
        report.delivery = deliver_pending(ctx, policy, JOB, sleep=sleep, job_report=report, started=started)
        return report


class _Run:
    """One run's state: today, the Directory, the keys already queued, and the writes so far."""

    def __init__(
        self, ctx: Context, policy: Policy, directory: Directory, outbox_keys: list[str], dry_run: bool
    ) -> None:
        self.policy = policy
        self.work = WorkingCalendar(ctx.timezone, policy.office_opens, policy.office_closes)
        self.now = ctx.now()
        self.today = self.now.date()
        self.directory = directory
        self.queued = {key for key in outbox_keys if key}
        self.batch = WriteBatch()
        self.report = RemindersReport(dry_run=dry_run)
        self.area = ctx.form.field("child_area").column
        self.lead = ctx.form.field("lead_professional_email").column

    def plan_row(self, record: Mapping[str, str], referral: Mapping[str, str]) -> dict[str, str]:
        """The row's system values; appends reminders and audit entries to the batch.

        A date the job cannot use holds the row: its reason goes in *Last reminder* (and the audit
        log, once), no reminder is sent for it, and every other row is worked as usual.
        """
        case_id, intervention, _ = _key_of(record)
        try:
            dates = row_dates(record, self.policy.date_locale)
        except CellProblem as problem:
            return self.hold(record, problem.reason)
        end, recorded = dates.end, dates.recorded
        status = intervention_status(self.today, end, recorded)
        self.report.statuses[status] += 1
        if dates.open_ended and status == OPEN:
            status = OPEN_ENDED
        due = summary_due(end).isoformat() if end else ""
        values: dict[str, str] = {InterventionsTab.END_SUMMARY_DUE: due, InterventionsTab.STATUS: status}
        was = record.get(InterventionsTab.STATUS, "")
        if status == OPEN_ENDED and was != OPEN_ENDED:
            detail = f"{intervention}: End date read as no end date yet"
            self.batch.appends.append(audit(self.now, JOB, "end date open-ended", case_id, detail=detail))
        if status == COMPLETE and was != COMPLETE and recorded_late(end, recorded):
            self.report.late.append(case_id)
            detail = f"{intervention}; due {due}"
            self.batch.appends.append(
                audit(self.now, JOB, "end summary recorded late", case_id, detail=detail)
            )
        if record.get(InterventionsTab.LAST_REMINDER, "").startswith(UNREADABLE):
            values[InterventionsTab.LAST_REMINDER] = ""  # the cell it was about has been fixed
        for reminder in reminders_due(self.work, self.today, end, dates.reviews, recorded):
            last = self.queue(reminder, record, referral)
            if last:
                values[InterventionsTab.LAST_REMINDER] = last
        return values

    def hold(self, record: Mapping[str, str], reason: str) -> dict[str, str]:
        """A row the job cannot work: its reason on the row and in the audit log, once."""
        case_id, intervention, _ = _key_of(record)
        self.report.problems.append(f"{case_id}: {reason}")
        if record.get(InterventionsTab.LAST_REMINDER, "") == reason:
            return {}
        detail = f"{intervention}: {reason}"
        self.batch.appends.append(
            audit(self.now, JOB, "intervention cell unreadable", case_id, detail=detail)
        )
        return {InterventionsTab.LAST_REMINDER: reason}

    def queue(self, reminder: Reminder, record: Mapping[str, str], referral: Mapping[str, str]) -> str:
        """Queue one reminder unless it already is; the row's new Last reminder text, if any."""
        case_id, intervention, start = _key_of(record)
        recipients, role = self.recipients(reminder, record, referral)
        what = reminder.kind.replace("_", " ")
        if not recipients:
            missing = (
                "worker email" if reminder.recipient_role == "worker" else "service manager in the Directory"
            )
            self.report.problems.append(f"{case_id}: no {missing} for the {what} reminder")
            return f"Cannot send: no {missing}"
        key = OutboxKey.reminder(
            reminder.kind, case_id, intervention, start, reminder.due, role, reminder.send_on
        )
        if str(key) in self.queued:
            return ""
        self.queued.add(str(key))
        self.batch.appends.append(queue_key(key, case_id, role, ", ".join(recipients), self.now))
        self.report.queued.append(str(key))
        return f"{what} {format_time(self.now)}"

    def recipients(
        self, reminder: Reminder, record: Mapping[str, str], referral: Mapping[str, str]
    ) -> tuple[list[str], str]:
        """The addresses a reminder goes to and their role: the worker (and lead), or the managers."""
        if reminder.recipient_role == "worker":
            lead = referral.get(self.lead, "").strip()
            worker = record.get(InterventionsTab.WORKER_EMAIL, "").strip()
            recipients = [worker, lead] if worker and lead else [worker] if worker else []
            return recipients, "worker+lead_professional" if lead else "worker"
        managers = self.directory.lookup(referral.get(self.area, ""), "service_manager")
        return [c.email for c in managers], "service_manager"
