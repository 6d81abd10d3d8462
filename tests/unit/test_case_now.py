"""The case's decision now (domain/case_now.py): original answers, facts now and a route override."""

from __future__ import annotations

import pytest

from hsb_sheets.domain.case_now import (
    FactsNow,
    case_decision_now,
    decide_now,
    facts_of_row,
    read_facts_now,
)
from hsb_sheets.domain.cells import CellProblem
from hsb_sheets.domain.form import FormDefinition
from hsb_sheets.domain.intake import DuplicateIndex, NewReferral, assess
from hsb_sheets.domain.register_rows import referral_row
from hsb_sheets.domain.responses import ResponseRow
from hsb_sheets.domain.rules import RuleTable
from hsb_sheets.domain.tabs import ReferralsTab
from tests.conftest import RECEIVED, valid_answers

BOY_14 = {"child_dob": "15/06/2011", "child_gender": "Male"}
RED_INVESTIGATED = {
    **BOY_14,
    "traffic_light": "Red",
    "police_involved": "Yes",
    "criminal_status": "Under investigation",
    "accepted_responsibility": "No",
    "lead_professional_email": "lead@example.gov.uk",
}


def row_of(form: FormDefinition, table: RuleTable, **answers: str) -> dict[str, str]:
    """The Referrals row intake writes for these answers."""
    assessed = assess(form, table, valid_answers(**answers), RECEIVED, DuplicateIndex(), "r")
    assert not isinstance(assessed, list)
    response = ResponseRow(2, "response-1", "", {})
    return referral_row(form, NewReferral("HSB-2026-0001", response, assessed))


@pytest.mark.parametrize(
    "answers",
    [
        RED_INVESTIGATED,
        {"traffic_light": "Amber", "persistent": "Yes", "online_element": "Yes", "child_dob": "01/01/2016"},
        {"open_to_services": "Early Help, Youth Offending Service", "harm_caused": "Yes"},
        {"child_dob": "01/01/2006", "police_involved": "Yes", "criminal_status": "Charged"},
        {"child_dob": "01/01/2020", "risk_to_self": "Yes", "school_or_setting": "Fenwold Academy"},
    ],
)
def test_a_row_read_back_decides_as_intake_did(
    form: FormDefinition, table: RuleTable, answers: dict[str, str]
) -> None:
    row = row_of(form, table, **answers)
    now = case_decision_now(form, table, row)
    assessed = assess(form, table, valid_answers(**answers), RECEIVED, DuplicateIndex(), "r")
    assert not isinstance(assessed, list) and now.decision == assessed.decision
    assert now.now == FactsNow()


def test_a_conviction_and_an_admission_change_the_tools_and_flags(
    form: FormDefinition, table: RuleTable
) -> None:
    row = row_of(form, table, **RED_INVESTIGATED)
    before = case_decision_now(form, table, row).decision
    assert "aim_deferred_until_responsibility" in before.flags and "ERASOR" not in before.assessment_tools
    row |= {ReferralsTab.CRIMINAL_STATUS_NOW: "convicted", ReferralsTab.RESPONSIBILITY_NOW: "Yes"}
    now = case_decision_now(form, table, row)
    assert now.now == FactsNow("Convicted", "Yes", "")
    assert now.facts["criminal_process"] is False
    assert now.decision.assessment_tools == ("AIM3", "JSOAP", "ERASOR")
    assert "aim_deferred_until_responsibility" not in now.decision.flags
    assert now.decision.route == before.route and now.decision.pathways == before.pathways


def test_an_override_brings_its_own_meeting_and_invitees_and_keeps_the_rest(
    form: FormDefinition, table: RuleTable
) -> None:
    facts = facts_of_row(
        form, row_of(form, table, traffic_light="Amber", school_or_setting="Fenwold Academy")
    )
    plain = decide_now(table, facts, FactsNow())
    assert (plain.route, plain.meeting) == ("early_help", "multi_agency_planning")
    up = decide_now(table, facts, FactsNow(route_override="strategy_discussion"))
    assert (up.route, up.meeting) == ("strategy_discussion", "strategy_discussion")
    assert up.invitees == ("childrens_social_care", "police", "hsb_service", "school")
    assert (up.pathways, up.actions, up.assessment_tools, up.flags) == (
        plain.pathways,
        plain.actions,
        plain.assessment_tools,
        plain.flags,
    )
    down = decide_now(table, facts, FactsNow(route_override="universal"))
    assert (down.route, down.meeting, down.invitees) == ("universal", None, ())


def test_an_adult_overridden_to_a_strategy_discussion_invites_its_core_agencies(
    form: FormDefinition, table: RuleTable
) -> None:
    facts = facts_of_row(form, row_of(form, table, child_dob="01/01/2006", traffic_light="Red"))
    decision = decide_now(table, facts, FactsNow(route_override="strategy_discussion"))
    assert decision.meeting == "strategy_discussion"
    assert decision.invitees == ("childrens_social_care", "police", "hsb_service")


def test_values_that_cannot_be_used_are_named_together(form: FormDefinition, table: RuleTable) -> None:
    row = row_of(form, table) | {
        ReferralsTab.ROUTE_OVERRIDE: "strategy",
        ReferralsTab.CRIMINAL_STATUS_NOW: "Sentenced",
    }
    with pytest.raises(CellProblem) as raised:
        read_facts_now(form, row)
    assert "Route override 'strategy' is not a route" in raised.value.reason
    assert "Criminal status now 'Sentenced' is not one of: None, Under investigation" in raised.value.reason
    assert read_facts_now(
        form, row | {ReferralsTab.ROUTE_OVERRIDE: " Early_Help ", ReferralsTab.CRIMINAL_STATUS_NOW: ""}
    ) == FactsNow(route_override="early_help")


def test_a_row_without_its_age_cannot_be_decided_again(form: FormDefinition, table: RuleTable) -> None:
    with pytest.raises(CellProblem, match="Age"):
        facts_of_row(form, row_of(form, table) | {ReferralsTab.AGE: ""})


def test_the_record_names_only_the_values_set() -> None:
    assert FactsNow().record() == ""
    assert (
        FactsNow("Charged", "", "early_help").record()
        == "route override: early_help; criminal status now: Charged"
    )
