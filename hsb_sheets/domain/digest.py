"""The coordinators' morning digest for one area: counts and case ids, never personal details."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, timedelta

from hsb_sheets.domain.dates import DateFormatError, parse_date, parse_timestamp
from hsb_sheets.domain.meetings import NEEDS_SCHEDULING
from hsb_sheets.domain.next_steps import DONE
from hsb_sheets.domain.reminders import COMPLETE, OVERDUE
from hsb_sheets.domain.tabs import (
    IntakeIssuesTab,
    InterventionsTab,
    MeetingsTab,
    NextStepsTab,
    OutboxTab,
    ReferralsTab,
)
from hsb_sheets.domain.working_days import WorkingCalendar

ROUTES = ("strategy_discussion", "early_help", "universal", "adult_services")
WEEKS = 12


@dataclass
class Digest:
    """What a coordinator needs to see this morning."""

    area: str
    day: date
    new_referrals: list[str] = field(default_factory=list)
    intake_issues: list[str] = field(default_factory=list)
    needs_scheduling: list[str] = field(default_factory=list)
    due_this_week: list[str] = field(default_factory=list)
    overdue: list[str] = field(default_factory=list)
    failed: list[str] = field(default_factory=list)
    weeks: list[date] = field(default_factory=list)  # Mondays, oldest first
    by_route: dict[str, list[int]] = field(default_factory=dict)  # route -> referrals per week
    since: date | None = None  # "new" means received on or after this day (the last working day)
    steps_due_this_week: list[str] = field(default_factory=list)  # "<case id> <step>", not done
    steps_overdue: list[str] = field(default_factory=list)


def _day(text: str) -> date | None:
    try:
        return parse_timestamp(text).date()
    except DateFormatError:
        try:
            return parse_date(text)
        except DateFormatError:
            return None


def build_digest(
    area: str,
    today: date,
    work: WorkingCalendar,
    referrals: Iterable[Mapping[str, str]],
    intake_issues: Iterable[Mapping[str, str]],
    meetings: Iterable[Mapping[str, str]],
    interventions: Iterable[Mapping[str, str]],
    outbox: Iterable[Mapping[str, str]],
    *,
    area_column: str,
    next_steps: Iterable[Mapping[str, str]] = (),
) -> Digest:
    """Collect the area's digest. "New" means received since the previous working day began.

    ``area_column`` is the Referrals column holding the form's area answer.
    """
    digest = Digest(area, today)
    since = today - timedelta(days=1)
    while not work.is_working_day(since):
        since -= timedelta(days=1)
    digest.since = since
    monday = today - timedelta(days=today.weekday())
    digest.weeks = [monday - timedelta(weeks=n) for n in range(WEEKS - 1, -1, -1)]
    counts: Counter[tuple[str, date]] = Counter()
    cases_in_area: set[str] = set()
    for referral in referrals:
        if referral.get(area_column, "").casefold() != area.casefold():
            continue
        case_id = referral.get(ReferralsTab.CASE_ID, "")
        cases_in_area.add(case_id)
        received = _day(referral.get(ReferralsTab.RECEIVED, ""))
        if received is None:
            continue
        if since <= received <= today:
            digest.new_referrals.append(case_id)
        week = received - timedelta(days=received.weekday())
        counts[(referral.get(ReferralsTab.ROUTE, ""), week)] += 1
    digest.by_route = {route: [counts[(route, week)] for week in digest.weeks] for route in ROUTES}
    digest.intake_issues = [
        i.get(IntakeIssuesTab.RESPONSE_ID, "")
        for i in intake_issues
        if not i.get(IntakeIssuesTab.RESOLUTION, "").strip()
    ]
    digest.needs_scheduling = [
        m.get(MeetingsTab.MEETING, "")
        for m in meetings
        if m.get(MeetingsTab.STATUS) == NEEDS_SCHEDULING and m.get(MeetingsTab.CASE_ID, "") in cases_in_area
    ]
    sunday = monday + timedelta(days=6)
    for row in interventions:
        case_id = row.get(InterventionsTab.CASE_ID, "")
        if case_id not in cases_in_area or row.get(InterventionsTab.STATUS) == COMPLETE:
            continue
        due = _day(row.get(InterventionsTab.END_SUMMARY_DUE, ""))
        if row.get(InterventionsTab.STATUS) == OVERDUE:
            digest.overdue.append(case_id)
        elif due is not None and monday <= due <= sunday:
            digest.due_this_week.append(case_id)
    digest.failed = [
        f"{o.get(OutboxTab.KIND, '')} {o.get(OutboxTab.CASE_ID, '')}".strip()
        for o in outbox
        if o.get(OutboxTab.STATE) == "failed"
        and (not o.get(OutboxTab.CASE_ID) or o.get(OutboxTab.CASE_ID) in cases_in_area)
    ]
    _steps(digest, next_steps, monday)
    return digest


def _steps(digest: Digest, steps: Iterable[Mapping[str, str]], monday: date) -> None:
    """The area's next steps not done: due this week (from today), and overdue (due before today)."""
    for row in steps:
        if row.get(NextStepsTab.AREA, "").casefold() != digest.area.casefold():
            continue
        if row.get(NextStepsTab.STATUS) == DONE or row.get(NextStepsTab.DONE_ON, "").strip():
            continue
        due = _day(row.get(NextStepsTab.DUE, ""))
        shown = f"{row.get(NextStepsTab.CASE_ID, '')} {row.get(NextStepsTab.STEP, '').replace('_', ' ')}"
        if due is None:
            continue
        if due < digest.day:
            digest.steps_overdue.append(shown)
        elif due <= monday + timedelta(days=6):
            digest.steps_due_this_week.append(shown)
