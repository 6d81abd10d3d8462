"""Routing by the protocol (DESIGN section 4): each rule, with the age boundaries."""

from __future__ import annotations

from typing import Any

import pytest

from hsb_sheets.domain.facts import behaviour_level
from hsb_sheets.domain.form import FormDefinition
from hsb_sheets.domain.intake import Assessment, DuplicateIndex, assess
from hsb_sheets.domain.rules import RuleTable
from tests.conftest import RECEIVED, valid_answers


def dob_for(age: int, birthday_today: bool = True) -> str:
    """Born ``age`` years before RECEIVED (10 March 2026): birthday on the day, or else tomorrow
    (so the child is still ``age - 1``)."""
    day = 10 if birthday_today else 11
    return f"{day:02d}/03/{RECEIVED.year - age}"


def decide(form: FormDefinition, table: RuleTable, **changes: str) -> dict[str, Any]:
    result = assess(form, table, valid_answers(**changes), RECEIVED, DuplicateIndex(), "test")
    assert isinstance(result, Assessment), result
    return result.decision.to_json()


def test_decision_has_exactly_the_design_keys(form: FormDefinition, table: RuleTable) -> None:
    assert list(decide(form, table)) == [
        "service",
        "route",
        "meeting",
        "invitees",
        "pathways",
        "actions",
        "assessment_tools",
        "flags",
        "recording_system",
        "rules_fired",
    ]


@pytest.mark.parametrize(
    ("traffic", "harm", "level"),
    [
        ("Red", "No", "significant"),
        ("Green", "Yes", "significant"),
        ("Amber", "Yes", "significant"),
        ("Amber", "No", "complex"),
        ("Amber", "Not known", "complex"),
        ("Green", "No", "healthy"),
        ("Green", "Not known", "healthy"),
    ],
)
def test_behaviour_level(traffic: str, harm: str, level: str) -> None:
    assert behaviour_level(traffic, harm) == level


@pytest.mark.parametrize(
    ("age", "birthday_today", "service"),
    [
        (7, True, "advice_signpost"),
        (8, False, "advice_signpost"),
        (8, True, "hsb"),
        (17, True, "hsb"),
        (18, False, "hsb"),
        (18, True, "out_of_scope"),
        (24, True, "out_of_scope"),
    ],
)
def test_service_by_age(
    form: FormDefinition, table: RuleTable, age: int, birthday_today: bool, service: str
) -> None:
    decision = decide(form, table, child_dob=dob_for(age, birthday_today), incident_date="01/03/2026")
    assert decision["service"] == service
    assert ("record_voluntary_intervention" in decision["actions"]) is (service == "hsb")


def test_significant_goes_to_a_strategy_discussion(form: FormDefinition, table: RuleTable) -> None:
    d = decide(form, table, traffic_light="Red", open_to_services="None of these")
    assert (d["route"], d["meeting"]) == ("strategy_discussion", "strategy_discussion")
    assert d["invitees"] == ["childrens_social_care", "police", "hsb_service"]
    assert d["pathways"] == ["child_protection"]
    assert "refer_customer_service_centre" in d["actions"]
    assert "child_and_family_assessment" in d["actions"]


def test_significant_and_open_needs_no_child_and_family_assessment(
    form: FormDefinition, table: RuleTable
) -> None:
    d = decide(form, table, harm_caused="Yes", open_to_services="Early Help")
    assert d["route"] == "strategy_discussion"
    assert "child_and_family_assessment" not in d["actions"]
    # Being open to a service is not a lead professional: only a given one is notified (2026-12-01).
    assert "notify_lead_professional" not in d["actions"]
    given = decide(form, table, harm_caused="Yes", lead_professional_email="lead@example.gov.uk")
    assert "notify_lead_professional" in given["actions"]


def test_school_and_lead_professional_are_invited(form: FormDefinition, table: RuleTable) -> None:
    d = decide(
        form,
        table,
        traffic_light="Red",
        school_or_setting="Example Academy",
        lead_professional_email="lead@example.gov.uk",
    )
    assert d["invitees"] == ["childrens_social_care", "police", "hsb_service", "school", "lead_professional"]


def test_complex_goes_to_early_help_with_a_planning_meeting(form: FormDefinition, table: RuleTable) -> None:
    d = decide(form, table, traffic_light="Amber")
    assert (d["route"], d["meeting"]) == ("early_help", "multi_agency_planning")
    assert d["invitees"] == ["early_help", "hsb_service"]
    assert d["pathways"] == ["early_help"]
    assert "refer_customer_service_centre" in d["actions"]
    assert "child_and_family_assessment" not in d["actions"]


def test_complex_with_police_adds_police_and_out_of_court_disposal(
    form: FormDefinition, table: RuleTable
) -> None:
    d = decide(form, table, traffic_light="Amber", police_involved="Yes", school_or_setting="Example Academy")
    # Section 4's order: the planning meeting's roles (police among them), then the school.
    assert d["invitees"] == ["early_help", "hsb_service", "police", "school"]
    assert d["pathways"] == ["criminal_justice", "early_help", "out_of_court_disposal"]


def test_healthy_goes_to_universal_services(form: FormDefinition, table: RuleTable) -> None:
    d = decide(form, table, traffic_light="Green", school_or_setting="Example Academy")
    assert (d["route"], d["meeting"], d["invitees"], d["pathways"]) == ("universal", None, [], [])
    assert "refer_customer_service_centre" not in d["actions"]


def test_police_involved_means_criminal_justice_pathway(form: FormDefinition, table: RuleTable) -> None:
    assert "criminal_justice" in decide(form, table, police_involved="Yes")["pathways"]


def test_risk_to_self_means_safeguard_the_child(form: FormDefinition, table: RuleTable) -> None:
    assert "safeguard_child" in decide(form, table, risk_to_self="Yes")["actions"]
    assert "safeguard_child" not in decide(form, table, risk_to_self="Not known")["actions"]


@pytest.mark.parametrize(
    ("age", "birthday_today", "tools"),
    [
        (7, True, []),
        (8, True, ["AIM_UNDER_12"]),
        (11, True, ["AIM_UNDER_12"]),
        (12, False, ["AIM_UNDER_12"]),
        (12, True, ["AIM3", "JSOAP"]),
        (17, True, ["AIM3", "JSOAP"]),
        (18, True, []),
    ],
)
def test_assessment_tools_by_age_for_significant_males(
    form: FormDefinition, table: RuleTable, age: int, birthday_today: bool, tools: list[str]
) -> None:
    d = decide(
        form,
        table,
        traffic_light="Red",
        child_gender="Male",
        child_dob=dob_for(age, birthday_today),
        incident_date="01/03/2026",
    )
    assert d["assessment_tools"] == tools


def test_jsoap_is_for_males_only(form: FormDefinition, table: RuleTable) -> None:
    for gender in ("Female", "Non-binary or other", "Not known"):
        d = decide(form, table, traffic_light="Red", child_gender=gender, child_dob=dob_for(14))
        assert d["assessment_tools"] == ["AIM3"]


def test_erasor_needs_a_conviction(form: FormDefinition, table: RuleTable) -> None:
    convicted = decide(
        form,
        table,
        traffic_light="Red",
        child_gender="Male",
        child_dob=dob_for(15),
        police_involved="Yes",
        criminal_status="Convicted",
    )
    assert convicted["assessment_tools"] == ["AIM3", "JSOAP", "ERASOR"]
    guilty = decide(
        form,
        table,
        traffic_light="Red",
        child_gender="Male",
        child_dob=dob_for(15),
        police_involved="Yes",
        criminal_status="Pleaded guilty",
    )
    assert guilty["assessment_tools"] == ["AIM3", "JSOAP"]


def test_ta_hsb_for_online_behaviour(form: FormDefinition, table: RuleTable) -> None:
    d = decide(form, table, traffic_light="Red", online_element="Yes", child_dob=dob_for(9))
    assert d["assessment_tools"] == ["AIM_UNDER_12", "TA_HSB"]


def test_complex_needs_persistence_for_tools(form: FormDefinition, table: RuleTable) -> None:
    assert decide(form, table, traffic_light="Amber", persistent="No")["assessment_tools"] == []
    assert decide(form, table, traffic_light="Amber", persistent="Not known")["assessment_tools"] == []
    d = decide(form, table, traffic_light="Amber", persistent="Yes", online_element="Yes")
    assert d["assessment_tools"] == ["AIM3", "TA_HSB"]
    assert "formal_assessment" in d["flags"]


def test_no_tools_outside_the_hsb_service(form: FormDefinition, table: RuleTable) -> None:
    d = decide(
        form,
        table,
        traffic_light="Red",
        online_element="Yes",
        child_dob=dob_for(19),
        incident_date="01/03/2026",
    )
    assert d["service"] == "out_of_scope" and d["assessment_tools"] == []


@pytest.mark.parametrize(
    ("status", "responsibility", "deferred"),
    [
        ("Under investigation", "Yes", True),
        ("Charged", "Partly", True),
        ("Out of Court Disposal accepted", "Yes", False),
        ("Pleaded guilty", "Partly", False),
        ("Convicted", "Yes", False),
        ("Pleaded guilty", "No", True),
        ("Convicted", "Not known", True),
        ("None", "Not known", True),
    ],
)
def test_aim_deferred_until_responsibility(
    form: FormDefinition, table: RuleTable, status: str, responsibility: str, deferred: bool
) -> None:
    d = decide(
        form,
        table,
        traffic_light="Red",
        police_involved="Yes",
        criminal_status=status,
        accepted_responsibility=responsibility,
        child_dob=dob_for(14),
    )
    assert ("aim_deferred_until_responsibility" in d["flags"]) is deferred
    assert "AIM3" in d["assessment_tools"]  # the flag adds to AIM3, never removes it


def test_aim_deferral_only_when_aim3_is_listed(form: FormDefinition, table: RuleTable) -> None:
    d = decide(
        form,
        table,
        traffic_light="Red",
        police_involved="Yes",
        criminal_status="Charged",
        child_dob=dob_for(10),
    )
    assert "AIM3" not in d["assessment_tools"]
    assert "aim_deferred_until_responsibility" not in d["flags"]


def test_learning_needs_flag(form: FormDefinition, table: RuleTable) -> None:
    assert "learning_needs" in decide(form, table, learning_needs="Yes")["flags"]
    assert "learning_needs" not in decide(form, table, learning_needs="Not known")["flags"]


def test_recording_system_by_area(form: FormDefinition, table: RuleTable) -> None:
    assert decide(form, table, child_area="Cambridgeshire")["recording_system"] == "ChildView"
    assert decide(form, table, child_area="Peterborough")["recording_system"] == "CAPITA"


def test_rules_fired_names_every_matching_row(form: FormDefinition, table: RuleTable) -> None:
    d = decide(form, table, traffic_light="Red", child_area="Peterborough")
    assert d["rules_fired"][:1] == ["SVC-2"]
    assert {"RTE-1", "ACT-1", "TL-3", "REC-2"} <= set(d["rules_fired"])


def test_possible_duplicate_is_flagged_within_30_days(form: FormDefinition, table: RuleTable) -> None:
    from datetime import timedelta

    index = DuplicateIndex()
    first = assess(form, table, valid_answers(), RECEIVED, index, "HSB-2026-0001")
    assert isinstance(first, Assessment) and first.duplicate_of == ()
    again = assess(
        form, table, valid_answers(child_first_name=" robin "), RECEIVED + timedelta(days=30), index, "x"
    )
    assert isinstance(again, Assessment)
    assert again.duplicate_of == ("HSB-2026-0001",)
    assert "possible_duplicate" in again.decision.flags
    later = assess(form, table, valid_answers(), RECEIVED + timedelta(days=60), index, "y")
    assert isinstance(later, Assessment) and later.duplicate_of == ("x",)
    other = assess(form, table, valid_answers(child_dob="16/06/2012"), RECEIVED, index, "z")
    assert isinstance(other, Assessment) and other.duplicate_of == ()
