"""Next steps and meeting decisions through the meetings and reminders jobs, on the in-memory register."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from hsb_sheets.adapters.mail.memory import MemoryMailer
from hsb_sheets.adapters.workbook.base import Update, WriteBatch
from hsb_sheets.domain.tabs import AUDIT_LOG, MEETINGS, NEXT_STEPS, OUTBOX, REFERRALS
from hsb_sheets.resources import shipped
from hsb_sheets.services.context import Context
from hsb_sheets.services.digest import run_digest
from hsb_sheets.services.meetings import run_meetings
from hsb_sheets.services.reminders import run_reminders
from hsb_sheets.services.rule_source import read_rule_csv
from hsb_sheets.services.setup import setup_register
from tests.conftest import FixedClock
from tests.unit.test_intake_service import store
from tests.unit.test_meetings_service import edit, meetings, refer

CASE = "HSB-2026-0001"
MEETING = f"{CASE}-1"


@pytest.fixture
def ctx(memory_context: Context) -> Context:
    setup_register(memory_context, directory_seed=read_rule_csv(shipped("config/directory.example.csv")))
    return memory_context


def steps(ctx: Context) -> dict[str, dict[str, str]]:
    return {r["Step ID"]: r for r in ctx.workbook.read([NEXT_STEPS])[NEXT_STEPS].records()}


def audit_lines(ctx: Context, action: str) -> list[str]:
    rows = ctx.workbook.read([AUDIT_LOG])[AUDIT_LOG].records()
    return [r["Detail"] for r in rows if r["Action"] == action]


def type_in(ctx: Context, step: str, **values: str) -> None:
    update = Update(NEXT_STEPS, "Step ID", step, {k.replace("_", " "): v for k, v in values.items()})
    ctx.workbook.write(WriteBatch(updates=[update]))


def at(clock: FixedClock, when: str) -> None:
    clock.now = datetime.fromisoformat(when).replace(tzinfo=UTC)


def test_the_case_decision_makes_each_step_once_with_its_due_date(ctx: Context) -> None:
    refer(ctx, traffic_light="Red")  # received Tuesday 10 March 2026; not open to services, no lead
    report = run_meetings(ctx)
    made = steps(ctx)
    assert {r["Step"]: r["Due"] for r in made.values()} == {
        "refer_customer_service_centre": "2026-03-11",
        "child_and_family_assessment": "2026-05-15",  # 45 working days, over Easter and 4 May 2026
        "identify_lead_professional": "2026-03-17",
        "record_voluntary_intervention": "2026-03-17",
    }
    row = made[f"{CASE}|child_and_family_assessment|routing"]
    assert (row["Owner role"], row["Status"], row["Area"], row["From"]) == (
        "childrens_social_care",
        "Open",
        "Cambridgeshire",
        "routing action",
    )
    assert len(report.steps_created) == 4 and len(audit_lines(ctx, "next step created")) == 4
    again = run_meetings(ctx)
    assert again.steps_created == [] and len(steps(ctx)) == 4


def test_a_coordinators_done_on_and_notes_stay_and_a_deleted_step_is_not_made_again(
    ctx: Context, clock: FixedClock
) -> None:
    refer(ctx, traffic_light="Red")
    run_meetings(ctx)
    centre = f"{CASE}|refer_customer_service_centre|routing"
    type_in(ctx, centre, Done_on="11/03/2026", Notes="Referred by phone")
    at(clock, "2026-03-13T10:00:00")
    run_meetings(ctx)
    row = steps(ctx)[centre]
    assert (row["Status"], row["Done on"], row["Notes"]) == ("Done", "11/03/2026", "Referred by phone")
    assert steps(ctx)[f"{CASE}|identify_lead_professional|routing"]["Status"] == "Open"

    table = store(ctx).tables[NEXT_STEPS]
    table.rows = [r for r in table.rows if r[0] != centre]  # a coordinator deletes the done step
    run_meetings(ctx)
    run_meetings(ctx)
    assert centre not in steps(ctx) and len(steps(ctx)) == 3


def held(ctx: Context, decisions: str = "") -> None:
    edit(ctx, MEETING, Status="Held", Agreed_start="13/03/2026 10:00", Decisions=decisions)


def test_each_decision_is_acted_on_once_and_audited(ctx: Context, clock: FixedClock) -> None:
    refer(ctx, traffic_light="Red", police_involved="Yes", criminal_status="Under investigation")
    run_meetings(ctx)
    held(ctx, "child_protection, Criminal justice, hsb_assessment")
    at(clock, "2026-03-13T15:00:00")
    report = run_meetings(ctx)
    assert sorted(report.decisions_acted_on) == [
        f"{MEETING}: child_protection",
        f"{MEETING}: criminal_justice",
        f"{MEETING}: hsb_assessment",
    ]
    made = steps(ctx)
    conference = made[f"{CASE}|initial_child_protection_conference|{MEETING}"]
    assert (conference["Due"], conference["Owner role"]) == ("2026-04-07", "childrens_social_care")
    assert made[f"{CASE}|hsb_assessment|{MEETING}"]["Due"] == "2026-04-14"  # 20 working days, over Easter
    assert meetings(ctx)[0]["Decisions acted on"] == "child_protection, criminal_justice, hsb_assessment"
    assert len(audit_lines(ctx, "meeting decision acted on")) == 3

    again = run_meetings(ctx)
    assert again.decisions_acted_on == [] and again.steps_created == []
    edit(ctx, MEETING, Decisions="child_protection, criminal_justice, hsb_assessment, child_in_need")
    later = run_meetings(ctx)
    assert later.decisions_acted_on == [f"{MEETING}: child_in_need"]
    assert len(audit_lines(ctx, "meeting decision acted on")) == 4


def test_an_unknown_decision_gives_the_row_a_reason_and_the_others_are_worked(
    ctx: Context, clock: FixedClock
) -> None:
    refer(ctx, traffic_light="Red")
    refer(
        ctx,
        "10/03/2026 09:30:00",
        traffic_light="Red",
        child_first_name="Sam",
        referrer_email="b@example.org",
    )
    run_meetings(ctx)
    held(ctx, "child_protection, chld in need")
    edit(
        ctx, "HSB-2026-0002-1", Status="Held", Agreed_start="13/03/2026 11:00", Decisions="no_further_action"
    )
    at(clock, "2026-03-13T15:00:00")
    report = run_meetings(ctx)
    assert sorted(report.decisions_acted_on) == [
        f"{MEETING}: child_protection",
        "HSB-2026-0002-1: no_further_action",
    ]
    reason = meetings(ctx)[0]["Reason"]
    assert reason.startswith("Decisions: 'chld in need' is not a decision")
    assert len(audit_lines(ctx, "meeting cell unreadable")) == 1
    run_meetings(ctx)
    assert len(audit_lines(ctx, "meeting cell unreadable")) == 1  # the reason is told once
    edit(ctx, MEETING, Decisions="child_protection, child in need")
    fixed = run_meetings(ctx)
    assert fixed.decisions_acted_on == [f"{MEETING}: child_in_need"] and meetings(ctx)[0]["Reason"] == ""


def test_decisions_wait_until_the_meeting_is_held(ctx: Context) -> None:
    refer(ctx, traffic_light="Red")
    run_meetings(ctx)
    edit(ctx, MEETING, Decisions="child_protection")
    report = run_meetings(ctx)
    assert report.decisions_acted_on == []
    assert "acted on once the meeting's Status is Held" in meetings(ctx)[0]["Reason"]


def test_an_earlier_outcome_is_carried_over_both_by_the_meeting_type(ctx: Context, clock: FixedClock) -> None:
    refer(ctx, traffic_light="Red")
    run_meetings(ctx)
    table = store(ctx).tables[MEETINGS]  # a register made before Decisions replaced Outcome
    table.header.append("Outcome")
    table.rows = [[*row, "Both"] for row in table.rows]
    held(ctx)
    at(clock, "2026-03-13T15:00:00")
    report = run_meetings(ctx)
    assert sorted(report.decisions_acted_on) == [
        f"{MEETING}: child_protection",
        f"{MEETING}: criminal_justice",
    ]
    assert all(
        d.endswith("(carried over from Outcome)") for d in audit_lines(ctx, "meeting decision acted on")
    )
    assert f"{CASE}|initial_child_protection_conference|{MEETING}" in steps(ctx)
    assert run_meetings(ctx).decisions_acted_on == []


def test_early_help_asks_for_a_team_around_the_child_through_the_meetings_code(
    ctx: Context, clock: FixedClock
) -> None:
    refer(ctx, traffic_light="Amber", open_to_services="Youth Offending Service")
    run_meetings(ctx)
    edit(ctx, MEETING, Status="Held", Agreed_start="13/03/2026 10:00", Decisions="early_help")
    at(clock, "2026-03-13T15:00:00")
    report = run_meetings(ctx)
    team = next(r for r in meetings(ctx) if r["Meeting"] == f"{CASE}-2")
    assert team["Type"] == "team_around_the_child" and team["Status"] == "Invited"
    assert team["Invitees"] == "early_help, hsb_service, youth_offending_service"
    assert f"{CASE}-2" in report.invited
    step = steps(ctx)[f"{CASE}|team_around_the_child|{MEETING}"]
    assert (step["Due"], step["Owner role"]) == ("2026-03-27", "coordinator")
    run_meetings(ctx)
    assert len(meetings(ctx)) == 2
    edit(ctx, MEETING, Decisions_acted_on="")  # as if a run stopped after inviting, before recording
    assert run_meetings(ctx).decisions_acted_on == [f"{MEETING}: early_help"]
    assert len(meetings(ctx)) == 2  # the team around the child already invited is not asked for again
    edit(ctx, f"{CASE}-2", Status="Held")
    run_meetings(ctx)
    assert steps(ctx)[f"{CASE}|team_around_the_child|{MEETING}"]["Status"] == "Done"


def test_a_meeting_held_with_no_decisions_a_working_day_later_is_a_step(
    ctx: Context, clock: FixedClock
) -> None:
    refer(ctx, traffic_light="Red")
    run_meetings(ctx)
    held(ctx)  # Friday 13 March
    at(clock, "2026-03-13T16:00:00")
    run_meetings(ctx)
    record = f"{CASE}|record_meeting_decisions|{MEETING}"
    assert record not in steps(ctx)
    at(clock, "2026-03-16T09:00:00")  # Monday
    run_meetings(ctx)
    assert steps(ctx)[record]["Due"] == "2026-03-16" and steps(ctx)[record]["Status"] == "Open"
    edit(ctx, MEETING, Decisions="no_further_action")
    run_meetings(ctx)
    assert steps(ctx)[record]["Status"] == "Done"
    assert steps(ctx)[f"{CASE}|confirm_case_closure|{MEETING}"]["Due"] == "2026-03-20"


def escalations(ctx: Context) -> list[str]:
    keys = ctx.workbook.read([OUTBOX])[OUTBOX].column("Key")
    return [k for k in keys if k.startswith(f"step_escalation|{CASE}|refer_customer_service_centre|")]


def test_an_overdue_step_is_red_escalated_once_then_weekly(ctx: Context, clock: FixedClock) -> None:
    refer(ctx, traffic_light="Red")
    run_meetings(ctx)
    centre = f"{CASE}|refer_customer_service_centre|routing"
    at(clock, "2026-03-12T09:00:00")  # due Wednesday 11 March: overdue, first escalated on Thursday
    run_reminders(ctx)
    assert steps(ctx)[centre]["Status"] == "Overdue" and steps(ctx)[centre]["Last escalated"]
    assert escalations(ctx) == [
        f"step_escalation|{CASE}|refer_customer_service_centre|routing|2026-03-11|2026-03-12"
    ]
    sent = [e for e in ctx.mailer.sent if e.key.startswith("step_escalation|")]  # type: ignore[attr-defined]
    assert [e.to for e in sent[:1]] == [("manager.cambs@example.gov.uk",)]
    assert "Robin" not in sent[0].text and "Testwood" not in sent[0].text
    for day in ("2026-03-12T15:00:00", "2026-03-16T09:00:00", "2026-03-18T09:00:00"):
        at(clock, day)
        run_reminders(ctx)
    assert len(escalations(ctx)) == 1
    at(clock, "2026-03-19T09:00:00")
    run_reminders(ctx)
    assert len(escalations(ctx)) == 2
    type_in(ctx, centre, Done_on="19/03/2026")
    at(clock, "2026-03-26T09:00:00")
    run_reminders(ctx)
    assert len(escalations(ctx)) == 2 and steps(ctx)[centre]["Status"] == "Done"


def test_overdue_follows_the_london_date_across_the_clocks_going_forward(
    ctx: Context, clock: FixedClock
) -> None:
    refer(ctx, "27/03/2026 09:00:00", traffic_light="Red")  # Friday; due Monday 30 March (BST from the 29th)
    run_meetings(ctx)
    centre = f"{CASE}|refer_customer_service_centre|routing"
    assert steps(ctx)[centre]["Due"] == "2026-03-30"
    at(clock, "2026-03-30T22:30:00")  # 23:30 BST on Monday: not yet overdue
    run_reminders(ctx)
    assert steps(ctx)[centre]["Status"] == "Open"
    at(clock, "2026-03-30T23:30:00")  # 00:30 BST on Tuesday, though still Monday in UTC
    run_reminders(ctx)
    assert steps(ctx)[centre]["Status"] == "Overdue"


def test_the_digest_lists_steps_due_this_week_and_overdue(ctx: Context, clock: FixedClock) -> None:
    refer(ctx, traffic_light="Red")
    run_meetings(ctx)
    at(clock, "2026-03-16T08:00:00")  # Monday: two steps due on the 17th, one overdue since the 11th
    mailer = ctx.mailer
    assert isinstance(mailer, MemoryMailer)
    run_digest(ctx)
    [digest] = [e for e in mailer.sent if e.key.startswith("digest|Cambridgeshire")]
    assert f"- Next steps overdue: 1 ({CASE} refer customer service centre)" in digest.text
    assert "- Next steps due this week: 2" in digest.text and "identify lead professional" in digest.text
    assert "Next steps overdue" in (digest.html or "")


def test_a_closed_case_gets_no_new_steps(ctx: Context) -> None:
    refer(ctx, traffic_light="Red")
    ctx.workbook.write(WriteBatch(updates=[Update(REFERRALS, "Case ID", CASE, {"Status": "Closed"})]))
    run_meetings(ctx)
    assert steps(ctx) == {}


def test_cases_with_the_same_decision_each_get_the_steps_they_have_not_had(ctx: Context) -> None:
    refer(ctx, traffic_light="Red")
    run_meetings(ctx)
    refer(
        ctx,
        "10/03/2026 09:30:00",
        traffic_light="Red",
        child_first_name="Sam",
        referrer_email="b@example.org",
    )
    report = run_meetings(ctx)
    second = "HSB-2026-0002"
    assert sorted(report.steps_created) == sorted(k.replace(CASE, second) for k in steps(ctx) if CASE in k)
    assert len(steps(ctx)) == 8
