"""The meetings job on an in-memory register and calendar: invitations exactly once, sheet edits followed."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from hsb_sheets.adapters.calendar.base import CalendarError, FreeBusy, MeetingEvent
from hsb_sheets.adapters.calendar.ics import IcsCalendar
from hsb_sheets.adapters.calendar.memory import MemoryCalendar
from hsb_sheets.adapters.workbook.base import Update, WriteBatch
from hsb_sheets.adapters.workbook.memory import MemoryWorkbook
from hsb_sheets.domain.directory import parse_directory
from hsb_sheets.domain.tabs import (
    AUDIT_LOG,
    CASE_ID,
    DIRECTORY,
    JOB_STATUS,
    MEETINGS,
    OUTBOX,
    REFERRALS,
    SETTINGS,
    MeetingsTab,
)
from hsb_sheets.resources import shipped
from hsb_sheets.services.context import Context
from hsb_sheets.services.intake import run_intake
from hsb_sheets.services.meetings import JOB, run_meetings
from hsb_sheets.services.meetings_plan import Invite, Planner
from hsb_sheets.services.policy import read_policy
from hsb_sheets.services.rule_source import read_rule_csv
from hsb_sheets.services.setup import setup_register
from tests.conftest import FixedClock, valid_answers
from tests.unit.test_intake_service import mailer, store, submit

LONDON_NOON = datetime(2026, 3, 12, 12, 0, tzinfo=UTC)  # Thursday; GMT, so UTC is London time


@pytest.fixture
def ctx(memory_context: Context) -> Context:
    setup_register(memory_context, directory_seed=read_rule_csv(shipped("config/directory.example.csv")))
    return memory_context


def calendar(ctx: Context) -> MemoryCalendar:
    assert isinstance(ctx.calendar, MemoryCalendar)
    return ctx.calendar


def meetings(ctx: Context) -> list[dict[str, str]]:
    return list(ctx.workbook.read([MEETINGS])[MEETINGS].records())


def refer(ctx: Context, when: str = "10/03/2026 09:00:00", **answers: str) -> None:
    submit(ctx, (when, valid_answers(**answers)))
    run_intake(ctx)


def edit(ctx: Context, meeting: str, **values: str) -> None:
    ctx.workbook.write(
        WriteBatch(
            updates=[
                Update(MEETINGS, "Meeting", meeting, {k.replace("_", " "): v for k, v in values.items()})
            ]
        )
    )


def test_a_strategy_discussion_is_booked_and_invited_once(ctx: Context) -> None:
    refer(
        ctx,
        traffic_light="Red",
        school_or_setting="Fenwold Academy",
        lead_professional_email="lead@example.gov.uk",
    )
    report = run_meetings(ctx)
    assert report.created == ["HSB-2026-0001-1"] and report.invited == ["HSB-2026-0001-1"]
    [row] = meetings(ctx)
    assert row["Status"] == "Invited" and row["Type"] == "strategy_discussion"
    assert row["Event start"] == "2026-03-12 12:00"  # now (10:00) plus two hours' notice
    assert row["Attendees"].split(", ") == [
        "csc.cambs@example.gov.uk",
        "caiu.cambs@example.gov.uk",
        "hsb.cambs@example.gov.uk",
        "dsl@fenwold-academy.example.org",
        "lead@example.gov.uk",
    ]
    assert calendar(ctx).sent == [("REQUEST", row["Event ID"], 0)]
    assert [r["Kind"] for r in ctx.workbook.read([OUTBOX])[OUTBOX].records()].count("invite") == 1

    again = run_meetings(ctx)
    assert again.created == [] and again.invited == []
    assert len(meetings(ctx)) == 1 and len(calendar(ctx).sent) == 1


def test_meetings_for_the_same_people_do_not_clash(ctx: Context) -> None:
    refer(ctx, traffic_light="Red", referrer_email="a@example.org")
    refer(
        ctx,
        "10/03/2026 09:30:00",
        traffic_light="Red",
        child_first_name="Sam",
        referrer_email="b@example.org",
    )
    run_meetings(ctx)
    starts = sorted(r["Event start"] for r in meetings(ctx))
    assert starts == ["2026-03-12 12:00", "2026-03-12 13:00"]


def test_a_missing_directory_role_needs_scheduling_and_the_coordinator_is_told_once(ctx: Context) -> None:
    directory = store(ctx).tables[DIRECTORY]
    police = [r for r in directory.rows if r[1] == "police" and r[0] == "Cambridgeshire"]
    directory.rows = [r for r in directory.rows if r not in police]
    refer(ctx, traffic_light="Red")
    run_meetings(ctx)
    [row] = meetings(ctx)
    assert row["Status"] == "Needs scheduling"
    assert row["Reason"] == "the Directory has no usable police contact for Cambridgeshire"
    told = [e for e in mailer(ctx).sent if e.to == ("coordinator.cambs@example.gov.uk",)]
    assert len(told) == 1 and "Needs scheduling" in told[0].subject and "police contact" in told[0].text
    run_meetings(ctx)
    assert len([e for e in mailer(ctx).sent if e.to == ("coordinator.cambs@example.gov.uk",)]) == 1
    assert calendar(ctx).sent == []

    store(ctx).tables[DIRECTORY].rows.extend(police)  # a coordinator fixes the Directory
    report = run_meetings(ctx)
    assert report.invited == ["HSB-2026-0001-1"] and meetings(ctx)[0]["Reason"] == ""


def test_a_bad_directory_address_is_named(ctx: Context) -> None:
    directory = store(ctx).tables[DIRECTORY]
    for r in directory.rows:
        if r[1] == "police" and r[0] == "Cambridgeshire":
            r[3] = "caiu at example"
    refer(ctx, traffic_light="Red")
    run_meetings(ctx)
    reason = meetings(ctx)[0]["Reason"]
    assert "the police address for Cambridgeshire is not a valid email address" in reason


def test_no_free_time_in_the_window_needs_scheduling(ctx: Context) -> None:
    calendar(ctx).busy_times["caiu.cambs@example.gov.uk"] = [
        (datetime(2026, 3, 12, tzinfo=UTC), datetime(2026, 3, 20, tzinfo=UTC))
    ]
    refer(ctx, traffic_light="Red")
    run_meetings(ctx)
    [row] = meetings(ctx)
    assert row["Status"] == "Needs scheduling"
    assert row["Reason"] == "no time when every invitee is free within 2 working days (by 2026-03-16 17:00)"
    assert calendar(ctx).sent == []


def test_an_agreed_start_reschedules_once(ctx: Context) -> None:
    refer(ctx, traffic_light="Red")
    run_meetings(ctx)
    meeting = meetings(ctx)[0]["Meeting"]
    edit(ctx, meeting, Agreed_start="13/03/2026 14:30")
    report = run_meetings(ctx)
    assert report.rescheduled == [meeting]
    row = meetings(ctx)[0]
    assert (row["Status"], row["Event start"], row["Sequence"]) == ("Rescheduled", "2026-03-13 14:30", "1")
    run_meetings(ctx)
    assert [m for m, _, _ in calendar(ctx).sent] == ["REQUEST", "REQUEST"]
    stored = calendar(ctx).get(row["Event ID"])
    assert stored is not None and stored.sequence == 1 and stored.start.hour == 14
    first, moved = (event.description for _, event in calendar(ctx).received)
    assert first.startswith(f"Strategy discussion for case {row['Case ID']}, ")
    # The update says first that the meeting moved, from the old time to the new.
    assert moved.startswith("This meeting has moved from Thursday 12 March 2026, 12:00 to Friday 13 March")


def test_a_cancellation_in_the_sheet_is_sent_once_and_kept(ctx: Context) -> None:
    refer(ctx, traffic_light="Red")
    run_meetings(ctx)
    meeting = meetings(ctx)[0]["Meeting"]
    edit(ctx, meeting, Status="Cancelled")
    assert run_meetings(ctx).cancelled == [meeting]
    run_meetings(ctx)
    assert [m for m, _, _ in calendar(ctx).sent] == ["REQUEST", "CANCEL"]
    row = meetings(ctx)[0]
    assert row["Status"] == "Cancelled" and row["Last sent"].startswith("Cancellation sent")
    _, (method, cancellation) = calendar(ctx).received
    assert method == "CANCEL" and cancellation.description.startswith(
        "This meeting is cancelled. It was to be on Thursday 12 March 2026, 12:00 (UK time)."
    )


def test_held_meetings_are_left_alone(ctx: Context) -> None:
    refer(ctx, traffic_light="Red")
    run_meetings(ctx)
    meeting = meetings(ctx)[0]["Meeting"]
    edit(ctx, meeting, Status="Held", Decisions="Child protection", Agreed_start="20/03/2026 10:00")
    run_meetings(ctx)
    row = meetings(ctx)[0]
    assert (row["Status"], row["Decisions"]) == ("Held", "Child protection")
    assert len(calendar(ctx).sent) == 1


def test_a_crash_after_the_event_is_made_is_healed_without_a_second_event(
    ctx: Context, clock: FixedClock
) -> None:
    refer(ctx, traffic_light="Red")
    assert isinstance(ctx.workbook, MemoryWorkbook)
    real_write = ctx.workbook.write

    writes = []

    def crash(batch: WriteBatch) -> None:
        writes.append(batch)
        if len(writes) == 2:  # 1: the invitation about to be sent; 2: that it went
            raise KeyboardInterrupt("power cut before the invitation was confirmed")
        real_write(batch)

    ctx.workbook.write = crash  # type: ignore[method-assign]
    with pytest.raises(KeyboardInterrupt):
        run_meetings(ctx)
    ctx.workbook.write = real_write  # type: ignore[method-assign]
    [pending] = meetings(ctx)
    assert pending["Last sent"].startswith("Pending send: invitation") and len(calendar(ctx).sent) == 1
    first = calendar(ctx).sent[0][1]

    clock.now += timedelta(hours=3)  # the rerun would pick a later slot; the event already made wins
    run_meetings(ctx)
    [row] = meetings(ctx)
    assert row["Event ID"] == first and row["Event start"] == "2026-03-12 12:00"
    assert len(calendar(ctx).sent) == 1


def test_a_dry_run_sends_and_writes_nothing(ctx: Context) -> None:
    refer(ctx, traffic_light="Amber")
    writes = store(ctx).writes
    report = run_meetings(ctx, dry_run=True)
    assert report.invited == ["HSB-2026-0001-1"]
    assert store(ctx).writes == writes and calendar(ctx).sent == []


def test_healthy_referrals_have_no_meeting(ctx: Context) -> None:
    refer(ctx, traffic_light="Green")
    assert run_meetings(ctx).created == [] and meetings(ctx) == []


def test_invites_carry_no_personal_details(ctx: Context) -> None:
    refer(ctx, traffic_light="Red", school_or_setting="Fenwold Academy")
    run_meetings(ctx)
    event: Any = calendar(ctx).get(meetings(ctx)[0]["Event ID"])
    text = f"{event.summary}\n{event.description}"
    assert "HSB-2026-0001" in text and "Strategy discussion" in text
    for secret in ("Robin", "Testwood", "2012", "Fenwold", "CB1"):
        assert secret not in text


class FailingCalendar(MemoryCalendar):
    """A calendar that records which operations were asked for and fails the ones it is told to."""

    def __init__(self, **failures: CalendarError) -> None:
        super().__init__()
        self.failures = failures
        self.calls: list[str] = []

    def _check(self, operation: str) -> None:
        self.calls.append(operation)
        if operation in self.failures:
            raise self.failures[operation]

    def ensure(self, event: MeetingEvent) -> MeetingEvent:
        self._check("ensure")
        return super().ensure(event)

    def move(self, event: MeetingEvent) -> MeetingEvent:
        self._check("move")
        return super().move(event)

    def busy(self, attendees: Sequence[str], start: datetime, end: datetime) -> FreeBusy:
        self._check("busy")
        return super().busy(attendees, start, end)


DOWN = CalendarError("the calendar is not answering", transient=True)


def audit_actions(ctx: Context) -> list[str]:
    return ctx.workbook.read([AUDIT_LOG])[AUDIT_LOG].column("Action")


def test_planning_asks_the_calendar_only_who_is_busy(ctx: Context) -> None:
    fake = ctx.calendar = FailingCalendar()
    refer(ctx, traffic_light="Red")
    tables = ctx.workbook.read([REFERRALS, MEETINGS, DIRECTORY, SETTINGS])
    planner = Planner(ctx, read_policy(tables[SETTINGS]), parse_directory(tables[DIRECTORY].records()))
    referrals = {r[CASE_ID]: r for r in tables[REFERRALS].records()}
    [plan] = planner.plan(referrals, tables[MEETINGS].records())
    assert plan.new and isinstance(plan.step, Invite)
    assert plan.step.event.start == datetime(2026, 3, 12, 12, 0, tzinfo=UTC)
    assert fake.calls == ["busy"] and fake.sent == [] and meetings(ctx) == []


def test_a_meeting_a_decision_asked_for_and_one_a_new_route_needs_get_different_numbers(ctx: Context) -> None:
    """In one run a case may need a new route meeting (an override) while a decision asks for a
    team around the child: each gets its own meeting number, never the same reference twice."""
    refer(ctx, traffic_light="Red")
    run_meetings(ctx)
    tables = ctx.workbook.read([REFERRALS, MEETINGS, DIRECTORY, SETTINGS])
    planner = Planner(ctx, read_policy(tables[SETTINGS]), parse_directory(tables[DIRECTORY].records()))
    referrals = {r[CASE_ID]: r for r in tables[REFERRALS].records()}
    [case_id] = referrals
    rows = list(tables[MEETINGS].records())
    asked = planner.new_row(case_id, referrals[case_id], 2)  # as the next steps planner numbers it
    plans = planner.plan(referrals, rows, {case_id}, [asked])
    new = [plan.row[MeetingsTab.MEETING] for plan in plans if plan.new]
    assert sorted(new) == [f"{case_id}-2", f"{case_id}-3"]


def test_a_refused_invitation_needs_scheduling_and_an_unreachable_calendar_waits(ctx: Context) -> None:
    ctx.calendar = FailingCalendar(ensure=CalendarError("no such calendar", transient=False))
    refer(ctx, traffic_light="Red")
    report = run_meetings(ctx)
    assert report.needs_scheduling == ["HSB-2026-0001-1"] and report.waiting == []
    assert meetings(ctx)[0]["Reason"] == "the calendar refused the invitation: no such calendar"

    ctx.calendar = FailingCalendar(busy=DOWN)
    report = run_meetings(ctx)
    assert report.waiting == ["HSB-2026-0001-1"] and "free/busy unavailable" in audit_actions(ctx)
    assert meetings(ctx)[0]["Status"] == "Needs scheduling"


def test_a_move_the_calendar_cannot_make_is_retried_next_run(ctx: Context) -> None:
    refer(ctx, traffic_light="Red")
    run_meetings(ctx)
    failing = FailingCalendar(move=DOWN)
    failing.events = calendar(ctx).events
    ctx.calendar = failing
    meeting = meetings(ctx)[0]["Meeting"]
    edit(ctx, meeting, Agreed_start="13/03/2026 14:30")
    report = run_meetings(ctx)
    assert (
        report.waiting == [meeting]
        and report.rescheduled == []
        and "calendar unavailable" in audit_actions(ctx)
    )
    assert meetings(ctx)[0]["Status"] == "Invited"
    failing.failures.clear()
    assert run_meetings(ctx).rescheduled == [meeting]


def job_status(ctx: Context) -> str:
    return {r["Job"]: r["Counts"] for r in ctx.workbook.read([JOB_STATUS])[JOB_STATUS].records()}[JOB]


def test_counts_include_the_invitations_the_calendar_mailed(ctx: Context, tmp_path: Path) -> None:
    ctx.calendar = IcsCalendar(tmp_path / "invites", ctx.mailer, "hsb@example.gov.uk", "HSB", ZoneInfo("UTC"))
    refer(ctx, traffic_light="Red", referrer_email="a@example.org")
    refer(
        ctx,
        "10/03/2026 09:30:00",
        traffic_light="Amber",
        child_first_name="Sam",
        referrer_email="b@example.org",
    )
    mailer(ctx).sent.clear()  # the acknowledgements
    report = run_meetings(ctx)
    invitations = [e for e in mailer(ctx).sent if e.key.startswith("invite|")]
    assert len(invitations) == 2 and len(mailer(ctx).sent) == 2
    assert report.counts() == {
        "created": 2,
        "invited": 2,
        "needs_scheduling": 0,
        "rescheduled": 0,
        "cancelled": 0,
        "calendar_waiting": 0,
        "invitations_sent": 2,
        "emails_sent": 0,
        "emails_failed": 0,
        "next_steps_created": 7,
        "decisions_acted_on": 0,
    }
    assert "invitations_sent=2 emails_sent=0" in job_status(ctx)

    edit(ctx, report.invited[0], Agreed_start="13/03/2026 14:30")
    moved = run_meetings(ctx).counts()
    assert (moved["rescheduled"], moved["invitations_sent"]) == (1, 1) and len(mailer(ctx).sent) == 3
    assert run_meetings(ctx).counts()["invitations_sent"] == 0


def test_counts_include_meetings_waiting_for_the_calendar_and_notes_sent(ctx: Context) -> None:
    ctx.calendar = FailingCalendar(ensure=DOWN)
    directory = store(ctx).tables[DIRECTORY]
    directory.rows = [r for r in directory.rows if not (r[1] == "police" and r[0] == "Peterborough")]
    refer(ctx, traffic_light="Red", referrer_email="a@example.org")
    refer(
        ctx,
        "10/03/2026 09:30:00",
        traffic_light="Red",
        child_area="Peterborough",
        child_first_name="Sam",
        referrer_email="b@example.org",
    )
    counts = run_meetings(ctx).counts()
    assert (counts["created"], counts["invited"], counts["needs_scheduling"]) == (2, 0, 1)
    assert (counts["calendar_waiting"], counts["invitations_sent"]) == (1, 0)
    assert (counts["emails_sent"], counts["emails_failed"]) == (1, 0)  # the Peterborough coordinator's note
    assert "calendar_waiting=1 invitations_sent=0 emails_sent=1" in job_status(ctx)
