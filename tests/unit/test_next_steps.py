"""Next steps and decisions, the pure rules: due dates in working days, decisions read, escalation days."""

from __future__ import annotations

from datetime import date
from zoneinfo import ZoneInfo

import pytest

from hsb_sheets.domain.next_steps import (
    DONE,
    OPEN,
    OVERDUE,
    RULES,
    carried_outcome,
    decision_step,
    due_date,
    escalation_day,
    parse_decisions,
    planning_invitees,
    routing_steps,
    step_id,
    step_status,
)
from hsb_sheets.domain.working_days import WorkingCalendar

WORK = WorkingCalendar(ZoneInfo("Europe/London"))


@pytest.mark.parametrize(
    ("anchor", "days", "due"),
    [
        (date(2026, 3, 10), 1, date(2026, 3, 11)),  # Tuesday -> Wednesday
        (date(2026, 3, 13), 1, date(2026, 3, 16)),  # Friday -> Monday, over the weekend
        (date(2026, 3, 14), 1, date(2026, 3, 16)),  # received on a Saturday: Monday
        (date(2026, 3, 13), 5, date(2026, 3, 20)),
        # Christmas 2026: Friday 25 December, Boxing Day (Saturday) observed on Monday 28 December.
        (date(2026, 12, 24), 1, date(2026, 12, 29)),
        (date(2026, 12, 23), 5, date(2027, 1, 4)),  # 24, 29, 30, 31 December, then 4 January
        (date(2026, 12, 31), 1, date(2027, 1, 4)),  # New Year's Day 2027 is a Friday
        # Easter 2027: Good Friday 26 March, Easter Monday 29 March (and BST starts on Sunday 28 March).
        (date(2027, 3, 25), 1, date(2027, 3, 30)),
        (date(2027, 3, 24), 15, date(2027, 4, 16)),
        # BST ends on Sunday 25 October 2026: a calendar day is a day either way.
        (date(2026, 10, 23), 1, date(2026, 10, 26)),
        # 45 working days from 1 December 2026 cross Christmas and New Year (three bank holidays).
        (date(2026, 12, 1), 45, date(2027, 2, 5)),
    ],
)
def test_due_dates_count_working_days_in_england_and_wales(anchor: date, days: int, due: date) -> None:
    assert due_date(WORK, anchor, days) == due


def test_every_step_of_the_design_table_has_its_default_and_owner() -> None:
    table = {
        "refer_customer_service_centre": (1, "coordinator"),
        "child_and_family_assessment": (45, "childrens_social_care"),
        "notify_lead_professional": (1, "coordinator"),
        "safeguard_child": (1, "coordinator"),
        "identify_lead_professional": (5, "coordinator"),
        "record_voluntary_intervention": (5, "hsb_service"),
        "record_meeting_decisions": (1, "coordinator"),
        "initial_child_protection_conference": (15, "childrens_social_care"),
        "child_in_need_plan": (10, "childrens_social_care"),
        "hsb_assessment": (20, "hsb_service"),
        "team_around_the_child": (10, "coordinator"),
        "confirm_case_closure": (5, "coordinator"),
    }
    assert {step: (rule.days, rule.owner_role) for step, rule in RULES.items()} == table
    assert all(rule.setting.startswith("Next step due: ") for rule in RULES.values())


def test_the_case_decision_gives_its_steps() -> None:
    actions = (
        "refer_customer_service_centre",
        "child_and_family_assessment",
        "record_voluntary_intervention",
    )
    assert routing_steps(actions, ("lead_professional_needed", "learning_needs")) == (
        "refer_customer_service_centre",
        "child_and_family_assessment",
        "identify_lead_professional",
        "record_voluntary_intervention",
    )
    assert routing_steps(("signpost_adult_services",), ()) == ()
    assert [decision_step(d) for d in ("child_protection", "criminal_justice", "early_help")] == [
        "initial_child_protection_conference",
        None,
        "team_around_the_child",
    ]
    assert step_id("HSB-2026-0001", "safeguard_child", "routing") == "HSB-2026-0001|safeguard_child|routing"


def test_decisions_are_comma_separated_each_checked_and_typed_in_words_or_as_ids() -> None:
    assert parse_decisions("child_protection, Criminal justice,child_protection") == (
        ("child_protection", "criminal_justice"),
        (),
    )
    assert parse_decisions("early help; crimnal justice") == (("early_help",), ("crimnal justice",))
    assert parse_decisions("  ") == ((), ())


def test_earlier_outcomes_are_carried_over_and_both_is_read_by_the_meeting_type() -> None:
    assert carried_outcome("Child protection", "strategy_discussion") == ("child_protection",)
    assert carried_outcome("Both", "strategy_discussion") == ("child_protection", "criminal_justice")
    assert carried_outcome("Both", "multi_agency_planning") == ("early_help", "out_of_court_disposal")
    assert carried_outcome("No further action", "multi_agency_planning") == ("no_further_action",)
    assert carried_outcome("Something else", "strategy_discussion") == ()


def test_status_is_done_with_a_date_overdue_after_the_due_date_else_open() -> None:
    due = date(2026, 3, 11)
    assert step_status(date(2026, 3, 11), due, None) == OPEN
    assert step_status(date(2026, 3, 12), due, None) == OVERDUE
    assert step_status(date(2026, 3, 12), due, date(2026, 3, 12)) == DONE
    assert step_status(date(2026, 3, 12), due, None, seen_done=True) == DONE


def test_escalation_is_the_working_day_after_due_then_weekly() -> None:
    due = date(2026, 3, 13)  # a Friday: the first escalation is on Monday
    assert escalation_day(WORK, due, date(2026, 3, 13)) is None
    assert escalation_day(WORK, due, date(2026, 3, 16)) == date(2026, 3, 16)
    assert escalation_day(WORK, due, date(2026, 3, 22)) == date(2026, 3, 16)
    assert escalation_day(WORK, due, date(2026, 3, 23)) == date(2026, 3, 23)


def test_a_team_around_the_child_invites_as_a_planning_meeting() -> None:
    assert planning_invitees(True, True, True, ("Youth Offending Service", "Early Help")) == (
        "early_help",
        "hsb_service",
        "police",
        "school",
        "lead_professional",
        "youth_offending_service",
    )
    assert planning_invitees(False, False, False, ("None of these",)) == ("early_help", "hsb_service")
