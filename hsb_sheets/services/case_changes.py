"""What coordinators changed on a case since its last run: route override, facts now, linked cases.

DESIGN sections 4 and 5 ("Facts that change after intake", "Route override") and 6 ("Linked
cases"). The meetings job plans these changes before it plans meetings, so that the meetings follow
the case's decision now:

* A case whose *Route override*, *Criminal status now* or *Responsibility now* differs from what its
  decision was last made with (*Decided with*) is decided again
  (:func:`hsb_sheets.domain.case_now.case_decision_now`); the outputs that changed are written to
  its Referrals row and recorded, old and new, in one Audit log line. A route-meeting (strategy
  discussion, planning meeting) the new decision does not need is cancelled unless it was held or
  cancelled already (the meetings job then sends the CANCEL invitations); a meeting the new
  decision needs is asked for. A rerun finds *Decided with* matching and does nothing more.
* Each id in *Linked cases* is checked; every link is mirrored in both cases' *Linked with*.
* A value that cannot be used gives the row a *Reason*; the other values and rows are still worked.

Pure planning: :func:`plan_case_changes` returns the writes, the rows as they will then be, and the
cases that need a new meeting; the meetings job writes them with its own first write.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime

from hsb_sheets.adapters.workbook.base import Update, WriteBatch
from hsb_sheets.domain.case_now import (
    FACTS_NOW_COLUMNS,
    ROUTE_MEETINGS,
    FactsNow,
    case_decision_now,
    read_facts_now,
)
from hsb_sheets.domain.cells import CellProblem, echo
from hsb_sheets.domain.decision import Decision
from hsb_sheets.domain.form import FormDefinition
from hsb_sheets.domain.meetings import CANCELLED, HELD
from hsb_sheets.domain.rules import RuleTable
from hsb_sheets.domain.tabs import DECISION_COLUMNS, MEETINGS, REFERRALS, MeetingsTab, ReferralsTab
from hsb_sheets.services.audit import audit

JOB = "meetings"
# The Referrals columns this step writes: a register not set up since they were added is told so.
WRITES = (ReferralsTab.LINKED_WITH, ReferralsTab.REASON, ReferralsTab.DECIDED_WITH)
# The outputs a decision made again may change, as the audit line names them.
CHANGED_OUTPUTS = {key: column for key, column in DECISION_COLUMNS.items() if key != "rules_fired"}


@dataclass
class CaseChanges:
    """The writes planned for coordinators' changes, and the register as it will be after them."""

    referrals: dict[str, dict[str, str]]
    meetings: list[dict[str, str]]
    batch: WriteBatch = field(default_factory=WriteBatch)
    wanted: set[str] = field(default_factory=set)  # cases whose decision now needs a new meeting
    decided: list[str] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    # Every row with a case id, the last row of an id on several; a planned change already made.
    by_case: dict[str, dict[str, str]] = field(default_factory=dict)


def _cell(value: object) -> str:
    if isinstance(value, tuple | list):
        return ", ".join(value)
    return "" if value is None else str(value)


def decision_cells(decision: Decision, criminal_process: bool) -> dict[str, str]:
    """A decision as its Referrals columns hold it, with the criminal process it was made on."""
    values = decision.to_json()
    cells: dict[str, str] = {column: _cell(values[key]) for key, column in DECISION_COLUMNS.items()}
    cells[ReferralsTab.CRIMINAL_PROCESS] = "Yes" if criminal_process else "No"
    return cells


def _linked(
    referrals: Mapping[str, Mapping[str, str]],
) -> tuple[dict[str, set[str]], dict[str, list[str]]]:
    """Every case's links in both directions, and a reason for each id that is not another case."""
    links: dict[str, set[str]] = {case_id: set() for case_id in referrals}
    reasons: dict[str, list[str]] = {case_id: [] for case_id in referrals}
    for case_id, row in referrals.items():
        for typed in (p.strip() for p in row.get(ReferralsTab.LINKED_CASES, "").split(",")):
            other = typed.upper()
            if not typed:
                continue
            if other == case_id:
                reasons[case_id].append(f"{ReferralsTab.LINKED_CASES}: a case is not linked to itself")
            elif other not in referrals:
                reasons[case_id].append(
                    f"{ReferralsTab.LINKED_CASES} '{echo(typed)}' is not a case on the Referrals tab"
                )
            else:
                links[case_id].add(other)
                links[other].add(case_id)
    return links, reasons


class _Planner:
    """Plans each case's changes into one batch, keeping the rows as they will be after it."""

    def __init__(self, form: FormDefinition, rules: Callable[[], RuleTable], now: datetime) -> None:
        self.form, self.rules, self.now = form, rules, now
        self.batch = WriteBatch()
        # Facts now by the cells they are read from: a register repeats a few values on every case.
        self._facts: dict[tuple[str, ...], tuple[FactsNow, str] | str] = {}

    def facts_now(self, row: Mapping[str, str]) -> tuple[FactsNow, str]:
        """The row's facts now and their record (as read_facts_now); CellProblem if unusable."""
        cells = tuple(row.get(column, "") for column in FACTS_NOW_COLUMNS)
        known = self._facts.get(cells)
        if known is None:
            try:
                facts = read_facts_now(self.form, row)
                known = (facts, facts.record())
            except CellProblem as problem:
                known = problem.reason
            self._facts[cells] = known
        if isinstance(known, str):
            raise CellProblem(known)
        return known

    def audit(self, action: str, case_id: str, detail: str, rule_ids: Iterable[str] = ()) -> None:
        self.batch.appends.append(audit(self.now, JOB, action, case_id, rule_ids, detail))

    def decide_again(self, case_id: str, row: dict[str, str], changes: CaseChanges) -> dict[str, str]:
        """The row's new decision cells if its coordinator values changed; CellProblem if unusable."""
        now, record = self.facts_now(row)
        if record == row.get(ReferralsTab.DECIDED_WITH, ""):
            return {}
        case = case_decision_now(self.form, self.rules(), row)
        cells = decision_cells(case.decision, bool(case.facts["criminal_process"]))
        what = [
            f"{key.replace('_', ' ')}: {row.get(column, '') or 'none'} → {cells[column] or 'none'}"
            for key, column in CHANGED_OUTPUTS.items()
            if row.get(column, "") != cells[column]
        ]
        overridden = bool(now.route_override) and row.get(ReferralsTab.ROUTE, "") != case.decision.route
        self.audit(
            "route overridden" if overridden else "case decided again",
            case_id,
            f"with {record or 'the answers on the form'}: " + ("; ".join(what) or "nothing changed"),
            case.decision.rules_fired,
        )
        changes.decided.append(case_id)
        if row.get(ReferralsTab.MEETING, "") != cells[ReferralsTab.MEETING]:
            self.follow_meeting(case_id, case.decision, changes)
        return {**cells, ReferralsTab.DECIDED_WITH: record}

    def follow_meeting(self, case_id: str, decision: Decision, changes: CaseChanges) -> None:
        """Cancel the case's proposed route-meetings the decision does not need; ask for the one it does."""
        rows = [m for m in changes.meetings if m.get(MeetingsTab.CASE_ID, "").strip() == case_id]
        for meeting in rows:
            kind, status = meeting.get(MeetingsTab.TYPE, ""), meeting.get(MeetingsTab.STATUS, "")
            if kind == decision.meeting or kind not in ROUTE_MEETINGS.values() or status in (CANCELLED, HELD):
                continue
            reference = meeting.get(MeetingsTab.MEETING, "").strip()
            if not reference:
                continue
            meeting[MeetingsTab.STATUS] = CANCELLED
            self.batch.updates.append(
                Update(MEETINGS, MeetingsTab.MEETING, reference, {MeetingsTab.STATUS: CANCELLED})
            )
            self.audit("meeting not needed", case_id, f"{reference}: the route is now {decision.route}")
        have = {m.get(MeetingsTab.TYPE, "") for m in rows if m.get(MeetingsTab.STATUS, "") != CANCELLED}
        if decision.meeting and decision.meeting not in have:
            changes.wanted.add(case_id)


def plan_case_changes(
    form: FormDefinition,
    rules: Callable[[], RuleTable],
    referrals: Iterable[Mapping[str, str]],
    meetings: Iterable[Mapping[str, str]],
    now: datetime,
) -> CaseChanges:
    """Plan every case's changes (``rules`` is called only if a case is to be decided again)."""
    every = [dict(r) for r in referrals]
    rows = [r for r in every if r.get(ReferralsTab.CASE_ID, "").strip()]
    counts = Counter(r[ReferralsTab.CASE_ID] for r in rows)
    changes = CaseChanges({}, [dict(m) for m in meetings])
    changes.by_case = {r[ReferralsTab.CASE_ID]: r for r in every if r.get(ReferralsTab.CASE_ID)}
    for row in rows:
        case_id = row[ReferralsTab.CASE_ID]
        if counts[case_id] > 1:  # no write can address it; the intake job never makes one
            if f"{case_id} is on {counts[case_id]} rows" not in changes.problems:
                changes.problems.append(f"{case_id} is on {counts[case_id]} rows")
            continue
        changes.referrals[case_id] = row
    links, link_reasons = _linked(changes.referrals)
    planner = _Planner(form, rules, now)
    for case_id, row in changes.referrals.items():
        reasons: list[str] = []
        try:
            values = planner.decide_again(case_id, row, changes)
        except CellProblem as problem:
            values, reasons = {}, [problem.reason]
        reasons += link_reasons[case_id]
        values[ReferralsTab.LINKED_WITH] = ", ".join(sorted(links[case_id]))
        values[ReferralsTab.REASON] = "; ".join(reasons)
        linked = values[ReferralsTab.LINKED_WITH]
        if linked != row.get(ReferralsTab.LINKED_WITH, ""):
            planner.audit("linked cases", case_id, f"linked with {linked or 'none'}")
        if reasons and values[ReferralsTab.REASON] != row.get(ReferralsTab.REASON, ""):
            planner.audit("referral cell unreadable", case_id, values[ReferralsTab.REASON])
        changes.problems += [f"{case_id}: {reason}" for reason in reasons]
        changed = {k: v for k, v in values.items() if row.get(k, "") != v}
        if changed:
            row.update(changed)
            planner.batch.updates.append(Update(REFERRALS, ReferralsTab.CASE_ID, case_id, changed))
    changes.batch = planner.batch
    return changes
