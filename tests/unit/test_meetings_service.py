"""The meetings job on an in-memory register and calendar: invitations exactly once, sheet edits followed."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from hsb_sheets.adapters.calendar.memory import MemoryCalendar
from hsb_sheets.adapters.workbook.base import Update, WriteBatch
from hsb_sheets.adapters.workbook.memory import MemoryWorkbook
from hsb_sheets.domain.tabs import DIRECTORY, MEETINGS, OUTBOX
from hsb_sheets.resources import shipped
from hsb_sheets.services.context import Context
from hsb_sheets.services.intake import run_intake
from hsb_sheets.services.meetings import run_meetings
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


def test_held_meetings_are_left_alone(ctx: Context) -> None:
    refer(ctx, traffic_light="Red")
    run_meetings(ctx)
    meeting = meetings(ctx)[0]["Meeting"]
    edit(ctx, meeting, Status="Held", Outcome="Child protection", Agreed_start="20/03/2026 10:00")
    run_meetings(ctx)
    row = meetings(ctx)[0]
    assert (row["Status"], row["Outcome"]) == ("Held", "Child protection")
    assert len(calendar(ctx).sent) == 1


def test_a_crash_after_the_event_is_made_is_healed_without_a_second_event(
    ctx: Context, clock: FixedClock
) -> None:
    refer(ctx, traffic_light="Red")
    assert isinstance(ctx.workbook, MemoryWorkbook)
    real_write = ctx.workbook.write

    def crash(batch: WriteBatch) -> None:
        raise KeyboardInterrupt("power cut before the event id was written")

    ctx.workbook.write = crash  # type: ignore[method-assign]
    with pytest.raises(KeyboardInterrupt):
        run_meetings(ctx)
    ctx.workbook.write = real_write  # type: ignore[method-assign]
    assert meetings(ctx) == [] and len(calendar(ctx).sent) == 1
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
