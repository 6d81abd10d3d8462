"""Reminders on three consecutive days through a real .xlsx register and a real SMTP server (aiosmtpd)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from aiosmtpd.controller import Controller

from hsb_sheets.adapters.workbook.base import Append, WriteBatch
from hsb_sheets.bootstrap import build_context
from hsb_sheets.config import load_settings
from hsb_sheets.domain.form import TIMESTAMP
from hsb_sheets.domain.tabs import INTERVENTIONS, InterventionsTab
from hsb_sheets.resources import shipped
from hsb_sheets.services.context import Context
from hsb_sheets.services.intake import run_intake
from hsb_sheets.services.reminders import run_reminders
from hsb_sheets.services.rule_source import read_rule_csv
from hsb_sheets.services.setup import setup_register
from hsb_sheets.services.workspace import create_workspace, import_responses
from tests.conftest import FixedClock, valid_answers
from tests.integration.test_smtp import Recorder, free_port


@pytest.fixture
def server() -> Iterator[tuple[Recorder, int]]:
    recorder, port = Recorder(), free_port()
    controller = Controller(recorder, hostname="127.0.0.1", port=port)
    controller.start()
    yield recorder, port
    controller.stop()


@pytest.fixture
def ctx(
    server: tuple[Recorder, int], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> tuple[Context, FixedClock]:
    monkeypatch.setenv("HSB_SHEETS_MAIL_BACKEND", "smtp")
    monkeypatch.setenv("HSB_SHEETS_MAIL_SMTP_HOST", "127.0.0.1")
    monkeypatch.setenv("HSB_SHEETS_MAIL_SMTP_PORT", str(server[1]))
    clock = FixedClock(datetime(2026, 3, 2, 9, 0, tzinfo=UTC))
    context = build_context(load_settings(create_workspace(tmp_path / "ws")), clock=clock)
    setup_register(context, directory_seed=read_rule_csv(shipped("config/directory.example.csv")))
    header = [TIMESTAMP, *(f.title for f in context.form.fields)]
    answers = valid_answers(
        traffic_light="Amber", lead_professional_email="lead@example.org", incident_date="01/02/2026"
    )
    import_responses(
        context, header, [["02/02/2026 09:00:00", *(answers[f.id] for f in context.form.fields)]]
    )
    run_intake(context)
    context.workbook.write(
        WriteBatch(
            appends=[
                Append(
                    INTERVENTIONS,
                    {
                        InterventionsTab.CASE_ID: "HSB-2026-0001",
                        InterventionsTab.INTERVENTION: "Safety planning",
                        InterventionsTab.START_DATE: "02/02/2026",
                        InterventionsTab.WORKER_EMAIL: "a.worker@example.gov.uk",
                        InterventionsTab.END_DATE: "17/03/2026",
                    },
                ),
                Append(
                    INTERVENTIONS,
                    {
                        InterventionsTab.CASE_ID: "HSB-2026-0001",
                        InterventionsTab.INTERVENTION: "AIM3 assessment",
                        InterventionsTab.START_DATE: "09/02/2026",
                        InterventionsTab.WORKER_EMAIL: "b.worker@example.gov.uk",
                        InterventionsTab.END_DATE: "04/03/2026",
                    },
                ),
                Append(
                    INTERVENTIONS,
                    {
                        InterventionsTab.CASE_ID: "HSB-2026-0001",
                        InterventionsTab.INTERVENTION: "TA-HSB work",
                        InterventionsTab.START_DATE: "16/02/2026",
                        InterventionsTab.WORKER_EMAIL: "c.worker@example.gov.uk",
                        InterventionsTab.REVIEW_DATES: "19/03/2026",
                    },
                ),
            ]
        )
    )
    return context, clock


def test_three_days_of_reminders_arrive_exactly_once(
    ctx: tuple[Context, FixedClock], server: tuple[Recorder, int]
) -> None:
    context, clock = ctx
    recorder, _ = server
    recorder.messages.clear()  # the referral's acknowledgement
    expected = {
        17: [
            ("a.worker@example.gov.uk", "End summary due 31/03/2026: HSB-2026-0001"),
            ("b.worker@example.gov.uk", "End summary due 18/03/2026: HSB-2026-0001"),
        ],
        18: [
            ("b.worker@example.gov.uk", "End summary due today: HSB-2026-0001"),
            ("c.worker@example.gov.uk", "Review due 19/03/2026: HSB-2026-0001"),
        ],
        19: [("manager.cambs@example.gov.uk", "Overdue end summary: HSB-2026-0001")],
    }
    for day, messages in expected.items():
        clock.now = datetime(2026, 3, day, 8, 0, tzinfo=UTC)
        before = len(recorder.messages)
        run_reminders(context)
        arrived = sorted((m["To"], m["Subject"]) for m in recorder.messages[before:])
        assert arrived == sorted(messages), f"17 March + {day - 17} days"
        for message in recorder.messages[before:]:
            if message["To"] != "manager.cambs@example.gov.uk":
                assert message["Cc"] == "lead@example.org"
        run_reminders(context)  # the same day again: nothing more
        run_reminders(context)
        assert len(recorder.messages) == before + len(messages)
