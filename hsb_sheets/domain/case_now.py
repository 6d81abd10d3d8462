"""The case's decision now: its original answers, the facts that changed since, and a route override.

DESIGN sections 4 ("Facts that change after intake") and 5 ("Route override"). A coordinator records
the criminal status and responsibility as they are now, and may override the route, on the case's
Referrals row; the form's answers (in Form responses and on the row) stay as they were. The case's
decision now is the routing rules' decision for the original facts with the new values in place,
and with the override as its route: the meeting and its invitees then follow the overriding route,
as the rules give them for a case of that route; everything else (pathways, actions, tools, flags)
stays what the facts decide.

:func:`case_decision_now` is the one entry point for a Referrals row; :func:`decide_now` is the same
decision from facts already derived. Pure: no I/O.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace

from hsb_sheets.domain.cells import CellProblem, echo, read_whole_number
from hsb_sheets.domain.decision import OUTPUTS, Decision
from hsb_sheets.domain.facts import CRIMINAL_PROCESS, LEVELS, FactValue, facts_of_answers
from hsb_sheets.domain.form import FormDefinition
from hsb_sheets.domain.rules import RuleTable
from hsb_sheets.domain.tabs import FACTS_NOW_FIELDS, POSSIBLE_DUPLICATE_OF, ReferralsTab

ROUTES = OUTPUTS["route"][1]
# The meeting each route holds, and whom it invites when the rules give no case of that route one
# (an adult whose route a coordinator overrode to a children's route): DESIGN section 4.
ROUTE_MEETINGS = {"strategy_discussion": "strategy_discussion", "early_help": "multi_agency_planning"}
CORE_INVITEES = {
    "strategy_discussion": ("childrens_social_care", "police", "hsb_service"),
    "multi_agency_planning": ("early_help", "hsb_service"),
}


@dataclass(frozen=True)
class FactsNow:
    """A coordinator's values on the Referrals row ('' where blank: the form's answer stands)."""

    criminal_status: str = ""
    accepted_responsibility: str = ""
    route_override: str = ""

    def record(self) -> str:
        """These values as the row's *Decided with* records them ('' when none is set)."""
        parts = (
            ("route override", self.route_override),
            ("criminal status now", self.criminal_status),
            ("responsibility now", self.accepted_responsibility),
        )
        return "; ".join(f"{name}: {value}" for name, value in parts if value)


@dataclass(frozen=True)
class CaseNow:
    """A case's decision now, the facts it was made on, and the values it was made with."""

    decision: Decision
    facts: Mapping[str, FactValue]
    now: FactsNow


def _choice(form: FormDefinition, column: str, field_id: str, text: str) -> str:
    """A dropdown cell's value as the form spells it; CellProblem if it is not one of its choices."""
    value = " ".join(text.split())
    if not value:
        return ""
    choices = form.field(field_id).choices
    match = next((c for c in choices if c.casefold() == value.casefold()), None)
    if match is None:
        raise CellProblem(f"{column} '{echo(text)}' is not one of: {', '.join(choices)}")
    return match


FACTS_NOW_COLUMNS = (*FACTS_NOW_FIELDS, ReferralsTab.ROUTE_OVERRIDE)  # all read_facts_now reads


def read_facts_now(form: FormDefinition, row: Mapping[str, str]) -> FactsNow:
    """The row's facts now and route override; CellProblem naming every value that cannot be used."""
    problems: list[str] = []
    values: dict[str, str] = {}
    for column, field_id in FACTS_NOW_FIELDS.items():
        try:
            values[field_id] = _choice(form, column, field_id, row.get(column, ""))
        except CellProblem as problem:
            problems.append(problem.reason)
    override = " ".join(row.get(ReferralsTab.ROUTE_OVERRIDE, "").split())
    route = next((r for r in ROUTES if r.casefold() == override.casefold()), "")
    if override and not route:
        problems.append(
            f"{ReferralsTab.ROUTE_OVERRIDE} '{echo(override)}' is not a route: use one of {', '.join(ROUTES)}"
        )
    if problems:
        raise CellProblem("; ".join(problems))
    return FactsNow(values["criminal_status"], values["accepted_responsibility"], route)


def facts_of_row(form: FormDefinition, row: Mapping[str, str]) -> dict[str, FactValue]:
    """The facts the case was decided on at intake, read back from its Referrals row.

    The row holds the form's answers as intake wrote them (ticked boxes comma-separated) and the
    age on the day the referral was received. CellProblem if that age cannot be read.
    """
    columns = {f.id: f.column for f in form.fields}

    def text(field_id: str) -> str:
        return row.get(columns[field_id], "")

    def choices(field_id: str) -> tuple[str, ...]:
        return tuple(part.strip() for part in text(field_id).split(",") if part.strip())

    age = read_whole_number(ReferralsTab.AGE, row.get(ReferralsTab.AGE, ""), default=-1)
    if age < 0:
        raise CellProblem(f"{ReferralsTab.AGE} is blank: the case cannot be decided again")
    duplicate = bool(row.get(POSSIBLE_DUPLICATE_OF, "").strip())
    return facts_of_answers(form, text, choices, age, duplicate)


def with_facts_now(facts: Mapping[str, FactValue], now: FactsNow) -> dict[str, FactValue]:
    """The facts with the coordinator's current criminal status and responsibility in place."""
    current = dict(facts)
    if now.criminal_status:
        current["criminal_status"] = now.criminal_status
        current["criminal_process"] = now.criminal_status in CRIMINAL_PROCESS
    if now.accepted_responsibility:
        current["accepted_responsibility"] = now.accepted_responsibility
    return current


def decide_now(table: RuleTable, facts: Mapping[str, FactValue], now: FactsNow) -> Decision:
    """The case's decision now: the rules' decision on the facts now, with the override as its route."""
    current = with_facts_now(facts, now)
    decision = table.decide(current)
    if not now.route_override or now.route_override == decision.route:
        return decision
    meeting, invitees = _meeting_of_route(table, current, now.route_override)
    return replace(decision, route=now.route_override, meeting=meeting, invitees=invitees)


def _meeting_of_route(
    table: RuleTable, facts: Mapping[str, FactValue], route: str
) -> tuple[str | None, tuple[str, ...]]:
    """The meeting and invitees the rules give this case were its behaviour at the route's level."""
    if route not in ROUTE_MEETINGS:
        return None, ()
    for level in LEVELS:
        decision = table.decide({**facts, "level": level})
        if decision.route == route:
            return decision.meeting, decision.invitees
    meeting = ROUTE_MEETINGS[route]
    return meeting, CORE_INVITEES[meeting]


def case_decision_now(form: FormDefinition, table: RuleTable, row: Mapping[str, str]) -> CaseNow:
    """The decision now of the case on a Referrals row (original answers, facts now, route override).

    CellProblem (its ``reason`` for the row) if a coordinator's value or the row's age cannot be used.
    """
    now = read_facts_now(form, row)
    facts = facts_of_row(form, row)
    return CaseNow(decide_now(table, facts, now), with_facts_now(facts, now), now)
