"""The reminders job: each reminder queued and sent once, escalations to the manager, secure content rules."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from hsb_sheets.adapters.workbook.base import Append, Update, WriteBatch
from hsb_sheets.domain.tabs import AUDIT_LOG, INTERVENTIONS, JOB_STATUS, OUTBOX, SETTINGS
from hsb_sheets.resources import shipped
from hsb_sheets.services.context import Context
from hsb_sheets.services.intake import run_intake
from hsb_sheets.services.reminders import run_reminders
from hsb_sheets.services.rule_source import read_rule_csv
from hsb_sheets.services.setup import setup_register
from tests.conftest import FixedClock, valid_answers
from tests.unit.test_intake_service import mailer, submit

WORKER = "worker@example.gov.uk"
LEAD = "lead@example.org"
KEY = ("HSB-2026-0001", "Safety planning", "02/02/2026")


@pytest.fixture
def ctx(memory_context: Context) -> Context:
    setup_register(memory_context, directory_seed=read_rule_csv(shipped("config/directory.example.csv")))
    submit(
        memory_context,
        (
            "10/02/2026 09:00:00",
            valid_answers(traffic_light="Amber", lead_professional_email=LEAD, incident_date="01/02/2026"),
        ),
    )
    run_intake(memory_context)
    mailer(memory_context).sent.clear()
    memory_context.workbook.write(
        WriteBatch(
            appends=[
                Append(
                    INTERVENTIONS,
                    {
                        "Case ID": KEY[0],
                        "Intervention": KEY[1],
                        "Start date": KEY[2],
                        "Worker email": WORKER,
                        "End date": "06/03/2026",
                        "Sessions agreed": "6",
                    },
                )
            ]
        )
    )
    return memory_context


def on(clock: FixedClock, day: int, month: int = 3, hour: int = 8) -> None:
    clock.now = datetime(2026, month, day, hour, 0, tzinfo=UTC)


def row(ctx: Context) -> dict[str, str]:
    return next(ctx.workbook.read([INTERVENTIONS])[INTERVENTIONS].records())


def sent(ctx: Context) -> list[tuple[str, tuple[str, ...], tuple[str, ...]]]:
    return [(e.key.split("|")[1], e.to, e.cc) for e in mailer(ctx).sent]


def test_a_fortnight_of_reminders_each_sent_once(ctx: Context, clock: FixedClock) -> None:
    for day, expected in [
        (5, []),
        (6, [("end_date", (WORKER,), (LEAD,))]),
        (9, []),
        (17, [("due_soon", (WORKER,), (LEAD,))]),
        (20, [("due_today", (WORKER,), (LEAD,))]),
        (23, [("escalation", ("manager.cambs@example.gov.uk",), ())]),
        (24, []),
        (30, [("escalation", ("manager.cambs@example.gov.uk",), ())]),
    ]:
        on(clock, day)
        before = len(mailer(ctx).sent)
        run_reminders(ctx)
        run_reminders(ctx)  # a rerun the same day sends nothing more
        assert sent(ctx)[before:] == expected, f"day {day}"
    assert row(ctx)["Status"] == "Overdue" and row(ctx)["End summary due"] == "2026-03-20"


def test_status_and_due_date_are_written(ctx: Context, clock: FixedClock) -> None:
    on(clock, 1)
    run_reminders(ctx)
    assert (row(ctx)["Status"], row(ctx)["End summary due"]) == ("Open", "2026-03-20")
    on(clock, 10)
    run_reminders(ctx)
    assert row(ctx)["Status"] == "Summary due" and row(ctx)["Last reminder"].startswith("end date 2026-03-10")


def test_a_late_summary_stops_reminders_and_is_audited(ctx: Context, clock: FixedClock) -> None:
    on(clock, 23)
    run_reminders(ctx)
    ctx.workbook.write(
        WriteBatch(
            updates=[
                Update(
                    INTERVENTIONS,
                    ("Case ID", "Intervention", "Start date"),
                    KEY,
                    {"End summary recorded": "24/03/2026"},
                )
            ]
        )
    )
    on(clock, 30)
    before = len(mailer(ctx).sent)
    report = run_reminders(ctx)
    run_reminders(ctx)
    assert len(mailer(ctx).sent) == before and row(ctx)["Status"] == "Complete"
    assert report.late == ["HSB-2026-0001"]
    actions = ctx.workbook.read([AUDIT_LOG])[AUDIT_LOG].column("Action")
    assert actions.count("end summary recorded late") == 1


def test_missed_days_send_only_what_still_applies(ctx: Context, clock: FixedClock) -> None:
    on(clock, 24)  # nothing ran from the 6th until now
    run_reminders(ctx)
    assert sent(ctx) == [("escalation", ("manager.cambs@example.gov.uk",), ())]


def test_insecure_recipients_get_no_personal_details(ctx: Context, clock: FixedClock) -> None:
    ctx.workbook.write(
        WriteBatch(updates=[Update(SETTINGS, "Setting", "Secure domains", {"Value": "example.gov.uk"})])
    )
    on(clock, 6)
    run_reminders(ctx)
    [mixed] = mailer(ctx).sent  # the lead professional is at example.org: not secure
    for part in (mixed.subject, mixed.text, mixed.html or ""):
        assert [w for w in ("Robin", "Testwood", "Safety planning", "Child:") if w in part] == []
    assert "HSB-2026-0001" in mixed.subject and "20/03/2026" in mixed.text
    on(clock, 23)
    run_reminders(ctx)
    escalation = mailer(ctx).sent[-1]  # to the service manager at example.gov.uk: secure
    for part in (escalation.text, escalation.html or ""):
        assert "Child: Robin Testwood." in part and f"The worker is {WORKER}." in part


def test_the_service_zone_decides_the_day(ctx: Context, clock: FixedClock) -> None:
    # Ends Wednesday 15 April: due 29 April; 3 working days before is Friday 24 April.
    ctx.workbook.write(
        WriteBatch(
            updates=[
                Update(
                    INTERVENTIONS, ("Case ID", "Intervention", "Start date"), KEY, {"End date": "15/04/2026"}
                )
            ]
        )
    )
    clock.now = datetime(2026, 4, 23, 23, 30, tzinfo=UTC)  # in UTC still the 23rd; in London (BST) the 24th
    run_reminders(ctx)
    assert [s[0] for s in sent(ctx)] == ["due_soon"]


def test_bad_dates_and_duplicate_rows_are_reported_not_fatal(ctx: Context, clock: FixedClock) -> None:
    ctx.workbook.write(
        WriteBatch(
            appends=[
                Append(
                    INTERVENTIONS,
                    {"Case ID": "HSB-2026-0001", "Intervention": "Other", "End date": "31/02/2026"},
                ),
                Append(
                    INTERVENTIONS,
                    {"Case ID": "HSB-2026-0001", "Intervention": "AIM3 assessment", "Start date": "1/3/2026"},
                ),
                Append(
                    INTERVENTIONS,
                    {"Case ID": "HSB-2026-0001", "Intervention": "AIM3 assessment", "Start date": "1/3/2026"},
                ),
            ]
        )
    )
    on(clock, 6)
    report = run_reminders(ctx)
    assert "HSB-2026-0001: Cannot read End date '31/02/2026': enter a date like 31/03/2027" in report.problems
    assert any("two rows for AIM3 assessment" in p for p in report.problems)
    assert [s[0] for s in sent(ctx)] == ["end_date"]
    rows = list(ctx.workbook.read([INTERVENTIONS])[INTERVENTIONS].records())
    assert rows[1]["Last reminder"] == "Cannot read End date '31/02/2026': enter a date like 31/03/2027"


def test_a_dry_run_queues_and_sends_nothing(ctx: Context, clock: FixedClock) -> None:
    on(clock, 6)
    report = run_reminders(ctx, dry_run=True)
    assert len(report.queued) == 1 and mailer(ctx).sent == []
    assert [r["Kind"] for r in ctx.workbook.read([OUTBOX])[OUTBOX].records()].count("reminder") == 0


def test_counts_are_the_runs_queued_late_problems_and_emails(ctx: Context, clock: FixedClock) -> None:
    ctx.workbook.write(
        WriteBatch(
            appends=[Append(INTERVENTIONS, {"Case ID": KEY[0], "Intervention": "Other", "End date": "x"})]
        )
    )
    on(clock, 6)
    report = run_reminders(ctx)
    assert report.counts() == {"queued": 1, "late": 0, "problems": 1, "emails_sent": 1, "emails_failed": 0}
    status = {r["Job"]: r["Counts"] for r in ctx.workbook.read([JOB_STATUS])[JOB_STATUS].records()}
    assert status["reminders"] == "queued=1 late=0 problems=1 emails_sent=1 emails_failed=0"
    assert run_reminders(ctx).counts()["queued"] == 0
