"""The meetings job's plan: for each Meetings row, what the calendar is to be asked, decided up front.

Planning reads the tabs and asks the calendar only who is busy. Each row gets one step: invite
(make the event), move it to a coordinator's agreed start, cancel it, resend an invitation the row
recorded but a stopped run never confirmed (:mod:`meetings_cells`), mark it Needs scheduling, wait
for a calendar that could not be asked, refuse a cell it cannot use (a reason on the row), or only
correct a register value. A slot the plan chooses is held in the busy index at once, so later rows
in the same run do not clash with it. No row stops the plan: each bad cell stays on its row.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta

from hsb_sheets.adapters.calendar.base import CalendarError, MeetingEvent
from hsb_sheets.domain.cells import CellProblem, echo, read_date_time
from hsb_sheets.domain.dates import DateFormatError, parse_timestamp
from hsb_sheets.domain.directory import Directory, resolve_invitees
from hsb_sheets.domain.meetings import (
    CANCELLED,
    INVITED,
    NEEDS_SCHEDULING,
    RESCHEDULED,
    event_id,
    meeting_reference,
)
from hsb_sheets.domain.slots import BusyIndex, SlotRequest, book, find_slot
from hsb_sheets.domain.tabs import MeetingsTab, ReferralsTab
from hsb_sheets.domain.working_days import WorkingCalendar
from hsb_sheets.services.context import Context
from hsb_sheets.services.meetings_cells import (
    BLANK_CASE,
    CANCELLATION,
    INVITATION,
    UPDATE,
    case_of,
    duration,
    is_unreadable_reason,
    meeting_number,
    pending_kind,
    pending_was,
    sequence,
)
from hsb_sheets.services.messages import invite_text
from hsb_sheets.services.policy import Policy

CANCELLATION_SENT = "Cancellation sent"


@dataclass(frozen=True)
class Invite:
    """Make the event and invite its attendees; ``proposed`` is the start the plan chose.

    ``resend`` marks an invitation the row already records as pending: it is sent as recorded.
    """

    event: MeetingEvent
    proposed: datetime
    area: str
    unknown: tuple[str, ...] = ()  # invitees whose free/busy the calendar could not read
    resend: bool = False


@dataclass(frozen=True)
class Move:
    """Move an invited meeting to a coordinator's agreed start (one revision later)."""

    event: MeetingEvent
    resend: bool = False


@dataclass(frozen=True)
class Cancel:
    """Tell the attendees that a coordinator cancelled the meeting (one revision later)."""

    event: MeetingEvent
    resend: bool = False


@dataclass(frozen=True)
class NeedsScheduling:
    """Mark the row Needs scheduling and tell the area's coordinators why (once per reason)."""

    area: str
    reason: str


@dataclass(frozen=True)
class Wait:
    """The calendar could not be asked who is free; the next run tries again."""

    action: str
    detail: str


@dataclass(frozen=True)
class SetValues:
    """No calendar call: only register values change."""

    values: Mapping[str, str]


@dataclass(frozen=True)
class Refuse:
    """A cell the job cannot use: the reason goes on the row (and the audit log) once; nothing is sent."""

    reason: str


@dataclass(frozen=True)
class Skip:
    """A row no write can address (its Meeting reference is blank or on two rows): reported only."""

    problem: str


CalendarStep = Invite | Move | Cancel
Step = Invite | Move | Cancel | NeedsScheduling | Wait | SetValues | Refuse | Skip | None


@dataclass(frozen=True)
class RowPlan:
    """One Meetings row (as read, or as this run adds it) and its step."""

    row: Mapping[str, str]
    step: Step
    new: bool = False


def split_list(text: str) -> tuple[str, ...]:
    """The items of a comma-separated cell."""
    return tuple(part.strip() for part in text.split(",") if part.strip())


class Planner:
    """What planning needs: the policy, the Directory, the clock and the busy index it fills."""

    def __init__(self, ctx: Context, policy: Policy, directory: Directory) -> None:
        self.ctx = ctx
        self.policy = policy
        self.directory = directory
        self.work = WorkingCalendar(ctx.timezone, policy.office_opens, policy.office_closes)
        self.now = ctx.clock().astimezone(ctx.timezone)
        self.length = timedelta(minutes=policy.meeting_minutes)
        self.busy = BusyIndex()
        self.area = ctx.form.field("child_area").column
        self.school = ctx.form.field("school_or_setting").column
        self.lead = ctx.form.field("lead_professional_email").column
        self.linked: dict[str, tuple[str, ...]] = {}  # each case's linked case ids, for its invitations

    def local_time(self, text: str) -> datetime | None:
        """A time the job wrote in the sheet (en-GB or ISO), in the service's time zone."""
        try:
            return parse_timestamp(text, self.policy.date_locale).replace(tzinfo=self.ctx.timezone)
        except DateFormatError:
            return None

    def agreed_start(self, row: Mapping[str, str]) -> datetime | None:
        """A coordinator's agreed start; CellProblem if it is unreadable or no plausible time."""
        agreed = read_date_time(
            MeetingsTab.AGREED_START, row.get(MeetingsTab.AGREED_START, ""), self.policy.date_locale
        )
        return None if agreed is None else agreed.replace(tzinfo=self.ctx.timezone)

    def minutes(self, row: Mapping[str, str]) -> timedelta:
        """The row's meeting length (Duration, else the Settings default); CellProblem if unreadable."""
        return timedelta(minutes=duration(row, self.policy.meeting_minutes))

    def shown(self, moment: datetime) -> str:
        """A time as the Meetings tab shows it."""
        return moment.astimezone(self.ctx.timezone).strftime("%Y-%m-%d %H:%M")

    def event(
        self,
        row: Mapping[str, str],
        start: datetime,
        attendees: tuple[str, ...],
        revision: int,
        *,
        change: str = INVITATION,
        was: datetime | None = None,
    ) -> MeetingEvent:
        """The invitation: the case id, meeting type, time and register link. Nothing about the child.

        ``change`` says what is sent (invitation, update from ``was``, cancellation of ``start``).
        """
        linked = self.linked.get(row[MeetingsTab.CASE_ID].strip(), ())
        summary, description = invite_text(
            self.ctx, self.policy, row, start, change=change, was=was, linked=linked
        )
        made = row.get(MeetingsTab.EVENT_ID) or event_id(
            row[MeetingsTab.CASE_ID], meeting_number(row), self.ctx.register_id or self.policy.register_id
        )
        return MeetingEvent(
            event_id=made,
            summary=summary,
            description=description,
            start=start,
            end=start + self.minutes(row),
            attendees=attendees,
            sequence=revision,
        )

    def plan(
        self,
        referrals: Mapping[str, Mapping[str, str]],
        meetings: Iterable[Mapping[str, str]],
        wanted: Collection[str] = (),
        requested: Iterable[Mapping[str, str]] = (),
    ) -> list[RowPlan]:
        """A step for each case needing a meeting, then for each row of the Meetings tab.

        A case needs one when it has none yet, or when it is in ``wanted`` (its decision now needs
        a meeting of a type it has no live row of: :mod:`hsb_sheets.services.case_changes`).
        ``requested`` are further new Meetings rows (a team around the child a decision asked for).
        """
        rows = list(meetings)
        for row in rows:  # every booked meeting makes its attendees busy
            self.book_row(row)
        self.linked = {
            case_id: split_list(referral.get(ReferralsTab.LINKED_WITH, ""))
            for case_id, referral in referrals.items()
        }
        have = {case_of(row) for row in rows}
        asked_for = list(requested)
        numbered = rows + asked_for  # a meeting a decision asked for this run holds its number too
        plans: list[RowPlan] = []
        for case_id, referral in referrals.items():
            if referral.get(ReferralsTab.MEETING) and (case_id not in have or case_id in wanted):
                new = self.new_row(case_id, referral, _next_number(case_id, numbered))
                plans.append(RowPlan(new, self.step(new, referrals), new=True))
        for asked in asked_for:
            plans.append(RowPlan(asked, self.step(asked, referrals), new=True))
        references = Counter(row.get(MeetingsTab.MEETING, "").strip() for row in rows)
        for row in rows:
            reference = row.get(MeetingsTab.MEETING, "").strip()
            if not reference or references[reference] > 1:
                problem = (
                    f"Meeting '{echo(reference)}' is on {references[reference]} rows: give each its own"
                    if reference
                    else "a Meetings row has no Meeting reference"
                )
                plans.append(RowPlan(row, Skip(problem)))
                continue
            plans.append(RowPlan(row, self.step(row, referrals)))
        return plans

    def book_row(self, row: Mapping[str, str]) -> None:
        """Hold a booked meeting's time for its attendees (a row that cannot be read holds nothing)."""
        start = self.local_time(row.get(MeetingsTab.EVENT_START, ""))
        if start is None or row.get(MeetingsTab.STATUS) == CANCELLED:
            return
        try:
            length = self.minutes(row)
        except CellProblem:
            length = self.length
        book(self.busy, split_list(row.get(MeetingsTab.ATTENDEES, "")), start, length)

    def step(self, row: Mapping[str, str], referrals: Mapping[str, Mapping[str, str]]) -> Step:
        """The row's step; a cell that cannot be used gives the row its reason instead."""
        referral = referrals.get(row.get(MeetingsTab.CASE_ID, "").strip())
        scheduling = row.get(MeetingsTab.STATUS, "") in ("", NEEDS_SCHEDULING) and not row.get(
            MeetingsTab.EVENT_ID
        )
        try:
            if not row.get(MeetingsTab.CASE_ID, "").strip():
                raise CellProblem(BLANK_CASE)
            kind = pending_kind(row)
            if kind is not None:
                return _resend(self, row, kind, referral)
            if scheduling:
                return _schedule(self, row, referral)
            return _follow_sheet(self, row)
        except CellProblem as problem:
            reason = problem.reason
        except (ValueError, ArithmeticError, LookupError) as problem:  # one row never stops the job
            reason = f"Cannot read this row ({type(problem).__name__}): check its cells"
        if scheduling and referral is not None:
            return NeedsScheduling(referral.get(self.area, ""), reason)
        return Refuse(reason)

    def new_row(self, case_id: str, referral: Mapping[str, str], number: int = 1) -> dict[str, str]:
        """The Meetings row for a case's next meeting (its first, unless given), before it is scheduled."""
        return {
            MeetingsTab.CASE_ID: case_id,
            MeetingsTab.MEETING: meeting_reference(case_id, number),
            MeetingsTab.TYPE: referral[ReferralsTab.MEETING],
            MeetingsTab.REQUESTED: self.shown(self.now),
            MeetingsTab.DURATION: str(self.policy.meeting_minutes),
            MeetingsTab.INVITEES: referral.get(ReferralsTab.INVITEES, ""),
        }


def _next_number(case_id: str, rows: Iterable[Mapping[str, str]]) -> int:
    """One more than the highest meeting number the case's rows use (1 for its first meeting)."""
    numbers = [0]
    for row in rows:
        if case_of(row) == case_id:
            try:
                numbers.append(meeting_number(row))
            except CellProblem:
                continue
    return max(numbers) + 1


def _schedule(planner: Planner, row: Mapping[str, str], referral: Mapping[str, str] | None) -> Step:
    """Resolve the invitees and take the agreed start or the earliest time they are all free."""
    if referral is None:
        return NeedsScheduling("", "the case is no longer on the Referrals tab")
    meeting_number(row)  # a reference without its number cannot name the event
    area = referral.get(planner.area, "")
    invitees = resolve_invitees(
        split_list(row.get(MeetingsTab.INVITEES, "")),
        area,
        referral.get(planner.school, ""),
        referral.get(planner.lead, ""),
        planner.directory,
    )
    if invitees.reasons:
        return NeedsScheduling(area, "; ".join(invitees.reasons))
    attendees = invitees.addresses
    length = planner.minutes(row)
    unknown: list[str] = []
    start = _start(planner, row, attendees, area, length, unknown)
    if not isinstance(start, datetime):
        return start
    book(planner.busy, attendees, start, length)
    return Invite(planner.event(row, start, attendees, 0), start, area, unknown=tuple(unknown))


def _start(
    planner: Planner,
    row: Mapping[str, str],
    attendees: tuple[str, ...],
    area: str,
    length: timedelta,
    unknown: list[str],
) -> datetime | NeedsScheduling | Wait:
    """A coordinator's agreed start, else the first slot in the window when every invitee is free.

    Invitees whose free/busy the calendar could not read are added to ``unknown``.
    """
    agreed = planner.agreed_start(row)
    if agreed is not None:
        return agreed
    policy = planner.policy
    window = policy.window(row[MeetingsTab.TYPE])
    requested = planner.local_time(row.get(MeetingsTab.REQUESTED, "")) or planner.now
    earliest = max(planner.now + timedelta(hours=policy.lead_hours), requested)
    latest_end = planner.work.window_end(requested, window)
    try:
        found = planner.ctx.calendar.busy(attendees, earliest, latest_end)
        unknown.extend(found.unknown)
        for address, times in found.items():
            for busy_start, busy_end in times:
                planner.busy.add(address, busy_start, busy_end)
    except CalendarError as problem:
        return Wait("free/busy unavailable", str(problem))
    start = find_slot(planner.work, SlotRequest(attendees, earliest, latest_end, length), planner.busy)
    if start is None:
        return NeedsScheduling(
            area,
            f"no time when every invitee is free within {window} working days "
            f"(by {planner.shown(latest_end)})",
        )
    return start


def _resend(planner: Planner, row: Mapping[str, str], kind: str, referral: Mapping[str, str] | None) -> Step:
    """The invitation the row recorded before a stopped run could confirm it: exactly as recorded."""
    recorded = row.get(MeetingsTab.EVENT_START, "")
    start = planner.local_time(recorded)
    if start is None:
        raise CellProblem(
            f"Cannot read Event start '{echo(recorded)}': the recorded invitation cannot be resent; "
            "clear Last sent and Event ID to schedule the meeting again"
        )
    attendees, revision = split_list(row.get(MeetingsTab.ATTENDEES, "")), sequence(row)
    if kind == INVITATION:
        proposed = planner.local_time(row.get(MeetingsTab.PROPOSED_START, "")) or start
        event = planner.event(row, start, attendees, revision)
        return Invite(event, proposed, (referral or {}).get(planner.area, ""), resend=True)
    if kind == UPDATE:
        was = planner.local_time(pending_was(row))
        return Move(planner.event(row, start, attendees, revision, change=UPDATE, was=was), resend=True)
    return Cancel(planner.event(row, start, attendees, revision, change=CANCELLATION), resend=True)


def _follow_sheet(planner: Planner, row: Mapping[str, str]) -> Step:
    """A coordinator's cancellation or new agreed time for an invited meeting, if there is one."""
    current = planner.local_time(row.get(MeetingsTab.EVENT_START, ""))
    if current is None:
        return _clear(row)
    attendees = split_list(row.get(MeetingsTab.ATTENDEES, ""))
    status = row.get(MeetingsTab.STATUS)
    if status == CANCELLED:
        if row.get(MeetingsTab.LAST_SENT, "").startswith(CANCELLATION_SENT):
            return _clear(row)
        return Cancel(planner.event(row, current, attendees, sequence(row) + 1, change=CANCELLATION))
    if status not in (INVITED, RESCHEDULED):
        return _clear(row)
    agreed = planner.agreed_start(row)
    if agreed is None or agreed == current:
        return _clear(row)
    return Move(planner.event(row, agreed, attendees, sequence(row) + 1, change=UPDATE, was=current))


def _clear(row: Mapping[str, str]) -> SetValues | None:
    """Nothing to send: clear a reason about a cell that has since been fixed."""
    return (
        SetValues({MeetingsTab.REASON: ""}) if is_unreadable_reason(row.get(MeetingsTab.REASON, "")) else None
    )
