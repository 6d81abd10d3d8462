"""The Overview tab: what needs doing, per area and per worker, from the tabs' rows and today (no I/O).

Per area: open cases by route and status, meetings needing scheduling, next steps due this week
and overdue, end summaries due this week and overdue; for the service, intake issues waiting; per
worker: their open cases and what is due on them. Each line names its cases, so a coordinator can
filter to them. The *Next steps* tab is read by its header names when it is there (none: no lines
about next steps). Nothing personal is shown: areas, workers, routes, counts and case ids.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, timedelta

from hsb_sheets.domain.dates import DateFormatError, parse_date
from hsb_sheets.domain.meetings import NEEDS_SCHEDULING
from hsb_sheets.domain.tabs import CASE_ID, IntakeIssuesTab, InterventionsTab, MeetingsTab, ReferralsTab

Row = Mapping[str, str]
AREA = "Area"  # the Referrals column of the form's child_area answer
NEXT_STEPS = "Next steps"  # the tab and the column names agreed for it (DESIGN section 6)
STEP_DUE, STEP_STATUS, STEP_DONE_ON = "Due", "Status", "Done on"
CLOSED = "Closed"
WEEK = 7  # "due this week": today and the six days after
BY_AREA, BY_WORKER, SERVICE = "Area", "Worker", "Service"
NO_WORKER = "(no worker yet)"
NO_AREA = "(no area)"


@dataclass(frozen=True)
class Line:
    """One Overview line: a measure for an area, a worker or the service, and the cases it counts."""

    section: str
    name: str
    measure: str
    cases: tuple[str, ...]

    @property
    def key(self) -> str:
        """The line's identity from run to run (the Overview tab's key)."""
        return f"{self.section}|{self.name}|{self.measure}"

    @property
    def count(self) -> int:
        """How many cases (or issues) the line counts."""
        return len(self.cases)


def _day(text: str, locale: str) -> date | None:
    try:
        return parse_date(text.strip()[:10], locale) if text.strip() else None
    except DateFormatError:
        return None  # an unreadable date is the job's to report, on its own row


def _when(due: date | None, today: date) -> str | None:
    """'overdue', 'due this week' or None for a due date."""
    if due is None:
        return None
    if due < today:
        return "overdue"
    return "due this week" if due < today + timedelta(days=WEEK) else None


def _route(row: Row) -> str:
    """A case's route now: the coordinator's override when set, else the rules' route."""
    return row.get(ReferralsTab.ROUTE_OVERRIDE, "").strip() or row.get(ReferralsTab.ROUTE, "").strip() or "-"


def _due_items(
    meetings: Iterable[Row],
    interventions: Iterable[Row],
    next_steps: Iterable[Row] | None,
    today: date,
    locale: str,
) -> list[tuple[str, str]]:
    """(case id, measure) for every meeting, next step and end summary that needs doing."""
    items = [
        (row.get(CASE_ID, "").strip(), "Meetings needing scheduling")
        for row in meetings
        if row.get(MeetingsTab.STATUS, "").strip() == NEEDS_SCHEDULING
    ]
    for row in next_steps or ():
        if row.get(STEP_DONE_ON, "").strip() or row.get(STEP_STATUS, "").strip() == "Done":
            continue
        when = "overdue" if row.get(STEP_STATUS, "").strip() == "Overdue" else None
        when = when or _when(_day(row.get(STEP_DUE, ""), locale), today)
        if when:
            items.append((row.get(CASE_ID, "").strip(), f"Next steps {when}"))
    for row in interventions:
        if row.get(InterventionsTab.END_SUMMARY_RECORDED, "").strip():
            continue
        when = _when(_day(row.get(InterventionsTab.END_SUMMARY_DUE, ""), locale), today)
        if when:
            items.append((row.get(InterventionsTab.CASE_ID, "").strip(), f"End summaries {when}"))
    return [(case, measure) for case, measure in items if case]


REFERRAL_COLUMNS = (
    CASE_ID,
    AREA,
    ReferralsTab.WORKER,
    ReferralsTab.STATUS,
    ReferralsTab.ROUTE_OVERRIDE,
    ReferralsTab.ROUTE,
)  # all :func:`overview` reads of a referral


def overview(
    referrals: Sequence[Row],
    meetings: Iterable[Row],
    interventions: Iterable[Row],
    intake_issues: Iterable[Row],
    next_steps: Iterable[Row] | None,
    today: date,
    locale: str = "en-GB",
) -> list[Line]:
    """Every Overview line, areas first (then the service, then workers), each sorted by name."""
    found: dict[tuple[str, str, str], list[str]] = defaultdict(list)
    area_of, worker_of = {}, {}
    for row in referrals:
        case = row.get(CASE_ID, "").strip()
        if not case:
            continue
        area_of[case] = row.get(AREA, "").strip() or NO_AREA
        worker_of[case] = row.get(ReferralsTab.WORKER, "").strip() or NO_WORKER
        status = row.get(ReferralsTab.STATUS, "").strip() or "New"
        if status != CLOSED:
            found[(BY_AREA, area_of[case], f"Open: {_route(row)}, {status}")].append(case)
            found[(BY_WORKER, worker_of[case], "Open cases")].append(case)
    for case, measure in _due_items(meetings, interventions, next_steps, today, locale):
        found[(BY_AREA, area_of.get(case, NO_AREA), measure)].append(case)
        found[(BY_WORKER, worker_of.get(case, NO_WORKER), measure)].append(case)
    waiting = [
        row.get(IntakeIssuesTab.FORM_ROW, "").strip() or "?"
        for row in intake_issues
        if not row.get(IntakeIssuesTab.RESOLUTION, "").strip() and any(v.strip() for v in row.values())
    ]
    if waiting:
        found[(SERVICE, "All areas", "Intake issues waiting (form rows)")] = waiting
    order = {BY_AREA: 0, SERVICE: 1, BY_WORKER: 2}
    keys = sorted(found, key=lambda k: (order[k[0]], k[1], _measure_order(k[2])))
    return [Line(s, n, m, tuple(dict.fromkeys(found[(s, n, m)]))) for s, n, m in keys]


def _measure_order(measure: str) -> tuple[int, str]:
    firsts = ("Open", "Meetings", "Next steps overdue", "Next steps due", "End summaries overdue")
    return next((i for i, first in enumerate(firsts) if measure.startswith(first)), len(firsts)), measure
