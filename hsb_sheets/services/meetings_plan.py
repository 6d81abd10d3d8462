"""The meetings job's plan: for each Meetings row, what the calendar is to be asked, decided up front.

Planning reads the tabs and asks the calendar only who is busy. Each row gets one step: invite
(make the event), move it to a coordinator's agreed start, cancel it, mark it Needs scheduling,
wait for a calendar that could not be asked, or only correct a register value. A slot the plan
chooses is held in the busy index at once, so later rows in the same run do not clash with it.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta

from hsb_sheets.adapters.calendar.base import CalendarError, MeetingEvent
from hsb_sheets.domain.dates import DateFormatError, parse_timestamp
from hsb_sheets.domain.directory import Directory, resolve_invitees
from hsb_sheets.domain.meetings import (
    CANCELLED,
    INVITED,
    NEEDS_SCHEDULING,
    RESCHEDULED,
    event_id,
    label,
    meeting_reference,
)
from hsb_sheets.domain.slots import BusyIndex, SlotRequest, book, find_slot
from hsb_sheets.domain.tabs import MeetingsTab, ReferralsTab
from hsb_sheets.domain.working_days import WorkingCalendar
from hsb_sheets.services.context import Context
from hsb_sheets.services.policy import Policy

CANCELLATION_SENT = "Cancellation sent"
AGREED_START_UNREADABLE = "'Agreed start' is not a date and time (use DD/MM/YYYY HH:MM)"


@dataclass(frozen=True)
class Invite:
    """Make the event and invite its attendees; ``proposed`` is the start the plan chose."""

    event: MeetingEvent
    proposed: datetime
    area: str
    unknown: tuple[str, ...] = ()  # invitees whose free/busy the calendar could not read


@dataclass(frozen=True)
class Move:
    """Move an invited meeting to a coordinator's agreed start (one revision later)."""

    event: MeetingEvent


@dataclass(frozen=True)
class Cancel:
    """Tell the attendees that a coordinator cancelled the meeting."""

    event: MeetingEvent


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


CalendarStep = Invite | Move | Cancel
Step = Invite | Move | Cancel | NeedsScheduling | Wait | SetValues | None


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

    def local_time(self, text: str) -> datetime | None:
        """A time typed in the sheet (en-GB or ISO), in the service's time zone."""
        try:
            return parse_timestamp(text, self.policy.date_locale).replace(tzinfo=self.ctx.timezone)
        except DateFormatError:
            return None

    def shown(self, moment: datetime) -> str:
        """A time as the Meetings tab shows it."""
        return moment.astimezone(self.ctx.timezone).strftime("%Y-%m-%d %H:%M")

    def event(
        self, row: Mapping[str, str], start: datetime, attendees: tuple[str, ...], sequence: int
    ) -> MeetingEvent:
        """The invitation: the case id, meeting type, time and register link. Nothing about the child."""
        context = {
            "label": label(row[MeetingsTab.TYPE]),
            "case_id": row[MeetingsTab.CASE_ID],
            "when": start.astimezone(self.ctx.timezone).strftime("%A %d %B %Y, %H:%M"),
            "register_link": self.policy.register_link,
            "service_name": self.policy.service_name,
        }
        number = int(row[MeetingsTab.MEETING].rsplit("-", 1)[1])
        return MeetingEvent(
            event_id=row.get(MeetingsTab.EVENT_ID)
            or event_id(row[MeetingsTab.CASE_ID], number, self.ctx.register_id or self.policy.register_id),
            summary=self.ctx.templates.render("invite/summary.j2", **context).strip(),
            description=self.ctx.templates.render("invite/description.j2", **context),
            start=start,
            end=start + self.length,
            attendees=attendees,
            sequence=sequence,
        )

    def plan(
        self, referrals: Mapping[str, Mapping[str, str]], meetings: Iterable[Mapping[str, str]]
    ) -> list[RowPlan]:
        """A step for each case needing its first meeting, then for each row of the Meetings tab."""
        rows = list(meetings)
        for row in rows:  # every booked meeting makes its attendees busy
            start = self.local_time(row.get(MeetingsTab.EVENT_START, ""))
            if start is not None and row.get(MeetingsTab.STATUS) != CANCELLED:
                book(self.busy, split_list(row.get(MeetingsTab.ATTENDEES, "")), start, self.length)
        have = {row[MeetingsTab.CASE_ID] for row in rows}
        plans: list[RowPlan] = []
        for case_id, referral in referrals.items():
            if referral.get(ReferralsTab.MEETING) and case_id not in have:
                new = self.new_row(case_id, referral)
                plans.append(RowPlan(new, _schedule(self, new, referral), new=True))
        for row in rows:
            if row.get(MeetingsTab.STATUS, "") in ("", NEEDS_SCHEDULING) and not row.get(
                MeetingsTab.EVENT_ID
            ):
                plans.append(RowPlan(row, _schedule(self, row, referrals.get(row[MeetingsTab.CASE_ID]))))
            else:
                plans.append(RowPlan(row, _follow_sheet(self, row)))
        return plans

    def new_row(self, case_id: str, referral: Mapping[str, str]) -> dict[str, str]:
        """The Meetings row for a case's first meeting, before it is scheduled."""
        return {
            MeetingsTab.CASE_ID: case_id,
            MeetingsTab.MEETING: meeting_reference(case_id, 1),
            MeetingsTab.TYPE: referral[ReferralsTab.MEETING],
            MeetingsTab.REQUESTED: self.shown(self.now),
            MeetingsTab.DURATION: str(self.policy.meeting_minutes),
            MeetingsTab.INVITEES: referral.get(ReferralsTab.INVITEES, ""),
        }


def _schedule(planner: Planner, row: Mapping[str, str], referral: Mapping[str, str] | None) -> Step:
    """Resolve the invitees and take the agreed start or the earliest time they are all free."""
    if referral is None:
        return NeedsScheduling("", "the case is no longer on the Referrals tab")
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
    unknown: list[str] = []
    start = _start(planner, row, attendees, area, unknown)
    if not isinstance(start, datetime):
        return start
    book(planner.busy, attendees, start, planner.length)
    return Invite(planner.event(row, start, attendees, 0), start, area, tuple(unknown))


def _start(
    planner: Planner, row: Mapping[str, str], attendees: tuple[str, ...], area: str, unknown: list[str]
) -> datetime | NeedsScheduling | Wait:
    """A coordinator's agreed start, else the first slot in the window when every invitee is free.

    Invitees whose free/busy the calendar could not read are added to ``unknown``.
    """
    if row.get(MeetingsTab.AGREED_START, "").strip():
        agreed = planner.local_time(row[MeetingsTab.AGREED_START])
        return agreed if agreed is not None else NeedsScheduling(area, AGREED_START_UNREADABLE)
    policy = planner.policy
    window = (
        policy.strategy_window if row[MeetingsTab.TYPE] == "strategy_discussion" else policy.planning_window
    )
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
    start = find_slot(
        planner.work, SlotRequest(attendees, earliest, latest_end, planner.length), planner.busy
    )
    if start is None:
        return NeedsScheduling(
            area,
            f"no time when every invitee is free within {window} working days "
            f"(by {planner.shown(latest_end)})",
        )
    return start


def _follow_sheet(planner: Planner, row: Mapping[str, str]) -> Step:
    """A coordinator's cancellation or new agreed time for an invited meeting, if there is one."""
    current = planner.local_time(row.get(MeetingsTab.EVENT_START, ""))
    if current is None:
        return None
    sequence = int(row.get(MeetingsTab.SEQUENCE) or 0)
    attendees = split_list(row.get(MeetingsTab.ATTENDEES, ""))
    status = row.get(MeetingsTab.STATUS)
    if status == CANCELLED:
        if row.get(MeetingsTab.LAST_SENT, "").startswith(CANCELLATION_SENT):
            return None
        return Cancel(planner.event(row, current, attendees, sequence))
    agreed_text = row.get(MeetingsTab.AGREED_START, "").strip()
    if status not in (INVITED, RESCHEDULED) or not agreed_text:
        return None
    agreed = planner.local_time(agreed_text)
    if agreed is None:
        unchanged = row.get(MeetingsTab.REASON) == AGREED_START_UNREADABLE
        return None if unchanged else SetValues({MeetingsTab.REASON: AGREED_START_UNREADABLE})
    if agreed == current:
        return None
    moved = planner.event(row, agreed, attendees, sequence).moved(agreed, agreed + planner.length)
    return Move(moved)
