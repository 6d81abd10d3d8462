"""Next steps (DESIGN section 6) and meeting decisions (section 5): pure rules, no clock (pass today).

Every action a case needs becomes one *Next steps* row, keyed by case, step and source (``routing``
for the case's decision, else the meeting reference a decision was recorded at), due a number of
working days after its anchor (the referral's receipt or the meeting), a Setting each. A step is
Open, Done once a coordinator enters *Done on* (or the system sees it done: a meeting's decisions
recorded, a team around the child held), and Overdue after its due date. An overdue step is
escalated to the area's service manager from the next working day after it was due, then weekly.

Decisions are a comma-separated list (a dropdown cannot hold several values); each value is one of
:data:`DECISIONS`, typed as the identifier or in words ("Child protection"). A register made before
*Decisions* replaced *Outcome* keeps its Outcome values: they are read as decisions while the
*Decisions* cell is blank. "Both" is read by the meeting's type: the protocol's two sets are child
protection and criminal justice (a strategy discussion), or early help and an out of court
disposal (a planning meeting).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from hsb_sheets.domain.working_days import WorkingCalendar

DECISIONS = (
    "child_protection",
    "child_in_need",
    "criminal_justice",
    "early_help",
    "out_of_court_disposal",
    "hsb_assessment",
    "no_further_action",
)
LEGACY_OUTCOME = "Outcome"  # the Meetings column Decisions replaced; still read where a register has it
_OUTCOMES: dict[str, tuple[str, ...]] = {
    "child protection": ("child_protection",),
    "child in need": ("child_in_need",),
    "criminal justice": ("criminal_justice",),
    "early help": ("early_help",),
    "out of court disposal": ("out_of_court_disposal",),
    "no further action": ("no_further_action",),
}
_BOTH = {
    "strategy_discussion": ("child_protection", "criminal_justice"),
    "multi_agency_planning": ("early_help", "out_of_court_disposal"),
}
OPEN, DONE, OVERDUE = "Open", "Done", "Overdue"
STATUSES = (OPEN, DONE, OVERDUE)
ROUTING = "routing"  # the source of the steps the case's decision needs
TEAM_AROUND_THE_CHILD = "team_around_the_child"
RECORD_MEETING_DECISIONS = "record_meeting_decisions"
RECEIVED, MEETING = "received", "meeting"  # what a step's due date counts from


@dataclass(frozen=True)
class StepRule:
    """One row of DESIGN section 6's table: what makes the step, its due date's Setting, its owner."""

    step: str
    made_by: str  # words for the From column
    setting: str  # the Settings row holding the working days
    days: int  # the default
    owner_role: str
    anchor: str  # RECEIVED or MEETING


def _rule(step: str, made_by: str, what: str, days: int, owner: str, anchor: str) -> StepRule:
    return StepRule(step, made_by, f"Next step due: {what} (working days)", days, owner, anchor)


RULES: dict[str, StepRule] = {
    r.step: r
    for r in (
        _rule(
            "refer_customer_service_centre",
            "routing action",
            "referral to the Customer Service Centre",
            1,
            "coordinator",
            RECEIVED,
        ),
        _rule(
            "child_and_family_assessment",
            "routing action",
            "child and family assessment",
            45,
            "childrens_social_care",
            RECEIVED,
        ),
        _rule(
            "notify_lead_professional",
            "routing action",
            "notify the lead professional",
            1,
            "coordinator",
            RECEIVED,
        ),
        _rule("safeguard_child", "routing action", "safeguard the child", 1, "coordinator", RECEIVED),
        _rule(
            "identify_lead_professional",
            "flag lead_professional_needed",
            "identify a lead professional",
            5,
            "coordinator",
            RECEIVED,
        ),
        _rule(
            "record_voluntary_intervention",
            "routing action",
            "record the voluntary intervention",
            5,
            "hsb_service",
            RECEIVED,
        ),
        _rule(
            RECORD_MEETING_DECISIONS,
            "meeting held with no decisions",
            "record a meeting's decisions",
            1,
            "coordinator",
            MEETING,
        ),
        _rule(
            "initial_child_protection_conference",
            "decision child_protection",
            "initial child protection conference",
            15,
            "childrens_social_care",
            MEETING,
        ),
        _rule(
            "child_in_need_plan",
            "decision child_in_need",
            "child in need plan",
            10,
            "childrens_social_care",
            MEETING,
        ),
        _rule("hsb_assessment", "decision hsb_assessment", "HSB assessment", 20, "hsb_service", MEETING),
        _rule(
            TEAM_AROUND_THE_CHILD,
            "decision early_help",
            "team around the child meeting",
            10,
            "coordinator",
            MEETING,
        ),
        _rule(
            "confirm_case_closure",
            "decision no_further_action",
            "confirm case closure",
            5,
            "coordinator",
            MEETING,
        ),
    )
}
_FROM_ACTIONS = (
    "refer_customer_service_centre",
    "child_and_family_assessment",
    "notify_lead_professional",
    "safeguard_child",
    "record_voluntary_intervention",
)
_FROM_FLAGS = {"lead_professional_needed": "identify_lead_professional"}
_FROM_DECISIONS = {
    "child_protection": "initial_child_protection_conference",
    "child_in_need": "child_in_need_plan",
    "hsb_assessment": "hsb_assessment",
    "early_help": TEAM_AROUND_THE_CHILD,
    "no_further_action": "confirm_case_closure",
}


def step_settings() -> dict[str, tuple[str, str]]:
    """The Settings rows of the steps' due dates: name -> (default, note)."""
    return {
        rule.setting: (
            str(rule.days),
            f"A {rule.step} next step is due this many working days after the "
            + ("referral is received." if rule.anchor == RECEIVED else "meeting."),
        )
        for rule in RULES.values()
    }


def step_id(case_id: str, step: str, source: str) -> str:
    """A step's key: its case, step and source joined by '|'."""
    return "|".join((case_id, step, source))


def routing_steps(actions: tuple[str, ...], flags: tuple[str, ...]) -> tuple[str, ...]:
    """The steps a case's decision needs, from its actions and flags, in the table's order."""
    wanted = {a for a in actions if a in _FROM_ACTIONS} | {_FROM_FLAGS[f] for f in flags if f in _FROM_FLAGS}
    return tuple(step for step in RULES if step in wanted)


def decision_step(decision: str) -> str | None:
    """The step a meeting decision makes (criminal justice and out of court disposal make none)."""
    return _FROM_DECISIONS.get(decision)


def _normal(text: str) -> str:
    return "_".join(text.strip().casefold().replace("-", " ").split())


def parse_decisions(text: str) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """A Decisions cell's known decisions (each once, as typed in order) and the values not known."""
    known: list[str] = []
    unknown: list[str] = []
    for part in text.replace(";", ",").replace("\n", ",").split(","):
        if not part.strip():
            continue
        value = _normal(part)
        if value in DECISIONS:
            if value not in known:
                known.append(value)
        else:
            unknown.append(part.strip())
    return tuple(known), tuple(unknown)


def carried_outcome(outcome: str, meeting_type: str) -> tuple[str, ...]:
    """The decisions an earlier version's Outcome value means (() for blank or unknown ones)."""
    text = " ".join(outcome.strip().casefold().split())
    if text == "both":
        return _BOTH.get(meeting_type, ())
    return _OUTCOMES.get(text, ())


def due_date(work: WorkingCalendar, anchor: date, days: int) -> date:
    """The working day ``days`` working days after ``anchor`` (the anchor day itself never counts).

    Received on a Friday, 1 working day later is Monday (or Tuesday after a bank holiday Monday);
    received on a Saturday, it is Monday. ``days`` of 0 is the anchor, or the next working day.
    """
    if days <= 0:
        return work.add_working_days(anchor, 0)
    return work.add_working_days(anchor + timedelta(days=1), days - 1)


def step_status(today: date, due: date | None, done_on: date | None, seen_done: bool = False) -> str:
    """Open, Done (a Done on date, or the system saw it done) or Overdue (today is after the due date)."""
    if done_on is not None or seen_done:
        return DONE
    if due is not None and today > due:
        return OVERDUE
    return OPEN


def escalation_day(work: WorkingCalendar, due: date, today: date) -> date | None:
    """The day of the escalation that applies today: the working day after due, then every 7 days."""
    first = work.next_working_day(due)
    if today < first:
        return None
    return first + timedelta(days=7 * ((today - first).days // 7))


def planning_invitees(
    police_involved: bool, school_named: bool, lead_given: bool, open_to: tuple[str, ...]
) -> tuple[str, ...]:
    """Invitees of a meeting held as a planning meeting (DESIGN section 4), each role once."""
    roles = ["early_help", "hsb_service"]
    if police_involved:
        roles.append("police")
    if school_named:
        roles.append("school")
    if lead_given:
        roles.append("lead_professional")
    services = {
        "Early Help": "early_help",
        "Children's Social Care": "childrens_social_care",
        "Youth Offending Service": "youth_offending_service",
    }
    roles += [services[s] for s in open_to if s in services]
    return tuple(dict.fromkeys(roles))
