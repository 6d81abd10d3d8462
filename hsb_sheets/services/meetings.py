"""The meetings job: a meeting for every decision that needs one, invitations sent exactly once.

Each run reads the tabs and plans a step for every meeting (:mod:`meetings_plan`): a new Meetings row
for each case whose decision has a meeting, an invitation at the agreed start or the earliest time
every invitee is free, a move or cancellation a coordinator typed in the sheet, or "Needs
scheduling" with the reason. Then it records on each row the invitation it is about to send (one
register write, made only when there is something to send), makes the calendar calls with exactly
those values, records what the calendar answered in one write batch, writes the register and tells
coordinators. A run stopped anywhere in between resends, on the next run, exactly what the rows
record (:mod:`meetings_cells`), so attendees always hold what the register says.
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

from hsb_sheets.adapters.calendar.base import Calendar, CalendarError, MeetingEvent
from hsb_sheets.adapters.workbook.base import Append, Table, Update, WriteBatch
from hsb_sheets.domain.directory import parse_directory
from hsb_sheets.domain.meetings import INVITED, NEEDS_SCHEDULING, RESCHEDULED, free_busy_unknown
from hsb_sheets.domain.outbox_keys import INVITE, OutboxKey
from hsb_sheets.domain.register_rows import format_time
from hsb_sheets.domain.tabs import (
    DIRECTORY,
    MEETINGS,
    NEXT_STEPS,
    OUTBOX,
    REFERRALS,
    ROUTING_RULES,
    SETTINGS,
    MeetingsTab,
    OutboxTab,
    ReferralsTab,
)
from hsb_sheets.services.audit import audit
from hsb_sheets.services.case_changes import WRITES, CaseChanges, plan_case_changes
from hsb_sheets.services.context import Context
from hsb_sheets.services.meetings_cells import CANCELLATION, INVITATION, UPDATE, pending_marker
from hsb_sheets.services.meetings_plan import (
    CANCELLATION_SENT,
    CalendarStep,
    Cancel,
    Invite,
    Move,
    NeedsScheduling,
    Planner,
    Refuse,
    RowPlan,
    SetValues,
    Skip,
    Wait,
)
from hsb_sheets.services.next_steps import StepPlanner
from hsb_sheets.services.notifications import SENT, DeliveryReport, deliver_pending, queue_key
from hsb_sheets.services.policy import read_policy
from hsb_sheets.services.rule_source import rules_from_tab

JOB = "meetings"
REQUEST, CANCEL = "REQUEST", "CANCEL"
Answer = MeetingEvent | CalendarError  # what the calendar held after a call, or why the call failed


@dataclass
class MeetingsReport:
    """What one meetings run did (or, in a dry run, would do)."""

    created: list[str] = field(default_factory=list)
    invited: list[str] = field(default_factory=list)
    needs_scheduling: list[str] = field(default_factory=list)
    rescheduled: list[str] = field(default_factory=list)
    cancelled: list[str] = field(default_factory=list)
    decided: list[str] = field(default_factory=list)  # cases decided again (override, facts now)
    waiting: list[str] = field(default_factory=list)
    invitations: list[str] = field(default_factory=list)  # Outbox keys of invitations the calendar sent
    problems: list[str] = field(default_factory=list)  # rows with a cell the job cannot use
    steps_created: list[str] = field(default_factory=list)  # Next steps Step IDs
    decisions_acted_on: list[str] = field(default_factory=list)  # "<meeting>: <decision>"
    delivery: DeliveryReport = field(default_factory=DeliveryReport)
    planned: WriteBatch = field(default_factory=WriteBatch)
    dry_run: bool = False

    def counts(self) -> dict[str, int]:
        """The numbers the run is summarised by, for the log, the Job status tab and the CLI."""
        return {
            "created": len(self.created),
            "invited": len(self.invited),
            "needs_scheduling": len(self.needs_scheduling),
            "rescheduled": len(self.rescheduled),
            "cancelled": len(self.cancelled),
            "calendar_waiting": len(self.waiting),
            "invitations_sent": len(self.invitations),
            "emails_sent": len(self.delivery.sent),
            "emails_failed": len(self.delivery.failed),
            "next_steps_created": len(self.steps_created),
            "decisions_acted_on": len(self.decisions_acted_on),
        }


def execute(calendar: Calendar, plans: list[RowPlan], dry_run: bool) -> list[Answer | None]:
    """Make the calendar calls the plan asks for, in order; a dry run takes each event as planned."""
    answers: list[Answer | None] = []
    for plan in plans:
        step = plan.step
        answers.append(_call(calendar, step, dry_run) if isinstance(step, CalendarStep) else None)
    return answers


def _call(calendar: Calendar, step: CalendarStep, dry_run: bool) -> Answer:
    if dry_run:
        return step.event
    try:
        if isinstance(step, Invite):
            return calendar.ensure(step.event)  # an event already made by a crashed run wins
        if isinstance(step, Move):
            return calendar.move(step.event)
        return calendar.cancel(step.event)
    except CalendarError as problem:
        return problem


class _Recorder:
    """Turns each planned step and the calendar's answer into register values, audit lines and Outbox rows.

    ``before`` is the write made ahead of the calendar calls (the invitations about to be sent);
    ``batch`` is the write after them (what the calendar answered, and every other row's values).
    """

    def __init__(self, planner: Planner, outbox_keys: set[str], report: MeetingsReport) -> None:
        self.planner = planner
        self.outbox_keys = outbox_keys
        self.report = report
        self.before = WriteBatch()
        self.batch = WriteBatch()
        self.recorded: dict[str, dict[str, str]] = {}  # rows as the write before the calls left them
        self.now = planner.now.replace(tzinfo=None)

    def record_before(self, plan: RowPlan) -> None:
        """Write onto the row the invitation about to be sent, unless it already records it."""
        step, row = plan.step, plan.row
        if not isinstance(step, CalendarStep) or step.resend:
            return
        values = self.pending(row, step)
        meeting = row[MeetingsTab.MEETING]
        self.recorded[meeting] = {**row, **values}
        if plan.new:
            self.created(self.before, self.recorded[meeting])
            return
        self.before.updates.append(Update(MEETINGS, MeetingsTab.MEETING, meeting, values))

    def pending(self, row: Mapping[str, str], step: CalendarStep) -> dict[str, str]:
        """The cells that say exactly what is about to be sent, and that it is not yet confirmed."""
        shown, event = self.planner.shown, step.event
        minutes = str(int((event.end - event.start).total_seconds() // 60))
        values = {MeetingsTab.SEQUENCE: str(event.sequence)}
        if isinstance(step, Cancel):
            kind = CANCELLATION
        else:
            kind = INVITATION if isinstance(step, Invite) else UPDATE
            values |= {MeetingsTab.EVENT_START: shown(event.start), MeetingsTab.DURATION: minutes}
        if isinstance(step, Invite):
            values |= {
                MeetingsTab.EVENT_ID: event.event_id,
                MeetingsTab.PROPOSED_START: shown(step.proposed),
                MeetingsTab.ATTENDEES: ", ".join(event.attendees),
            }
        was = row.get(MeetingsTab.EVENT_START, "") if kind == UPDATE else ""
        values[MeetingsTab.LAST_SENT] = pending_marker(kind, shown(self.planner.now), was)
        return {k: v for k, v in values.items() if row.get(k, "") != v}

    def record(self, plan: RowPlan, answer: Answer | None) -> None:
        """The row's writes: a new Meetings row, or an update of the values that changed."""
        meeting = plan.row[MeetingsTab.MEETING]
        row = self.recorded.get(meeting, plan.row)
        values = self.values(plan, row, answer)
        if plan.new and meeting not in self.recorded:
            self.created(self.batch, {**row, **values})
            return
        changed = {k: v for k, v in values.items() if row.get(k, "") != v}
        if changed:
            self.batch.updates.append(Update(MEETINGS, MeetingsTab.MEETING, meeting, changed))

    def created(self, batch: WriteBatch, added: dict[str, str]) -> None:
        """A new Meetings row, audited."""
        self.report.created.append(added[MeetingsTab.MEETING])
        batch.appends.append(Append(MEETINGS, added))
        batch.appends.append(
            audit(
                self.now,
                JOB,
                "meeting requested",
                added[MeetingsTab.CASE_ID],
                detail=added[MeetingsTab.MEETING],
            )
        )

    def values(self, plan: RowPlan, row: Mapping[str, str], answer: Answer | None) -> dict[str, str]:
        """The row's new values after its step; audit lines and Outbox rows go to the batch."""
        step = plan.step
        if isinstance(step, NeedsScheduling):
            return self.needs(row, step.area, step.reason)
        if isinstance(step, Wait):
            self.report.waiting.append(row[MeetingsTab.MEETING])
            self.audit(step.action, row[MeetingsTab.CASE_ID], step.detail)
            return {}
        if isinstance(step, SetValues):
            return dict(step.values)
        if isinstance(step, Refuse | Skip):
            return self.refused(row, step)
        if step is None or answer is None:
            return {}
        if isinstance(answer, CalendarError):
            return self.failed(row, step, answer)
        if isinstance(step, Invite):
            return self.invited(row, step, answer)
        if isinstance(step, Move):
            return self.moved(row, answer)
        return self.cancelled(row, answer)

    def refused(self, row: Mapping[str, str], step: Refuse | Skip) -> dict[str, str]:
        """A cell the job cannot use: its reason on the row and in the audit log, once."""
        if isinstance(step, Skip):
            if step.problem not in self.report.problems:  # once for all the rows that share it
                self.report.problems.append(step.problem)
            return {}
        self.report.problems.append(f"{row[MeetingsTab.MEETING]}: {step.reason}")
        if step.reason == row.get(MeetingsTab.REASON, ""):
            return {}
        self.audit(
            "meeting cell unreadable",
            row.get(MeetingsTab.CASE_ID, ""),
            f"{row[MeetingsTab.MEETING]}: {step.reason}",
        )
        return {MeetingsTab.REASON: step.reason}

    def status(self, row: Mapping[str, str], status: str) -> dict[str, str]:
        """A job's status for the row, unless a coordinator has since made it Cancelled or Held."""
        ours = ("", NEEDS_SCHEDULING, INVITED, RESCHEDULED)
        return {MeetingsTab.STATUS: status} if row.get(MeetingsTab.STATUS, "") in ours else {}

    def invited(self, row: Mapping[str, str], step: Invite, event: MeetingEvent) -> dict[str, str]:
        """The calendar made the event (or held it already, from a crashed run)."""
        shown = self.planner.shown
        self.report.invited.append(row[MeetingsTab.MEETING])
        self.record_invite(row, event, REQUEST)
        self.audit(
            "meeting invitations sent",
            row[MeetingsTab.CASE_ID],
            f"{row[MeetingsTab.MEETING]} at {shown(event.start)}",
        )
        return {
            **self.status(row, INVITED),
            MeetingsTab.PROPOSED_START: shown(step.proposed),
            MeetingsTab.EVENT_START: shown(event.start),
            MeetingsTab.ATTENDEES: ", ".join(event.attendees),
            MeetingsTab.EVENT_ID: event.event_id,
            MeetingsTab.SEQUENCE: str(event.sequence),
            MeetingsTab.LAST_SENT: shown(self.planner.now),
            MeetingsTab.REASON: free_busy_unknown(step.unknown),
        }

    def moved(self, row: Mapping[str, str], event: MeetingEvent) -> dict[str, str]:
        """The calendar moved the meeting and told its attendees."""
        shown = self.planner.shown
        self.report.rescheduled.append(row[MeetingsTab.MEETING])
        self.record_invite(row, event, REQUEST)
        self.audit(
            "meeting rescheduled",
            row[MeetingsTab.CASE_ID],
            f"{row[MeetingsTab.MEETING]} to {shown(event.start)}",
        )
        return {
            **self.status(row, RESCHEDULED),
            MeetingsTab.EVENT_START: shown(event.start),
            MeetingsTab.SEQUENCE: str(event.sequence),
            MeetingsTab.LAST_SENT: shown(self.planner.now),
            MeetingsTab.REASON: "",
        }

    def cancelled(self, row: Mapping[str, str], event: MeetingEvent) -> dict[str, str]:
        """The calendar cancelled the meeting and told its attendees."""
        self.report.cancelled.append(row[MeetingsTab.MEETING])
        self.record_invite(row, event, CANCEL)
        self.audit("meeting cancelled", row[MeetingsTab.CASE_ID], row[MeetingsTab.MEETING])
        return {
            MeetingsTab.SEQUENCE: str(event.sequence),
            MeetingsTab.LAST_SENT: f"{CANCELLATION_SENT} {self.planner.shown(self.planner.now)}",
        }

    def failed(self, row: Mapping[str, str], step: CalendarStep, problem: CalendarError) -> dict[str, str]:
        """A refused invitation needs scheduling afresh; anything else stays recorded and is resent."""
        if isinstance(step, Invite):
            if not problem.transient:
                # Nothing went: forget the recorded invitation so that the meeting is scheduled again.
                forget = (MeetingsTab.EVENT_ID, MeetingsTab.EVENT_START, MeetingsTab.ATTENDEES)
                cleared = {column: "" for column in (*forget, MeetingsTab.SEQUENCE, MeetingsTab.LAST_SENT)}
                return cleared | self.needs(row, step.area, f"the calendar refused the invitation: {problem}")
            self.report.waiting.append(row[MeetingsTab.MEETING])
            return {}
        self.report.waiting.append(row[MeetingsTab.MEETING])
        self.audit("calendar unavailable", row[MeetingsTab.CASE_ID], str(problem))
        return {}

    def needs(self, row: Mapping[str, str], area: str, reason: str) -> dict[str, str]:
        """Mark a meeting Needs scheduling and tell the area's coordinators (once per reason)."""
        meeting, case_id = row[MeetingsTab.MEETING], row[MeetingsTab.CASE_ID]
        self.report.needs_scheduling.append(meeting)
        if reason != row.get(MeetingsTab.REASON, ""):
            digest = hashlib.sha256(reason.encode()).hexdigest()[:10]
            for contact in self.planner.directory.lookup(area, "coordinator"):
                key = OutboxKey.needs_scheduling(meeting, digest, contact.email)
                if str(key) not in self.outbox_keys:
                    self.batch.appends.append(queue_key(key, case_id, "coordinator", contact.email, self.now))
            self.audit("meeting needs scheduling", case_id, f"{meeting}: {reason}")
        return {**self.status(row, NEEDS_SCHEDULING), MeetingsTab.REASON: reason}

    def record_invite(self, row: Mapping[str, str], event: MeetingEvent, method: str) -> None:
        """An Outbox line for an invitation the calendar sent (the ledger of what went out)."""
        key = str(OutboxKey.invite(event.event_id, event.sequence, method))
        if key in self.outbox_keys:
            return
        self.outbox_keys.add(key)
        self.report.invitations.append(key)
        self.batch.appends.append(
            Append(
                OUTBOX,
                {
                    OutboxTab.KEY: key,
                    OutboxTab.CASE_ID: row[MeetingsTab.CASE_ID],
                    OutboxTab.KIND: INVITE if method == REQUEST else f"{INVITE}_cancel",
                    OutboxTab.RECIPIENT_ROLE: "invitees",
                    OutboxTab.RECIPIENT: ", ".join(event.attendees),
                    OutboxTab.STATE: SENT,
                    OutboxTab.CREATED_AT: format_time(self.now),
                    OutboxTab.SENT_AT: format_time(self.now),
                    OutboxTab.MESSAGE_ID: event.event_id,
                },
            )
        )

    def audit(self, action: str, case_id: str, detail: str = "") -> None:
        """An Audit log line for this run."""
        self.batch.appends.append(audit(self.now, JOB, action, case_id, detail=detail))


def case_changes(ctx: Context, tables: Mapping[str, Table], report: MeetingsReport) -> CaseChanges:
    """The coordinators' changes to cases (route override, facts now, linked cases), planned.

    A register not set up since the columns this step writes were added is told to run setup, and
    its meetings are planned as the register stands.
    """
    referrals = tables[REFERRALS]
    missing = [column for column in WRITES if column not in referrals.header]
    if missing:
        report.problems.append(f"the Referrals tab has no '{missing[0]}' column: run 'hsb-sheets setup'")
        return CaseChanges({}, list(tables[MEETINGS].records()))
    changes = plan_case_changes(
        ctx.form,
        lambda: rules_from_tab(ctx.form, tables[ROUTING_RULES]),
        referrals.records(),
        tables[MEETINGS].records(),
        ctx.now(),
    )
    report.decided += changes.decided
    report.problems += changes.problems
    return changes


def run_meetings(
    ctx: Context, *, dry_run: bool = False, sleep: Callable[[float], None] = time.sleep
) -> MeetingsReport:
    """Plan every meeting, record the invitations, make the calendar calls, record what they did, notify.

    A run with invitations to send writes the register twice: once before the calendar calls
    (what is about to be sent) and once after (what was sent); a run with none writes once.
    """
    started = time.monotonic()
    with ctx.workbook.session():
        tables = ctx.workbook.read(
            [REFERRALS, MEETINGS, DIRECTORY, SETTINGS, OUTBOX, NEXT_STEPS, ROUTING_RULES]
        )
        policy = read_policy(tables[SETTINGS])
        planner = Planner(ctx, policy, parse_directory(tables[DIRECTORY].records()))
        report = MeetingsReport(dry_run=dry_run)
        changes = case_changes(ctx, tables, report)  # before meetings: they follow the decision now
        referrals = changes.by_case or {
            r[ReferralsTab.CASE_ID]: r for r in tables[REFERRALS].records() if r.get(ReferralsTab.CASE_ID)
        }  # a register whose Referrals tab setup has yet to repair: its cases as they stand
        rows = changes.meetings
        steps = StepPlanner(ctx.form, policy, planner.work, planner.now, JOB).plan(
            referrals, rows, tables[NEXT_STEPS].records()
        )
        plans = planner.plan(referrals, rows, changes.wanted, steps.meetings)
        report.steps_created, report.decisions_acted_on = steps.created, steps.acted
        report.problems.extend(steps.problems)
        recorder = _Recorder(planner, {key for key in tables[OUTBOX].column(OutboxTab.KEY) if key}, report)
        recorder.before.extend(changes.batch)  # written with (or as) the write before any calendar call
        if not dry_run:
            for plan in plans:
                recorder.record_before(plan)
            if recorder.before:
                ctx.workbook.write(recorder.before)  # before any calendar call: what is about to be sent
        answers = execute(ctx.calendar, plans, dry_run)
        for plan, answer in zip(plans, answers, strict=True):
            recorder.record(plan, answer)
        recorder.batch.extend(steps.batch)
        report.planned = WriteBatch(changes.batch.appends + recorder.batch.appends)
        report.planned.updates = changes.batch.updates + recorder.batch.updates
        if dry_run:
            return report
        ctx.workbook.write(recorder.batch)
        report.delivery = deliver_pending(ctx, policy, JOB, sleep=sleep, job_report=report, started=started)
        return report
