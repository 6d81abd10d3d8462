"""A bad cell stays on its row: for each value a job cannot use, that row gets its reason and every other
row is worked; the job returns normally, and a rerun adds no audit line and sends no email."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from hsb_sheets.adapters.workbook.base import Append, Update, WriteBatch
from hsb_sheets.domain.tabs import AUDIT_LOG, INTERVENTIONS, MEETINGS, REFERRALS, ReferralsTab
from hsb_sheets.resources import shipped
from hsb_sheets.services.context import Context
from hsb_sheets.services.intake import run_intake
from hsb_sheets.services.meetings import run_meetings
from hsb_sheets.services.reminders import run_reminders
from hsb_sheets.services.rule_source import read_rule_csv
from hsb_sheets.services.setup import setup_register
from tests.conftest import FixedClock, form_column, valid_answers
from tests.unit.test_intake_service import mailer, submit
from tests.unit.test_meetings_service import calendar, edit, meetings, refer
from tests.unit.test_reminders_service import KEY, on

BAD, GOOD = "HSB-2026-0001-1", "HSB-2026-0002-1"
INVITEES = "childrens_social_care, police, hsb_service"


@pytest.fixture
def ctx(memory_context: Context) -> Context:
    setup_register(memory_context, directory_seed=read_rule_csv(shipped("config/directory.example.csv")))
    return memory_context


def audit_lines(ctx: Context) -> int:
    return len(ctx.workbook.read([AUDIT_LOG])[AUDIT_LOG].rows)


def add_meeting(ctx: Context, **values: str) -> None:
    row = {"Type": "strategy_discussion", "Invitees": INVITEES, "Duration": "60"}
    row.update({k.replace("_", " "): v for k, v in values.items()})
    ctx.workbook.write(WriteBatch(appends=[Append(MEETINGS, row)]))


def row_of(ctx: Context, meeting: str) -> dict[str, str]:
    return next(r for r in meetings(ctx) if r["Meeting"] == meeting)


AGREED = "enter a date and time like 31/03/2027 14:30"
MEETING_CASES: list[tuple[str, Callable[[Context], None], str, str]] = [
    (
        "agreed start 31/12/9999",
        lambda c: edit(c, BAD, Agreed_start="31/12/9999 10:00"),
        BAD,
        f"Cannot read Agreed start '31/12/9999 10:00': {AGREED}",
    ),
    (
        "agreed start past 2100",
        lambda c: edit(c, BAD, Agreed_start="01/01/2101 10:00"),
        BAD,
        f"Cannot read Agreed start '01/01/2101 10:00': {AGREED}",
    ),
    (
        "agreed start unreadable",
        lambda c: edit(c, BAD, Agreed_start="next Tuesday after the review"),
        BAD,
        f"Cannot read Agreed start 'next Tuesday after …': {AGREED}",
    ),
    (
        "sequence not a number",
        lambda c: edit(c, BAD, Sequence="x", Agreed_start="16/03/2026 10:00"),
        BAD,
        "Cannot read Sequence 'x': enter the number of the last invitation sent (0 for the first)",
    ),
    (
        "duration not a number",
        lambda c: edit(c, BAD, Duration="an hour", Status="Cancelled"),
        BAD,
        "Cannot read Duration 'an hour': enter the meeting's length in minutes, like 60",
    ),
    (
        "meeting reference without its number",
        lambda c: add_meeting(c, Case_ID="HSB-2026-0001", Meeting="HSB-2026-0001"),
        "HSB-2026-0001",
        "Cannot read Meeting 'HSB-2026-0001': it should be the case id and the meeting's number, "
        "like HSB-2026-0001-1",
    ),
    (
        "case id blank",
        lambda c: edit(c, BAD, Case_ID=""),
        BAD,
        "Cannot read Case ID: it is blank; enter the case id this meeting is for",
    ),
    (
        "case not on the Referrals tab",
        lambda c: add_meeting(c, Case_ID="HSB-2026-0099", Meeting="HSB-2026-0099-1"),
        "HSB-2026-0099-1",
        "the case is no longer on the Referrals tab",
    ),
]


@pytest.mark.parametrize(
    ("spoil", "meeting", "reason"), [c[1:] for c in MEETING_CASES], ids=[c[0] for c in MEETING_CASES]
)
def test_a_bad_meetings_cell_stays_on_its_row(
    ctx: Context, spoil: Callable[[Context], None], meeting: str, reason: str
) -> None:
    refer(ctx, traffic_light="Red", referrer_email="a@example.org")
    refer(
        ctx,
        "10/03/2026 09:30:00",
        traffic_light="Red",
        child_first_name="Sam",
        referrer_email="b@example.org",
    )
    run_meetings(ctx)
    spoil(ctx)
    edit(ctx, GOOD, Agreed_start="13/03/2026 14:30")  # the good row has work to do too
    sent_before = list(calendar(ctx).sent)

    report = run_meetings(ctx)
    assert report.rescheduled == [GOOD] and row_of(ctx, GOOD)["Event start"] == "2026-03-13 14:30"
    assert row_of(ctx, meeting)["Reason"] == reason
    assert calendar(ctx).sent == [*sent_before, ("REQUEST", row_of(ctx, GOOD)["Event ID"], 1)]
    assert len(meetings(ctx)) == len({r["Meeting"] for r in meetings(ctx)})  # no second meeting made

    lines, emails, register = audit_lines(ctx), len(mailer(ctx).sent), meetings(ctx)
    again = run_meetings(ctx)
    assert (audit_lines(ctx), len(mailer(ctx).sent), meetings(ctx)) == (lines, emails, register)
    assert again.rescheduled == [] and len(calendar(ctx).sent) == len(sent_before) + 1


def test_a_fixed_meetings_cell_clears_its_reason_and_is_worked(ctx: Context) -> None:
    refer(ctx, traffic_light="Red")
    run_meetings(ctx)
    edit(ctx, BAD, Agreed_start="31/12/9999 10:00")
    run_meetings(ctx)
    assert row_of(ctx, BAD)["Reason"].startswith("Cannot read Agreed start")
    edit(ctx, BAD, Agreed_start="16/03/2026 10:00")
    assert run_meetings(ctx).rescheduled == [BAD]
    assert (row_of(ctx, BAD)["Reason"], row_of(ctx, BAD)["Sequence"]) == ("", "1")


def test_a_meeting_reference_on_two_rows_is_reported_and_the_rest_worked(ctx: Context) -> None:
    refer(ctx, traffic_light="Red", referrer_email="a@example.org")
    refer(
        ctx,
        "10/03/2026 09:30:00",
        traffic_light="Red",
        child_first_name="Sam",
        referrer_email="b@example.org",
    )
    run_meetings(ctx)
    add_meeting(ctx, Case_ID="HSB-2026-0001", Meeting=BAD)  # a coordinator copied the row
    edit_good = WriteBatch(updates=[Update(MEETINGS, "Meeting", GOOD, {"Agreed start": "13/03/2026 14:30"})])
    ctx.workbook.write(edit_good)
    report = run_meetings(ctx)
    assert report.rescheduled == [GOOD]
    assert report.problems == [f"Meeting '{BAD}' is on 2 rows: give each its own"]


WORKER = "worker@example.gov.uk"
DATE = "enter a date like 31/03/2027"
REMINDER_CASES = [
    ("end date unreadable", {"End date": "3l/03/2026"}, f"Cannot read End date '3l/03/2026': {DATE}"),
    ("end date far off", {"End date": "31/03/2999"}, f"Cannot read End date '31/03/2999': {DATE}"),
    ("start date unreadable", {"Start date": "o1/02/2026"}, f"Cannot read Start date 'o1/02/2026': {DATE}"),
    (
        "one bad review date",
        {"Review dates": "09/03/2026, 3x/03/2026"},
        f"Cannot read Review dates '3x/03/2026': {DATE}, separated by commas",
    ),
    (
        "end summary recorded unreadable",
        {"End summary recorded": "done, see the notes"},
        f"Cannot read End summary recorded 'done, see the notes': {DATE}",
    ),
]


@pytest.fixture
def interventions(ctx: Context) -> Context:
    submit(ctx, ("10/02/2026 09:00:00", valid_answers(traffic_light="Amber", incident_date="01/02/2026")))
    run_intake(ctx)
    mailer(ctx).sent.clear()
    good = {"Case ID": KEY[0], "Intervention": KEY[1], "Start date": KEY[2], "End date": "06/03/2026"}
    ctx.workbook.write(WriteBatch(appends=[Append(INTERVENTIONS, {**good, "Worker email": WORKER})]))
    return ctx


def add_intervention(ctx: Context, cells: dict[str, str]) -> None:
    row = {"Case ID": KEY[0], "Intervention": "Other", "Start date": "01/02/2026", "Worker email": WORKER}
    ctx.workbook.write(
        WriteBatch(appends=[Append(INTERVENTIONS, {**row, "End date": "05/03/2026", **cells})])
    )


def bad_row(ctx: Context) -> dict[str, str]:
    return list(ctx.workbook.read([INTERVENTIONS])[INTERVENTIONS].records())[1]


@pytest.mark.parametrize(
    ("cells", "reason"), [c[1:] for c in REMINDER_CASES], ids=[c[0] for c in REMINDER_CASES]
)
def test_a_bad_intervention_cell_stays_on_its_row(
    interventions: Context, clock: FixedClock, cells: dict[str, str], reason: str
) -> None:
    ctx = interventions
    add_intervention(ctx, cells)
    on(clock, 6)
    report = run_reminders(ctx)
    assert [e.key.split("|")[1:3] for e in mailer(ctx).sent] == [["end_date", KEY[0]]]  # the good row's
    assert bad_row(ctx)["Last reminder"] == reason and report.problems == [f"{KEY[0]}: {reason}"]
    actions = ctx.workbook.read([AUDIT_LOG])[AUDIT_LOG].column("Action")
    assert actions.count("intervention cell unreadable") == 1

    lines, rows = audit_lines(ctx), list(ctx.workbook.read([INTERVENTIONS])[INTERVENTIONS].records())
    run_reminders(ctx)
    assert audit_lines(ctx) == lines and len(mailer(ctx).sent) == 1
    assert list(ctx.workbook.read([INTERVENTIONS])[INTERVENTIONS].records()) == rows


def test_an_end_date_of_31_12_9999_means_no_end_date_yet(interventions: Context, clock: FixedClock) -> None:
    ctx = interventions
    add_intervention(ctx, {"End date": "31/12/9999", "Review dates": "09/03/2026"})
    on(clock, 6)  # the good row's end date, and the open-ended row's review on Monday the 9th
    report = run_reminders(ctx)
    row = bad_row(ctx)
    assert (row["Status"], row["End summary due"]) == ("Open (no end date yet)", "")
    assert row["Last reminder"].startswith("review ") and report.problems == []
    assert sorted(e.key.split("|")[1] for e in mailer(ctx).sent) == ["end_date", "review"]
    actions = ctx.workbook.read([AUDIT_LOG])[AUDIT_LOG].column("Action")
    assert actions.count("end date open-ended") == 1
    lines = audit_lines(ctx)
    run_reminders(ctx)
    assert audit_lines(ctx) == lines
    on(clock, 20)  # a fortnight on: nothing is ever due for an intervention with no end yet
    run_reminders(ctx)
    assert bad_row(ctx)["Status"] == "Open (no end date yet)"
    assert sorted(e.key.split("|")[1] for e in mailer(ctx).sent) == ["due_today", "end_date", "review"]


def test_a_fixed_intervention_cell_clears_its_reason(interventions: Context, clock: FixedClock) -> None:
    ctx = interventions
    add_intervention(ctx, {"End date": "3l/03/2026"})
    on(clock, 6)
    run_reminders(ctx)
    ctx.workbook.write(
        WriteBatch(
            updates=[
                Update(
                    INTERVENTIONS,
                    ("Case ID", "Intervention", "Start date"),
                    (KEY[0], "Other", "01/02/2026"),
                    {"End date": "20/03/2026"},
                )
            ]
        )
    )
    run_reminders(ctx)
    assert (bad_row(ctx)["Last reminder"], bad_row(ctx)["Status"]) == ("", "Open")


def test_an_unreadable_referral_cell_is_skipped_by_duplicate_detection(ctx: Context) -> None:
    submit(ctx, ("10/03/2026 09:00:00", valid_answers()))
    run_intake(ctx)
    dob = form_column("child_dob")
    spoilt = {dob: "sometime in 2012", ReferralsTab.RECEIVED: "31/12/9999 25:00"}
    ctx.workbook.write(WriteBatch(updates=[Update(REFERRALS, "Case ID", "HSB-2026-0001", spoilt)]))
    submit(ctx, ("11/03/2026 09:00:00", valid_answers(referrer_email="other@example.org")))
    report = run_intake(ctx)
    assert report.registered == ["HSB-2026-0002"]
    second = list(ctx.workbook.read([REFERRALS])[REFERRALS].records())[1]
    assert second[ReferralsTab.POSSIBLE_DUPLICATE_OF] == ""  # the unreadable row is not compared
