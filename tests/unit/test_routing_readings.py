"""DESIGN section 4 as revised on 2026-12-01, sentence by sentence, and each of its "Readings where
the words above allow two" as a test of its own (the shipped table, through intake's assessment)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import pytest

from hsb_sheets.domain.form import FormDefinition
from hsb_sheets.domain.intake import Assessment, DuplicateIndex, KnownChild, assess
from hsb_sheets.domain.rules import RuleTable
from tests.conftest import RECEIVED, valid_answers

LEAD = "lead.worker@example.gov.uk"
CHILDRENS_ACTIONS = {"refer_customer_service_centre", "child_and_family_assessment", "safeguard_child"}


def decide(form: FormDefinition, table: RuleTable, **changes: str) -> dict[str, Any]:
    result = assess(form, table, valid_answers(**changes), RECEIVED, DuplicateIndex(), "test")
    assert isinstance(result, Assessment), result
    return result.decision.to_json()


def aged(age: int) -> dict[str, str]:
    """Answers for a child of ``age`` on RECEIVED (10 March 2026), the incident the week before."""
    return {"child_dob": f"01/01/{RECEIVED.year - age}", "incident_date": "01/03/2026"}


# -- adults: adult services, and nothing that concerns children's services --------------------------


def test_an_adult_goes_to_adult_services_with_no_meeting(form: FormDefinition, table: RuleTable) -> None:
    d = decide(
        form,
        table,
        **aged(19),
        traffic_light="Red",
        school_or_setting="Example College",
        lead_professional_email=LEAD,
        open_to_services="Youth Offending Service",
    )
    assert (d["service"], d["route"], d["meeting"], d["invitees"]) == (
        "out_of_scope",
        "adult_services",
        None,
        [],
    )


def test_an_adult_gets_no_childrens_actions_pathways_or_tools(form: FormDefinition, table: RuleTable) -> None:
    d = decide(
        form,
        table,
        **aged(18),
        traffic_light="Amber",
        harm_caused="Yes",
        risk_to_self="Yes",
        police_involved="Yes",
        criminal_status="Charged",
        online_element="Yes",
        child_gender="Male",
    )
    assert d["actions"] == ["signpost_adult_services"]
    assert d["pathways"] == ["criminal_justice"]  # only criminal_justice for out_of_scope
    assert d["assessment_tools"] == [] and "aim_deferred_until_responsibility" not in d["flags"]
    assert "lead_professional_needed" not in d["flags"]


def test_for_an_adult_only_the_named_exclusions_apply(form: FormDefinition, table: RuleTable) -> None:
    d = decide(
        form,
        table,
        **aged(24),
        child_area="Peterborough",
        lead_professional_email=LEAD,
        learning_needs="Yes",
        persistent="Yes",
    )
    assert d["recording_system"] == "CAPITA"
    assert d["actions"] == ["notify_lead_professional", "signpost_adult_services"]
    assert d["flags"] == ["learning_needs", "formal_assessment"]


# -- invitees: the services a child is open to ------------------------------------------------------


def test_every_open_service_is_invited_to_a_strategy_discussion_once(
    form: FormDefinition, table: RuleTable
) -> None:
    d = decide(
        form,
        table,
        traffic_light="Red",
        open_to_services="Early Help, Children's Social Care, Youth Offending Service",
        lead_professional_email=LEAD,
        school_or_setting="Example Academy",
    )
    assert d["invitees"] == [
        "childrens_social_care",
        "police",
        "hsb_service",
        "school",
        "lead_professional",
        "early_help",
        "youth_offending_service",
    ]


def test_open_services_are_invited_to_a_planning_meeting(form: FormDefinition, table: RuleTable) -> None:
    d = decide(form, table, traffic_light="Amber", open_to_services="Early Help, Youth Offending Service")
    assert d["invitees"] == ["early_help", "hsb_service", "youth_offending_service"]
    d = decide(form, table, traffic_light="Amber", open_to_services="Children's Social Care")
    assert d["invitees"] == ["early_help", "hsb_service", "childrens_social_care"]


def test_no_meeting_means_no_invitees(form: FormDefinition, table: RuleTable) -> None:
    d = decide(
        form,
        table,
        traffic_light="Green",
        open_to_services="Youth Offending Service",
        lead_professional_email=LEAD,
        school_or_setting="Example Academy",
    )
    assert (d["meeting"], d["invitees"]) == (None, [])


# -- actions ----------------------------------------------------------------------------------------


@pytest.mark.parametrize(("risk", "referred"), [("Yes", True), ("No", False), ("Not known", False)])
def test_a_risk_to_self_is_always_recorded_by_the_customer_service_centre(
    form: FormDefinition, table: RuleTable, risk: str, referred: bool
) -> None:
    d = decide(form, table, traffic_light="Green", risk_to_self=risk, open_to_services="Early Help")
    assert ("refer_customer_service_centre" in d["actions"]) is referred
    assert ("safeguard_child" in d["actions"]) is referred


def test_a_child_under_8_at_risk_is_referred_and_safeguarded(form: FormDefinition, table: RuleTable) -> None:
    d = decide(form, table, **aged(5), risk_to_self="Yes")
    assert d["service"] == "advice_signpost"
    assert d["actions"] == ["refer_customer_service_centre", "safeguard_child"]


def test_the_lead_professional_is_notified_only_when_given(form: FormDefinition, table: RuleTable) -> None:
    assert "notify_lead_professional" not in decide(form, table, open_to_services="Early Help")["actions"]
    for age in (6, 12, 20):
        d = decide(form, table, **aged(age), lead_professional_email=LEAD)
        assert "notify_lead_professional" in d["actions"]


def test_actions_are_listed_in_the_order_section_4_names_them(form: FormDefinition, table: RuleTable) -> None:
    d = decide(form, table, traffic_light="Red", risk_to_self="Yes", lead_professional_email=LEAD)
    assert d["actions"] == [
        "refer_customer_service_centre",
        "child_and_family_assessment",
        "notify_lead_professional",
        "safeguard_child",
        "record_voluntary_intervention",
    ]


# -- flags ------------------------------------------------------------------------------------------


@pytest.mark.parametrize("light", ["Green", "Amber", "Red"])
def test_the_hsb_service_needs_a_lead_professional_whatever_the_level(
    form: FormDefinition, table: RuleTable, light: str
) -> None:
    assert "lead_professional_needed" in decide(form, table, traffic_light=light)["flags"]
    given = decide(form, table, traffic_light=light, lead_professional_email=LEAD)
    assert "lead_professional_needed" not in given["flags"]


@pytest.mark.parametrize("age", [7, 18])
def test_no_lead_professional_is_needed_outside_the_hsb_service(
    form: FormDefinition, table: RuleTable, age: int
) -> None:
    assert "lead_professional_needed" not in decide(form, table, **aged(age))["flags"]


def test_flags_are_listed_in_the_order_section_4_names_them(form: FormDefinition, table: RuleTable) -> None:
    index = DuplicateIndex(
        [KnownChild("HSB-2026-0001", "Robin", "Testwood", datetime(2012, 6, 15).date(), RECEIVED.date())]
    )
    answers = valid_answers(traffic_light="Red", learning_needs="Yes", persistent="Yes")
    result = assess(form, table, answers, RECEIVED, index, "test")
    assert isinstance(result, Assessment)
    assert list(result.decision.flags) == [
        "aim_deferred_until_responsibility",
        "learning_needs",
        "formal_assessment",
        "lead_professional_needed",
        "possible_duplicate",
    ]


# -- readings where the words allow two ------------------------------------------------------------


def test_reading_orange_is_amber(form: FormDefinition, table: RuleTable) -> None:
    assert decide(form, table, traffic_light="Orange") == decide(form, table, traffic_light="Amber")


def test_reading_police_involved_is_the_answer_yes(form: FormDefinition, table: RuleTable) -> None:
    d = decide(form, table, traffic_light="Amber", referrer_agency="Police", police_involved="No")
    assert "police" not in d["invitees"] and "criminal_justice" not in d["pathways"]


def test_reading_school_needs_a_non_blank_answer(form: FormDefinition, table: RuleTable) -> None:
    assert "school" not in decide(form, table, traffic_light="Red", school_or_setting="   ")["invitees"]
    assert (
        "school" in decide(form, table, traffic_light="Red", school_or_setting="Example Academy")["invitees"]
    )


def test_reading_open_services_come_only_from_open_to_services(
    form: FormDefinition, table: RuleTable
) -> None:
    d = decide(form, table, traffic_light="Red", referrer_agency="Youth Offending Service")
    assert "youth_offending_service" not in d["invitees"]
    assert "child_and_family_assessment" in d["actions"]  # still not open to any service


@pytest.mark.parametrize("age", [5, 13, 21])
def test_reading_learning_needs_is_the_answer_yes_any_service(
    form: FormDefinition, table: RuleTable, age: int
) -> None:
    assert "learning_needs" in decide(form, table, **aged(age), learning_needs="Yes")["flags"]
    assert "learning_needs" not in decide(form, table, **aged(age), learning_needs="Not known")["flags"]


def test_reading_formal_assessment_applies_whatever_the_level(form: FormDefinition, table: RuleTable) -> None:
    d = decide(form, table, traffic_light="Green", persistent="Yes")
    assert "formal_assessment" in d["flags"] and d["assessment_tools"] == []


def test_reading_the_deferral_adds_a_flag_and_concerns_aim3_only(
    form: FormDefinition, table: RuleTable
) -> None:
    teen = decide(form, table, traffic_light="Red", online_element="Yes", accepted_responsibility="No")
    assert teen["assessment_tools"] == ["AIM3", "TA_HSB"]
    assert "aim_deferred_until_responsibility" in teen["flags"]
    child = decide(
        form,
        table,
        **aged(10),
        traffic_light="Red",
        accepted_responsibility="No",
        police_involved="Yes",
        criminal_status="Charged",
    )
    assert child["assessment_tools"] == ["AIM_UNDER_12"]
    assert "aim_deferred_until_responsibility" not in child["flags"]


@pytest.mark.parametrize("status", ["None", "Under investigation", "Convicted"])
def test_reading_out_of_court_disposal_does_not_depend_on_criminal_status(
    form: FormDefinition, table: RuleTable, status: str
) -> None:
    d = decide(form, table, traffic_light="Amber", police_involved="Yes", criminal_status=status)
    assert "out_of_court_disposal" in d["pathways"]


def test_reading_empty_lists_are_empty_lists(form: FormDefinition, table: RuleTable) -> None:
    d = decide(form, table, traffic_light="Green", lead_professional_email=LEAD)
    assert d["meeting"] is None
    assert d["invitees"] == d["pathways"] == d["assessment_tools"] == d["flags"] == []


@pytest.mark.parametrize(
    ("received", "age", "service"),
    [
        (datetime(2026, 2, 28, 9, 0), 17, "hsb"),
        (datetime(2026, 3, 1, 9, 0), 18, "out_of_scope"),
        (datetime(2028, 2, 28, 9, 0), 19, "out_of_scope"),
    ],
)
def test_reading_a_29_february_birthday_counts_on_1_march(
    form: FormDefinition, table: RuleTable, received: datetime, age: int, service: str
) -> None:
    result = assess(
        form,
        table,
        valid_answers(child_dob="29/02/2008", incident_date="01/02/2026"),
        received,
        DuplicateIndex(),
        "test",
    )
    assert isinstance(result, Assessment)
    assert result.facts["age"] == age and result.decision.service == service
