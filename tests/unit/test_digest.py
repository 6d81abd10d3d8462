"""The coordinators' digest: per area, once per working day, counts and case ids, a chart attached."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from hsb_sheets.adapters.workbook.base import Append, HeldOpen, Update, WriteBatch
from hsb_sheets.adapters.workbook.journaled import JournaledWorkbook
from hsb_sheets.adapters.workbook.memory import MemoryWorkbook
from hsb_sheets.domain.tabs import (
    DIRECTORY,
    INTERVENTIONS,
    OUTBOX,
    InterventionsTab,
    OutboxTab,
    all_tab_specs,
)
from hsb_sheets.resources import shipped
from hsb_sheets.services.context import Context
from hsb_sheets.services.digest import run_digest
from hsb_sheets.services.intake import run_intake
from hsb_sheets.services.meetings import run_meetings
from hsb_sheets.services.reminders import run_reminders
from hsb_sheets.services.rule_source import read_rule_csv
from hsb_sheets.services.setup import setup_register
from hsb_sheets.services.status import read_status
from tests.conftest import FixedClock, valid_answers
from tests.unit.test_intake_service import mailer, submit


@pytest.fixture
def ctx(memory_context: Context, clock: FixedClock) -> Context:
    setup_register(memory_context, directory_seed=read_rule_csv(shipped("config/directory.example.csv")))
    submit(
        memory_context,
        ("09/03/2026 09:00:00", valid_answers(traffic_light="Red", referrer_email="a@example.org")),
        (
            "11/03/2026 10:00:00",
            valid_answers(traffic_light="Amber", child_first_name="Sam", referrer_email="b@example.org"),
        ),
        (
            "11/03/2026 11:00:00",
            valid_answers(child_area="Peterborough", child_first_name="Kai", referrer_email="c@example.org"),
        ),
        ("11/03/2026 12:00:00", valid_answers(child_last_name="", referrer_email="d@example.org")),
    )
    clock.now = datetime(2026, 3, 12, 7, 30, tzinfo=UTC)
    run_intake(memory_context)
    memory_context.workbook.write(
        WriteBatch(
            appends=[
                Append(
                    INTERVENTIONS,
                    {
                        InterventionsTab.CASE_ID: "HSB-2026-0001",
                        InterventionsTab.INTERVENTION: "Safety planning",
                        InterventionsTab.START_DATE: "01/01/2026",
                        InterventionsTab.WORKER_EMAIL: "w@example.gov.uk",
                        InterventionsTab.END_DATE: "20/02/2026",
                    },
                ),
                Append(
                    INTERVENTIONS,
                    {
                        InterventionsTab.CASE_ID: "HSB-2026-0002",
                        InterventionsTab.INTERVENTION: "Other",
                        InterventionsTab.START_DATE: "01/01/2026",
                        InterventionsTab.WORKER_EMAIL: "w@example.gov.uk",
                        InterventionsTab.END_DATE: "01/03/2026",
                    },
                ),
            ]
        )
    )
    run_reminders(memory_context)
    mailer(memory_context).sent.clear()
    return memory_context


def digests(ctx: Context) -> dict[str, str]:
    return {e.to[0]: e.text for e in mailer(ctx).sent if e.key.startswith("digest|")}


def test_one_digest_per_area_with_counts_and_case_ids(ctx: Context) -> None:
    report = run_digest(ctx)
    assert len(report.queued) == 2
    texts = digests(ctx)
    cambs = texts["coordinator.cambs@example.gov.uk"]
    assert "New referrals since Wednesday 11 March: 1 (HSB-2026-0002)" in cambs  # the 9th is too old
    assert "Intake issues waiting for a coordinator (all areas): 1" in cambs
    assert "End summaries due this week: 1 (HSB-2026-0002)" in cambs  # due Sunday 15 March
    assert "End summaries overdue: 1 (HSB-2026-0001)" in cambs
    assert "Robin" not in cambs and "Testwood" not in cambs
    pboro = texts["coordinator.pboro@example.gov.uk"]
    assert "New referrals since Wednesday 11 March: 1 (HSB-2026-0003)" in pboro
    assert "End summaries overdue: 0" in pboro


def test_the_chart_is_attached_as_a_png(ctx: Context) -> None:
    run_digest(ctx)
    email = next(e for e in mailer(ctx).sent if e.key.startswith("digest|"))
    [chart] = email.attachments
    assert chart.filename == "referrals-by-route.png" and chart.content.startswith(b"\x89PNG")


def test_once_a_day_and_not_at_weekends(ctx: Context, clock: FixedClock) -> None:
    run_digest(ctx)
    run_digest(ctx)
    assert len(digests(ctx)) == 2 and len(mailer(ctx).sent) == 2
    clock.now = datetime(2026, 3, 14, 8, 30, tzinfo=UTC)  # Saturday
    assert run_digest(ctx).skipped == "not a working day"
    clock.now = datetime(2026, 3, 16, 8, 30, tzinfo=UTC)
    assert len(run_digest(ctx).queued) == 2


def test_failed_notifications_and_meetings_needing_scheduling_are_listed(ctx: Context) -> None:
    ctx.workbook.write(
        WriteBatch(
            updates=[
                Update(OUTBOX, OutboxTab.KEY, "acknowledgement|HSB-2026-0001", {OutboxTab.STATE: "failed"})
            ]
        )
    )
    assert isinstance(ctx.workbook, MemoryWorkbook)
    directory = ctx.workbook.tables[DIRECTORY]
    directory.rows = [r for r in directory.rows if r[1] != "police"]  # so the strategy discussion waits
    run_meetings(ctx)
    run_digest(ctx)
    cambs = digests(ctx)["coordinator.cambs@example.gov.uk"]
    assert "Notifications that failed: 1 (acknowledgement HSB-2026-0001)" in cambs
    assert "Meetings needing scheduling: 1 (HSB-2026-0001-1)" in cambs


def test_referrals_to_adult_services_are_counted_by_route() -> None:
    from datetime import date
    from zoneinfo import ZoneInfo

    from hsb_sheets.domain.digest import build_digest
    from hsb_sheets.domain.tabs import ReferralsTab
    from hsb_sheets.domain.working_days import WorkingCalendar

    referrals = [
        {
            ReferralsTab.CASE_ID: f"HSB-2026-000{n}",
            ReferralsTab.RECEIVED: "2026-11-30 10:00:00",
            "Area": "Peterborough",
            ReferralsTab.ROUTE: route,
        }
        for n, route in enumerate(["adult_services", "universal", "adult_services"], start=1)
    ]
    digest = build_digest(
        "Peterborough",
        date(2026, 12, 1),
        WorkingCalendar(ZoneInfo("Europe/London")),
        referrals,
        [],
        [],
        [],
        [],
        area_column="Area",
    )
    assert digest.by_route["adult_services"][-1] == 2 and digest.by_route["universal"][-1] == 1


def test_the_digest_says_first_that_the_register_has_been_open_for_long(
    ctx: Context, clock: FixedClock
) -> None:
    store = ctx.workbook
    assert isinstance(store, MemoryWorkbook)
    specs = all_tab_specs(ctx.form, tuple(ctx.routing_seed[0]))
    ctx.workbook = JournaledWorkbook(store, ctx.journal, specs, ctx.clock, ctx.timezone)
    store.held = HeldOpen("LibreOffice", clock.now - timedelta(minutes=50), ".~lock.register.xlsx#")
    assert not any("open in LibreOffice" in line for line in read_status(ctx).attention)  # not yet long
    store.held = HeldOpen("LibreOffice", clock.now - timedelta(hours=2), ".~lock.register.xlsx#")
    assert len(run_digest(ctx).delivery.sent) == 2  # sent on time, the register untouched
    texts = digests(ctx)
    assert len(texts) == 2
    for text in texts.values():
        first = text.splitlines()[0]
        assert first.startswith("The register is open in LibreOffice (since 2026-03-12 05:30")
        assert first.endswith("write it to the register once it is closed.")
    assert any(line.startswith("The register is open in LibreOffice") for line in read_status(ctx).attention)
