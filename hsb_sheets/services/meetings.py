"""The meetings job: a meeting for every decision that needs one, invitations sent exactly once.

Each run: (1) adds a Meetings row for each case whose decision has a meeting; (2) resolves the
invitees' addresses from the Directory and books the earliest free slot inside the window, or marks
the row "Needs scheduling" with the reason and tells the area's coordinator; (3) follows a
coordinator's "Agreed start" or "Cancelled" in the sheet. Calendar calls come first and the register
is written once at the end: a crash in between is healed on the next run because the event id is
derived from the case and meeting number.
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from hsb_sheets.adapters.calendar.base import CalendarError, MeetingEvent
from hsb_sheets.adapters.workbook.base import Append, Update, WriteBatch
from hsb_sheets.domain.dates import DateFormatError, parse_timestamp
from hsb_sheets.domain.directory import Directory, parse_directory, resolve_invitees
from hsb_sheets.domain.meetings import (
    CANCELLED,
    INVITED,
    NEEDS_SCHEDULING,
    RESCHEDULED,
    event_id,
    meeting_reference,
)
from hsb_sheets.domain.register_rows import format_time
from hsb_sheets.domain.slots import BusyIndex, SlotRequest, book, find_slot
from hsb_sheets.domain.tabs import CASE_ID, DIRECTORY, MEETING, MEETINGS, OUTBOX, REFERRALS, SETTINGS
from hsb_sheets.domain.working_days import WorkingCalendar
from hsb_sheets.services.audit import audit
from hsb_sheets.services.context import Context
from hsb_sheets.services.messages import NEEDS_SCHEDULING_KIND, invite_text
from hsb_sheets.services.notifications import DeliveryReport, deliver_pending, queue
from hsb_sheets.services.policy import Policy, read_policy

JOB = "meetings"
CANCELLATION_SENT = "Cancellation sent"


@dataclass
class MeetingsReport:
    """What one meetings run did (or, in a dry run, would do)."""

    created: list[str] = field(default_factory=list)
    invited: list[str] = field(default_factory=list)
    needs_scheduling: list[str] = field(default_factory=list)
    rescheduled: list[str] = field(default_factory=list)
    cancelled: list[str] = field(default_factory=list)
    waiting: list[str] = field(default_factory=list)
    delivery: DeliveryReport = field(default_factory=DeliveryReport)
    planned: WriteBatch = field(default_factory=WriteBatch)
    dry_run: bool = False


def _split(text: str) -> tuple[str, ...]:
    return tuple(part.strip() for part in text.split(",") if part.strip())


class _Run:
    """One run's state: what was read, the busy index, and the writes collected so far."""

    def __init__(self, ctx: Context, policy: Policy, dry_run: bool) -> None:
        self.ctx = ctx
        self.policy = policy
        self.dry_run = dry_run
        self.work = WorkingCalendar(ctx.timezone, policy.office_opens, policy.office_closes)
        self.now = ctx.clock().astimezone(ctx.timezone)
        self.length = timedelta(minutes=policy.meeting_minutes)
        self.busy = BusyIndex()
        self.batch = WriteBatch()
        self.report = MeetingsReport(dry_run=dry_run)
        self.outbox_keys: set[str] = set()
        self.directory = Directory()

    # -- reading what the sheet holds ---------------------------------------------------------

    def local_time(self, text: str) -> datetime | None:
        """A time typed in the sheet (en-GB or ISO), in the service's time zone."""
        try:
            return parse_timestamp(text, self.policy.date_locale).replace(tzinfo=self.ctx.timezone)
        except DateFormatError:
            return None

    def shown(self, moment: datetime) -> str:
        return moment.astimezone(self.ctx.timezone).strftime("%Y-%m-%d %H:%M")

    def event(
        self, row: Mapping[str, str], start: datetime, attendees: tuple[str, ...], sequence: int
    ) -> MeetingEvent:
        """The invitation: the case id, meeting type, time and register link. Nothing about the child."""
        summary, description = invite_text(self.ctx, self.policy, row, start)
        return MeetingEvent(
            event_id=row.get("Event ID") or event_id(row[CASE_ID], int(row[MEETING].rsplit("-", 1)[1])),
            summary=summary,
            description=description,
            start=start,
            end=start + self.length,
            attendees=attendees,
            sequence=sequence,
        )

    # -- writing ----------------------------------------------------------------------------

    def record_invite(self, row: Mapping[str, str], event: MeetingEvent, method: str) -> None:
        """An Outbox line for an invitation the calendar sent (the ledger of what went out)."""
        key = f"invite|{event.event_id}|{event.sequence}|{method}"
        if key in self.outbox_keys:
            return
        self.outbox_keys.add(key)
        self.batch.appends.append(
            Append(
                OUTBOX,
                {
                    "Key": key,
                    CASE_ID: row[CASE_ID],
                    "Kind": "invite" if method == "REQUEST" else "invite_cancel",
                    "Recipient role": "invitees",
                    "Recipient": ", ".join(event.attendees),
                    "State": "sent",
                    "Created at": format_time(self.now.replace(tzinfo=None)),
                    "Sent at": format_time(self.now.replace(tzinfo=None)),
                    "Message ID": event.event_id,
                },
            )
        )

    def audit(self, action: str, case_id: str, detail: str = "") -> None:
        self.batch.appends.append(audit(self.now.replace(tzinfo=None), JOB, action, case_id, detail=detail))


def _needs(run: _Run, row: Mapping[str, str], area: str, reason: str) -> dict[str, str]:
    """Mark a meeting Needs scheduling and tell the area's coordinators (once per reason)."""
    run.report.needs_scheduling.append(row[MEETING])
    if reason != row.get("Reason", ""):
        digest = hashlib.sha256(reason.encode()).hexdigest()[:10]
        coordinators = run.directory.lookup(area, "coordinator")
        for contact in coordinators:
            subject = f"{row[MEETING]}|{digest}|{contact.email}"
            if f"{NEEDS_SCHEDULING_KIND}|{subject}" not in run.outbox_keys:
                run.batch.appends.append(
                    queue(
                        NEEDS_SCHEDULING_KIND,
                        subject,
                        row[CASE_ID],
                        "coordinator",
                        contact.email,
                        run.now.replace(tzinfo=None),
                    )
                )
        run.audit("meeting needs scheduling", row[CASE_ID], f"{row[MEETING]}: {reason}")
    return {"Status": NEEDS_SCHEDULING, "Reason": reason}


def _schedule(run: _Run, row: Mapping[str, str], referral: Mapping[str, str] | None) -> dict[str, str]:
    """Resolve invitees, find or take a time, and send the invitation. Returns the row's new values."""
    if referral is None:
        return _needs(run, row, "", "the case is no longer on the Referrals tab")
    area = referral.get("Area", "")
    invitees = resolve_invitees(
        _split(row.get("Invitees", "")),
        area,
        referral.get("School or setting", ""),
        referral.get("Lead professional email", ""),
        run.directory,
    )
    if invitees.reasons:
        return _needs(run, row, area, "; ".join(invitees.reasons))
    attendees = invitees.addresses
    start: datetime | None
    if row.get("Agreed start", "").strip():
        start = run.local_time(row["Agreed start"])
        if start is None:
            return _needs(run, row, area, "'Agreed start' is not a date and time (use DD/MM/YYYY HH:MM)")
    else:
        window = (
            run.policy.strategy_window if row["Type"] == "strategy_discussion" else run.policy.planning_window
        )
        requested = run.local_time(row.get("Requested", "")) or run.now
        earliest = max(run.now + timedelta(hours=run.policy.lead_hours), requested)
        latest_end = run.work.window_end(requested, window)
        try:
            for address, times in run.ctx.calendar.busy(attendees, earliest, latest_end).items():
                for busy_start, busy_end in times:
                    run.busy.add(address, busy_start, busy_end)
        except CalendarError as problem:
            run.report.waiting.append(row[MEETING])
            run.audit("free/busy unavailable", row[CASE_ID], str(problem))
            return {}
        start = find_slot(run.work, SlotRequest(attendees, earliest, latest_end, run.length), run.busy)
        if start is None:
            return _needs(
                run,
                row,
                area,
                f"no time when every invitee is free within {window} working days "
                f"(by {run.shown(latest_end)})",
            )
    event = run.event(row, start, attendees, 0)
    if not run.dry_run:
        try:
            event = run.ctx.calendar.ensure(event)  # an event already made by a crashed run wins
        except CalendarError as problem:
            if problem.transient:
                run.report.waiting.append(row[MEETING])
                return {}
            return _needs(run, row, area, f"the calendar refused the invitation: {problem}")
    book(run.busy, attendees, event.start, run.length)
    run.report.invited.append(row[MEETING])
    run.record_invite(row, event, "REQUEST")
    run.audit("meeting invitations sent", row[CASE_ID], f"{row[MEETING]} at {run.shown(event.start)}")
    return {
        "Status": INVITED,
        "Proposed start": run.shown(start),
        "Event start": run.shown(event.start),
        "Attendees": ", ".join(attendees),
        "Event ID": event.event_id,
        "Sequence": str(event.sequence),
        "Last sent": run.shown(run.now),
        "Reason": "",
    }


def _follow_sheet(run: _Run, row: Mapping[str, str]) -> dict[str, str]:
    """Apply a coordinator's cancellation or new agreed time to an invited meeting."""
    current = run.local_time(row.get("Event start", ""))
    if current is None:
        return {}
    sequence = int(row.get("Sequence") or 0)
    event = run.event(row, current, _split(row.get("Attendees", "")), sequence)
    try:
        if row.get("Status") == CANCELLED:
            if row.get("Last sent", "").startswith(CANCELLATION_SENT):
                return {}
            if not run.dry_run:
                event = run.ctx.calendar.cancel(event)
            run.report.cancelled.append(row[MEETING])
            run.record_invite(row, event, "CANCEL")
            run.audit("meeting cancelled", row[CASE_ID], row[MEETING])
            return {"Sequence": str(event.sequence), "Last sent": f"{CANCELLATION_SENT} {run.shown(run.now)}"}
        agreed_text = row.get("Agreed start", "").strip()
        if row.get("Status") not in (INVITED, RESCHEDULED) or not agreed_text:
            return {}
        agreed = run.local_time(agreed_text)
        if agreed is None:
            reason = "'Agreed start' is not a date and time (use DD/MM/YYYY HH:MM)"
            return {} if row.get("Reason") == reason else {"Reason": reason}
        if agreed == current:
            return {}
        moved = run.event(row, agreed, event.attendees, sequence).moved(agreed, agreed + run.length)
        if not run.dry_run:
            moved = run.ctx.calendar.move(moved)
    except CalendarError as problem:
        run.report.waiting.append(row[MEETING])
        run.audit("calendar unavailable", row[CASE_ID], str(problem))
        return {}
    run.report.rescheduled.append(row[MEETING])
    run.record_invite(row, moved, "REQUEST")
    run.audit("meeting rescheduled", row[CASE_ID], f"{row[MEETING]} to {run.shown(moved.start)}")
    return {
        "Status": RESCHEDULED,
        "Event start": run.shown(moved.start),
        "Sequence": str(moved.sequence),
        "Last sent": run.shown(run.now),
        "Reason": "",
    }


def run_meetings(
    ctx: Context, *, dry_run: bool = False, sleep: Callable[[float], None] = time.sleep
) -> MeetingsReport:
    """Create, schedule, reschedule and cancel meetings; write the register once; send coordinator notes."""
    started = time.monotonic()
    with ctx.workbook.session():
        tables = ctx.workbook.read([REFERRALS, MEETINGS, DIRECTORY, SETTINGS, OUTBOX])
        policy = read_policy(tables[SETTINGS])
        run = _Run(ctx, policy, dry_run)
        run.directory = parse_directory(tables[DIRECTORY].records())
        run.outbox_keys = {key for key in tables[OUTBOX].column("Key") if key}
        referrals = {r[CASE_ID]: r for r in tables[REFERRALS].records() if r.get(CASE_ID)}
        meetings = list(tables[MEETINGS].records())
        for row in meetings:  # every booked meeting makes its attendees busy
            start = run.local_time(row.get("Event start", ""))
            if start is not None and row.get("Status") != CANCELLED:
                book(run.busy, _split(row.get("Attendees", "")), start, run.length)
        have = {row[CASE_ID] for row in meetings}
        for case_id, referral in referrals.items():
            if referral.get("Meeting") and case_id not in have:
                row = {
                    CASE_ID: case_id,
                    MEETING: meeting_reference(case_id, 1),
                    "Type": referral["Meeting"],
                    "Requested": run.shown(run.now),
                    "Duration": str(policy.meeting_minutes),
                    "Invitees": referral.get("Invitees", ""),
                }
                row.update(_schedule(run, row, referral))
                run.report.created.append(row[MEETING])
                run.batch.appends.append(Append(MEETINGS, row))
                run.audit("meeting requested", case_id, row[MEETING])
        for row in meetings:
            if row.get("Status", "") in ("", NEEDS_SCHEDULING) and not row.get("Event ID"):
                values = _schedule(run, row, referrals.get(row[CASE_ID]))
            else:
                values = _follow_sheet(run, row)
            changed = {k: v for k, v in values.items() if row.get(k, "") != v}
            if changed:
                run.batch.updates.append(Update(MEETINGS, MEETING, row[MEETING], changed))
        run.report.planned = run.batch
        if dry_run:
            return run.report
        ctx.workbook.write(run.batch)
        r = run.report
        counts = {
            "created": len(r.created),
            "invited": len(r.invited),
            "needs_scheduling": len(r.needs_scheduling),
            "rescheduled": len(r.rescheduled),
            "cancelled": len(r.cancelled),
            "calendar_waiting": len(r.waiting),
        }
        run.report.delivery = deliver_pending(ctx, policy, JOB, sleep=sleep, counts=counts, started=started)
        return run.report
