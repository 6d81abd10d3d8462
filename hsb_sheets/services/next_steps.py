"""Next steps and meeting decisions, planned within the meetings job (DESIGN sections 5 and 6).

Each run plans, from the tabs as read: a *Next steps* row for each step the case's decision needs
(remembered in the Referrals row's *Next steps made*, so a row a coordinator deleted is not made
again), the decisions of each *Held* meeting acted on once (remembered in *Decisions acted on*, each
audited: a step, and for early help a team around the child meeting handed to the meetings
planner), a ``record_meeting_decisions`` step for a meeting held with no decisions a working day
later, and each step's Status. A coordinator's *Done on* and *Notes* are never written. The job
then writes all of it with its own batch.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime

from hsb_sheets.adapters.workbook.base import Append, Update, WriteBatch
from hsb_sheets.domain.cells import CellProblem, echo, read_date
from hsb_sheets.domain.dates import DateFormatError, parse_date, parse_timestamp
from hsb_sheets.domain.form import FormDefinition
from hsb_sheets.domain.meetings import CANCELLED, HELD, meeting_reference
from hsb_sheets.domain.next_steps import (
    DECISIONS,
    LEGACY_OUTCOME,
    RECORD_MEETING_DECISIONS,
    ROUTING,
    RULES,
    TEAM_AROUND_THE_CHILD,
    carried_outcome,
    decision_step,
    due_date,
    parse_decisions,
    planning_invitees,
    routing_steps,
    step_id,
    step_status,
)
from hsb_sheets.domain.register_rows import format_time
from hsb_sheets.domain.tabs import MEETINGS, NEXT_STEPS, REFERRALS, MeetingsTab, NextStepsTab, ReferralsTab
from hsb_sheets.domain.working_days import WorkingCalendar
from hsb_sheets.services.audit import audit
from hsb_sheets.services.policy import Policy

DECISIONS_REASON = "Decisions: "  # how every reason about the Decisions cell begins, so a fixed one clears
CLOSED = "Closed"


def split_list(text: str) -> list[str]:
    """The items of a comma-separated cell."""
    return [part.strip() for part in text.split(",") if part.strip()]


@dataclass(frozen=True)
class CaseDecision:
    """What the case's decision asks for now: its actions and flags."""

    actions: tuple[str, ...]
    flags: tuple[str, ...]


def decision_now(referral: Mapping[str, str]) -> CaseDecision:
    """The case's decision now, from the Referrals row's decision columns as written.

    The one place steps read a case's decision. The meetings job first writes a re-decided case's
    outputs to its row (facts that changed after intake, a route override:
    :func:`hsb_sheets.domain.case_now.case_decision_now`), so the row holds the decision now.
    """
    actions = tuple(split_list(referral.get(ReferralsTab.ACTIONS, "")))
    return CaseDecision(actions, tuple(split_list(referral.get(ReferralsTab.FLAGS, ""))))


@dataclass(frozen=True)
class MeetingDecisions:
    """A Meetings row's decisions as read: the known ones, the unknown values, and whether carried."""

    known: tuple[str, ...]
    unknown: tuple[str, ...]
    carried: bool = False


def meeting_decisions(row: Mapping[str, str]) -> MeetingDecisions:
    """The row's Decisions, or (blank, never acted on) the Outcome an earlier version recorded."""
    text = row.get(MeetingsTab.DECISIONS, "")
    outcome = row.get(LEGACY_OUTCOME, "").strip()
    if not text.strip() and outcome and not row.get(MeetingsTab.DECISIONS_ACTED_ON, "").strip():
        carried = carried_outcome(outcome, row.get(MeetingsTab.TYPE, ""))
        return MeetingDecisions(carried, () if carried else (outcome,), carried=True)
    known, unknown = parse_decisions(text)
    return MeetingDecisions(known, unknown)


@dataclass
class StepsPlan:
    """What the run writes for next steps and decisions, and the meetings decisions asked for."""

    batch: WriteBatch = field(default_factory=WriteBatch)
    meetings: list[dict[str, str]] = field(default_factory=list)  # new Meetings rows to schedule
    created: list[str] = field(default_factory=list)  # Step IDs
    acted: list[str] = field(default_factory=list)  # "<meeting>: <decision>"
    problems: list[str] = field(default_factory=list)


class StepPlanner:
    """Plans next steps for one run: today, the Settings, the form's columns, the job's name."""

    def __init__(self, form: FormDefinition, policy: Policy, work: WorkingCalendar, now: datetime, job: str):
        self.policy, self.work, self.job = policy, work, job
        self.now = now.replace(tzinfo=None)  # local, naive
        self.today = self.now.date()
        self.area = form.field("child_area").column
        self.columns = {
            f: form.field(f).column
            for f in ("police_involved", "school_or_setting", "lead_professional_email", "open_to_services")
        }
        self.plan_ = StepsPlan()
        self.ids: set[str] = set()
        self.teams: set[str] = set()  # cases with a team around the child arranged
        # Steps made and wanted by the cells they are read from: cases repeat a few decisions.
        self._wanted: dict[tuple[str, str, str], tuple[list[str], list[str]]] = {}

    def plan(
        self,
        referrals: Mapping[str, Mapping[str, str]],
        meetings: Iterable[Mapping[str, str]],
        steps: Iterable[Mapping[str, str]],
    ) -> StepsPlan:
        """Steps from each case's decision, decisions of held meetings, then every step's Status."""
        rows = [dict(r) for r in steps if r.get(NextStepsTab.STEP_ID, "").strip()]
        self.ids = {r[NextStepsTab.STEP_ID].strip() for r in rows}
        meeting_rows = list(meetings)
        for case_id, referral in referrals.items():
            self.routing(case_id, referral)
        numbers = _meeting_numbers(meeting_rows)
        # A team around the child already asked for and not yet held or cancelled is not asked for
        # again (a run stopped after inviting it, before recording the decision as acted on).
        self.teams = {
            m.get(MeetingsTab.CASE_ID, "").strip()
            for m in meeting_rows
            if m.get(MeetingsTab.TYPE, "") == TEAM_AROUND_THE_CHILD
            and m.get(MeetingsTab.STATUS, "").strip() not in (HELD, CANCELLED)
        }
        for row in meeting_rows:
            case = referrals.get(row.get(MeetingsTab.CASE_ID, "").strip())
            if case is not None and row.get(MeetingsTab.MEETING, "").strip():
                self.meeting(row, case, numbers)
        self.plan_.batch.updates.extend(
            refresh_statuses(rows, meeting_rows, self.today, self.policy.date_locale)
        )
        return self.plan_

    def add(self, case_id: str, area: str, step: str, source: str, made_by: str, anchor: date) -> None:
        """A new step row (unless the tab has it), due its Setting's working days after ``anchor``."""
        key = step_id(case_id, step, source)
        if key in self.ids:
            return
        self.ids.add(key)
        rule = RULES[step]
        due = due_date(self.work, anchor, self.policy.step_days.get(step, rule.days))
        values: dict[str, str] = {
            NextStepsTab.STEP_ID: key,
            NextStepsTab.CASE_ID: case_id,
            NextStepsTab.AREA: area,
            NextStepsTab.STEP: step,
            NextStepsTab.FROM: made_by,
            NextStepsTab.OWNER_ROLE: rule.owner_role,
            NextStepsTab.DUE: due.isoformat(),
            NextStepsTab.STATUS: step_status(self.today, due, None),
        }
        self.plan_.batch.appends.append(Append(NEXT_STEPS, values))
        self.plan_.batch.appends.append(
            audit(self.now, self.job, "next step created", case_id, detail=f"{step} due {due.isoformat()}")
        )
        self.plan_.created.append(key)

    def routing(self, case_id: str, referral: Mapping[str, str]) -> None:
        """The steps the case's decision needs, each made once (closed cases get no new ones)."""
        if referral.get(ReferralsTab.STATUS, "").strip() == CLOSED:
            return
        made, wanted = self.wanted(referral)
        if not wanted:
            return
        try:
            received = parse_timestamp(referral.get(ReferralsTab.RECEIVED, "")).date()
        except DateFormatError:
            self.plan_.problems.append(f"{case_id}: cannot read Received, so its next steps wait")
            return
        for step in wanted:
            self.add(case_id, referral.get(self.area, ""), step, ROUTING, RULES[step].made_by, received)
        update = Update(
            REFERRALS, ReferralsTab.CASE_ID, case_id, {ReferralsTab.STEPS_MADE: ", ".join(made + wanted)}
        )
        self.plan_.batch.updates.append(update)

    def wanted(self, referral: Mapping[str, str]) -> tuple[list[str], list[str]]:
        """The steps the case's decision made already, and those it needs that are not made yet."""
        cells = (
            referral.get(ReferralsTab.STEPS_MADE, ""),
            referral.get(ReferralsTab.ACTIONS, ""),
            referral.get(ReferralsTab.FLAGS, ""),
        )
        known = self._wanted.get(cells)
        if known is None:
            made = split_list(cells[0])
            decision = decision_now(referral)
            known = (made, [s for s in routing_steps(decision.actions, decision.flags) if s not in made])
            self._wanted[cells] = known
        return list(known[0]), list(known[1])

    def meeting(self, row: Mapping[str, str], referral: Mapping[str, str], numbers: dict[str, int]) -> None:
        """A meeting's decisions acted on once when it is Held; a reason for a value that is not one."""
        reference, case_id = row[MeetingsTab.MEETING].strip(), row[MeetingsTab.CASE_ID].strip()
        decisions = meeting_decisions(row)
        held = row.get(MeetingsTab.STATUS, "").strip() == HELD
        reasons = []
        if decisions.unknown:
            wrong = ", ".join(f"'{echo(u)}'" for u in decisions.unknown)
            reasons.append(f"{wrong} is not a decision; use {', '.join(DECISIONS)}, separated by commas")
        if decisions.known and not held:
            reasons.append("they are acted on once the meeting's Status is Held")
        self.reason(row, case_id, DECISIONS_REASON + "; ".join(reasons) if reasons else "")
        if not held:
            return
        day = _meeting_day(row, self.policy.date_locale) or self.today
        area = referral.get(self.area, "")
        if not decisions.known:
            if self.today >= due_date(self.work, day, 1):
                self.add(
                    case_id,
                    area,
                    RECORD_MEETING_DECISIONS,
                    reference,
                    RULES[RECORD_MEETING_DECISIONS].made_by,
                    day,
                )
            return
        acted = split_list(row.get(MeetingsTab.DECISIONS_ACTED_ON, ""))
        for decision in (d for d in decisions.known if d not in acted):
            self.act(case_id, area, reference, decision, day, referral, numbers, decisions.carried)
            acted.append(decision)
        if acted != split_list(row.get(MeetingsTab.DECISIONS_ACTED_ON, "")):
            values: dict[str, str] = {MeetingsTab.DECISIONS_ACTED_ON: ", ".join(acted)}
            self.plan_.batch.updates.append(Update(MEETINGS, MeetingsTab.MEETING, reference, values))

    def act(
        self,
        case_id: str,
        area: str,
        reference: str,
        decision: str,
        day: date,
        referral: Mapping[str, str],
        numbers: dict[str, int],
        carried: bool,
    ) -> None:
        """One decision acted on: its step, a team around the child meeting for early help, audited."""
        step = decision_step(decision)
        if step is not None:
            self.add(case_id, area, step, reference, f"decision {decision} at {reference}", day)
        if step == TEAM_AROUND_THE_CHILD and case_id not in self.teams:
            self.teams.add(case_id)
            numbers[case_id] = numbers.get(case_id, 0) + 1
            self.plan_.meetings.append(self.team_around_the_child(case_id, numbers[case_id], referral))
        detail = f"{reference}: {decision}" + (" (carried over from Outcome)" if carried else "")
        self.plan_.batch.appends.append(
            audit(self.now, self.job, "meeting decision acted on", case_id, detail=detail)
        )
        self.plan_.acted.append(f"{reference}: {decision}")

    def team_around_the_child(self, case_id: str, number: int, referral: Mapping[str, str]) -> dict[str, str]:
        """A new Meetings row for a team around the child, invited as a planning meeting."""
        columns = self.columns
        roles = planning_invitees(
            referral.get(columns["police_involved"], "").strip() == "Yes",
            bool(referral.get(columns["school_or_setting"], "").strip()),
            bool(referral.get(columns["lead_professional_email"], "").strip()),
            tuple(split_list(referral.get(columns["open_to_services"], ""))),
        )
        return {
            MeetingsTab.CASE_ID: case_id,
            MeetingsTab.MEETING: meeting_reference(case_id, number),
            MeetingsTab.TYPE: TEAM_AROUND_THE_CHILD,
            MeetingsTab.REQUESTED: self.now.strftime("%Y-%m-%d %H:%M"),
            MeetingsTab.DURATION: str(self.policy.meeting_minutes),
            MeetingsTab.INVITEES: ", ".join(roles),
        }

    def reason(self, row: Mapping[str, str], case_id: str, reason: str) -> None:
        """The row's Decisions reason, written (and audited) when it changes; cleared once fixed."""
        current = row.get(MeetingsTab.REASON, "")
        if reason == current or (not reason and not current.startswith(DECISIONS_REASON)):
            return
        reference = row[MeetingsTab.MEETING].strip()
        if reason:
            self.plan_.problems.append(f"{reference}: {reason}")
            detail = f"{reference}: {reason}"
            self.plan_.batch.appends.append(
                audit(self.now, self.job, "meeting cell unreadable", case_id, detail=detail)
            )
        self.plan_.batch.updates.append(
            Update(MEETINGS, MeetingsTab.MEETING, reference, {MeetingsTab.REASON: reason})
        )


def _meeting_numbers(rows: Iterable[Mapping[str, str]]) -> dict[str, int]:
    """The highest meeting number each case has."""
    numbers: dict[str, int] = {}
    for row in rows:
        prefix, _, number = row.get(MeetingsTab.MEETING, "").strip().rpartition("-")
        if prefix and number.isascii() and number.isdigit():
            numbers[prefix] = max(numbers.get(prefix, 0), int(number))
    return numbers


def _meeting_day(row: Mapping[str, str], locale: str) -> date | None:
    """The day a meeting was held: its agreed start, else the start its invitation gave."""
    for column in (MeetingsTab.AGREED_START, MeetingsTab.EVENT_START):
        try:
            return parse_timestamp(row.get(column, ""), locale).date()
        except DateFormatError:
            continue
    return None


def seen_done(step: Mapping[str, str], meetings: Iterable[Mapping[str, str]]) -> bool:
    """Whether the register shows the step done without a Done on date (decisions, a meeting held)."""
    name, case_id = step.get(NextStepsTab.STEP, ""), step.get(NextStepsTab.CASE_ID, "")
    if name == RECORD_MEETING_DECISIONS:
        source = step.get(NextStepsTab.STEP_ID, "").rpartition("|")[2]
        return any(
            m.get(MeetingsTab.MEETING, "").strip() == source
            and (bool(meeting_decisions(m).known) or m.get(MeetingsTab.STATUS, "").strip() == CANCELLED)
            for m in meetings
        )
    if name == TEAM_AROUND_THE_CHILD:
        return any(
            m.get(MeetingsTab.CASE_ID, "").strip() == case_id
            and m.get(MeetingsTab.TYPE, "") == TEAM_AROUND_THE_CHILD
            and m.get(MeetingsTab.STATUS, "").strip() == HELD
            for m in meetings
        )
    return False


def step_dates(step: Mapping[str, str], locale: str) -> tuple[date | None, date | None]:
    """A step's due date (None if unreadable) and Done on; CellProblem if Done on cannot be read."""
    try:
        due: date | None = parse_date(step.get(NextStepsTab.DUE, ""))
    except DateFormatError:
        due = None
    return due, read_date(NextStepsTab.DONE_ON, step.get(NextStepsTab.DONE_ON, ""), locale)


def current_status(
    step: Mapping[str, str], meetings: Iterable[Mapping[str, str]], today: date, locale: str
) -> str:
    """A step's Status today (a Done on that cannot be read counts as not done yet)."""
    try:
        due, done_on = step_dates(step, locale)
    except CellProblem:
        due, done_on = step_dates({**step, NextStepsTab.DONE_ON: ""}, locale)
    return step_status(today, due, done_on, seen_done(step, meetings))


def refresh_statuses(
    steps: Iterable[Mapping[str, str]], meetings: Iterable[Mapping[str, str]], today: date, locale: str
) -> list[Update]:
    """The Status updates of the steps whose status changed."""
    meeting_rows = list(meetings)
    updates = []
    for step in steps:
        status = current_status(step, meeting_rows, today, locale)
        if status != step.get(NextStepsTab.STATUS, ""):
            key = step[NextStepsTab.STEP_ID].strip()
            updates.append(Update(NEXT_STEPS, NextStepsTab.STEP_ID, key, {NextStepsTab.STATUS: status}))
    return updates


def format_now(now: datetime) -> str:
    """How the Last escalated column shows a time."""
    return format_time(now.replace(tzinfo=None))
