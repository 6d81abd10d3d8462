"""The retention job: lists cases past the rule first, erases only on a coordinator's confirmation."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from hsb_sheets.adapters.workbook.base import Append, Table, Update, WriteBatch
from hsb_sheets.domain.tabs import (
    AUDIT_LOG,
    FORM_RESPONSES,
    INTERVENTIONS,
    JOB_STATUS,
    MEETINGS,
    OUTBOX,
    REFERRALS,
    RETENTION_REVIEW,
    AuditLogTab,
    JobStatusTab,
    OutboxTab,
    ReferralsTab,
    RetentionReviewTab,
)
from hsb_sheets.services.context import Context
from hsb_sheets.services.intake import run_intake
from hsb_sheets.services.retention import ERASED, LISTED, run_retention
from tests.conftest import FixedClock, form_column, valid_answers
from tests.unit.test_intake_service import submit

CASE = "HSB-2026-0001"
CHILD = "Robin"
WORKER = "worker@example.gov.uk"
BIRTHDAY_25 = datetime(2037, 6, 15, 9, 0, tzinfo=UTC)  # born 15/06/2012; closed 2026: 6 years is earlier


def tab(ctx: Context, name: str) -> Table:
    return ctx.workbook.read([name])[name]


def only(ctx: Context, name: str, column: str, value: str) -> dict[str, str]:
    [row] = [r for r in tab(ctx, name).records() if r.get(column) == value]
    return row


@pytest.fixture
def ctx(memory_context: Context) -> Context:
    submit(memory_context, ("10/03/2026 09:00:00", valid_answers(school_or_setting="Example Academy")))
    run_intake(memory_context)
    memory_context.workbook.write(
        WriteBatch(
            appends=[
                Append(
                    INTERVENTIONS,
                    {
                        "Case ID": CASE,
                        "Intervention": "Safety planning",
                        "Start date": "01/04/2026",
                        "End date": "30/06/2026",
                        "Worker email": WORKER,
                    },
                ),
                Append(MEETINGS, {"Case ID": CASE, "Meeting": f"{CASE}-M1", "Invitees": WORKER}),
            ],
            updates=[
                Update(REFERRALS, "Case ID", CASE, {"Status": "Closed", "Notes": "Spoke to Robin's aunt"})
            ],
        )
    )
    return memory_context


def confirm(ctx: Context, by: str = "Sam Coordinator", on: str = "16/06/2037") -> None:
    values: dict[str, str] = {RetentionReviewTab.CONFIRMED_BY: by, RetentionReviewTab.CONFIRMED_ON: on}
    ctx.workbook.write(WriteBatch(updates=[Update(RETENTION_REVIEW, "Case ID", CASE, values)]))


def personal_left(ctx: Context) -> list[str]:
    """Where the child's name, the worker's or referrer's email or the free text still are."""
    needles = (
        CHILD,
        WORKER,
        "pat.example@example.org",
        "Example Academy",
        "aunt",
        "15/06/2012",
        "2012-06-15",
    )
    tabs = ctx.workbook.read([REFERRALS, FORM_RESPONSES, INTERVENTIONS, MEETINGS, OUTBOX])
    return [
        f"{name}:{column}"
        for name, table in tabs.items()
        for record in table.records()
        for column, value in record.items()
        if any(n in value for n in needles)
    ]


def test_a_case_past_retention_is_listed_and_nothing_is_erased_without_confirmation(
    ctx: Context, clock: FixedClock
) -> None:
    clock.now = datetime(2037, 6, 14, 9, 0, tzinfo=UTC)
    assert run_retention(ctx).listed == []  # a day before the child's 25th birthday
    clock.now = BIRTHDAY_25
    report = run_retention(ctx)
    assert report.listed == [CASE] and report.erased == []
    review = only(ctx, RETENTION_REVIEW, "Case ID", CASE)
    assert review[RetentionReviewTab.LISTED_ON] == "2037-06-15"
    assert review[RetentionReviewTab.REVIEW_BY] == "2037-07-15"
    assert "25th birthday" in review[RetentionReviewTab.WHY]
    assert [r[AuditLogTab.ACTION] for r in tab(ctx, AUDIT_LOG).records()].count(LISTED) == 1
    assert personal_left(ctx)  # still all there

    again = run_retention(ctx)  # listed once only
    assert again.listed == [] and again.waiting == [CASE]
    confirm(ctx, by="Sam Coordinator", on="")  # half a confirmation is none
    half = run_retention(ctx)
    assert half.erased == [] and any("fill in Confirmed on" in p for p in half.problems)
    assert personal_left(ctx)


def test_a_confirmed_case_loses_its_personal_data_everywhere_and_keeps_its_id_dates_and_route(
    ctx: Context, clock: FixedClock
) -> None:
    clock.now = BIRTHDAY_25
    run_retention(ctx)
    before = only(ctx, REFERRALS, "Case ID", CASE)
    stamp = tab(ctx, FORM_RESPONSES).rows[0][0]
    confirm(ctx)
    clock.now = datetime(2037, 6, 16, 9, 0, tzinfo=UTC)
    report = run_retention(ctx)
    assert [e.case_id for e in report.erased] == [CASE]
    assert personal_left(ctx) == []
    after = only(ctx, REFERRALS, "Case ID", CASE)
    for kept in (ReferralsTab.RECEIVED, ReferralsTab.ROUTE, ReferralsTab.RESPONSE_ID, ReferralsTab.STATUS):
        assert after[kept] == before[kept] and before[kept]
    assert after[form_column("child_first_name")] == "" and after[form_column("incident_date")]
    assert tab(ctx, FORM_RESPONSES).rows[0][0] == stamp  # its Timestamp keeps its response id
    assert only(ctx, OUTBOX, "Case ID", CASE)[OutboxTab.RECIPIENT] == ""
    assert (
        only(ctx, RETENTION_REVIEW, "Case ID", CASE)[RetentionReviewTab.ERASED_ON] == "2037-06-16 10:00:00"
    )  # BST
    [entry] = [r for r in tab(ctx, AUDIT_LOG).records() if r[AuditLogTab.ACTION] == ERASED]
    assert entry[AuditLogTab.CASE_ID] == CASE
    assert "confirmed by Sam Coordinator on 2037-06-16" in entry[AuditLogTab.DETAIL]
    assert (
        "Referrals: " in entry[AuditLogTab.DETAIL]
        and "Child first name (1 row(s))" in entry[AuditLogTab.DETAIL]
    )
    assert "Interventions: Worker email (1 row(s))" in entry[AuditLogTab.DETAIL]
    assert "Meetings: Invitees (1 row(s))" in entry[AuditLogTab.DETAIL]


def test_rerunning_after_erasure_changes_nothing_and_intake_does_not_take_the_row_again(
    ctx: Context, clock: FixedClock
) -> None:
    clock.now = BIRTHDAY_25
    run_retention(ctx)
    confirm(ctx, on="15/06/2037")
    run_retention(ctx)
    snapshot = {t: tab(ctx, t).rows for t in (REFERRALS, RETENTION_REVIEW, AUDIT_LOG, FORM_RESPONSES)}
    report = run_retention(ctx)
    assert report.counts() == {"listed": 0, "erased": 0, "awaiting_confirmation": 0, "problems": 0}
    assert {t: tab(ctx, t).rows for t in snapshot} == snapshot
    intake = run_intake(ctx)
    assert intake.registered == [] and intake.issues == 0
    status = only(ctx, JOB_STATUS, JobStatusTab.JOB, "retention")
    assert status[JobStatusTab.OUTCOME] == "ok"
    assert status[JobStatusTab.COUNTS] == "listed=0 erased=0 awaiting_confirmation=0 problems=0"


def test_a_dry_run_shows_what_would_go_and_writes_nothing(ctx: Context, clock: FixedClock) -> None:
    clock.now = BIRTHDAY_25
    run_retention(ctx)
    confirm(ctx, on="15/06/2037")
    referrals = tab(ctx, REFERRALS).rows
    report = run_retention(ctx, dry_run=True)
    [erasure] = report.erased
    assert "Form responses 1: " in erasure.describe() and "Outbox: Recipient (1 row(s))" in erasure.describe()
    assert tab(ctx, REFERRALS).rows == referrals and personal_left(ctx)
    real = run_retention(ctx)
    assert [e.describe() for e in real.erased] == [erasure.describe()]


def test_a_case_reopened_after_confirmation_is_not_erased(ctx: Context, clock: FixedClock) -> None:
    clock.now = BIRTHDAY_25
    run_retention(ctx)
    confirm(ctx, on="15/06/2037")
    ctx.workbook.write(WriteBatch(updates=[Update(REFERRALS, "Case ID", CASE, {"Status": "In progress"})]))
    report = run_retention(ctx)
    assert report.erased == [] and any("no longer past retention" in p for p in report.problems)
    assert personal_left(ctx)


def test_an_open_intervention_keeps_a_closed_case(ctx: Context, clock: FixedClock) -> None:
    ctx.workbook.write(
        WriteBatch(
            appends=[
                Append(INTERVENTIONS, {"Case ID": CASE, "Intervention": "Other", "Start date": "01/05/2026"})
            ]
        )
    )
    clock.now = datetime(2050, 1, 1, tzinfo=UTC)
    assert run_retention(ctx).listed == []
