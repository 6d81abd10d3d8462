"""Shared fixtures: the shipped form and rules, and a factory for valid answers."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

import pytest

from hsb_sheets.adapters.calendar.memory import MemoryCalendar
from hsb_sheets.adapters.mail.memory import MemoryMailer
from hsb_sheets.adapters.workbook.memory import MemoryWorkbook
from hsb_sheets.bootstrap import load_form
from hsb_sheets.config import Settings
from hsb_sheets.domain.facts import FactKind, fact_catalogue
from hsb_sheets.domain.form import FormDefinition
from hsb_sheets.domain.rules import RuleTable, parse_rule_table
from hsb_sheets.resources import shipped
from hsb_sheets.services.context import Context
from hsb_sheets.services.rule_source import read_rule_csv

ROOT = Path(__file__).resolve().parent.parent
RECEIVED = datetime(2026, 3, 10, 9, 30, 0)


@pytest.fixture(scope="session")
def form() -> FormDefinition:
    return load_form()


@pytest.fixture(scope="session")
def catalogue(form: FormDefinition) -> dict[str, FactKind]:
    return fact_catalogue(form)


@pytest.fixture(scope="session")
def rules_csv() -> tuple[list[str], list[list[str]]]:
    return read_rule_csv(shipped("config/routing_rules.csv"))


@pytest.fixture(scope="session")
def table(rules_csv: tuple[list[str], list[list[str]]], catalogue: dict[str, FactKind]) -> RuleTable:
    header, rows = rules_csv
    return parse_rule_table(header, rows, catalogue)


def form_column(field_id: str) -> str:
    """The Referrals column holding one answer of the shipped form (its ``column`` in the YAML)."""
    return load_form().field(field_id).column


def valid_answers(**changes: str) -> dict[str, str]:
    """A complete, valid set of raw answers (fictional); keyword arguments replace answers."""
    answers = {
        "referrer_name": "Pat Example",
        "referrer_email": "pat.example@example.org",
        "referrer_phone": "01632 960123",
        "referrer_agency": "School or college",
        "lead_professional_email": "",
        "child_first_name": "Robin",
        "child_last_name": "Testwood",
        "child_dob": "15/06/2012",
        "child_gender": "Female",
        "child_area": "Cambridgeshire",
        "child_postcode": "CB1 2AB",
        "school_or_setting": "",
        "learning_needs": "No",
        "open_to_services": "None of these",
        "parent_carer_aware": "Yes",
        "behaviour_description": "A fictional description of the behaviour for testing purposes.",
        "incident_date": "01/03/2026",
        "traffic_light": "Green",
        "online_element": "No",
        "harm_caused": "No",
        "persistent": "No",
        "risk_to_self": "No",
        "police_involved": "No",
        "criminal_status": "None",
        "accepted_responsibility": "Not known",
    }
    answers.update(changes)
    return answers


@pytest.fixture
def answers() -> Callable[..., dict[str, str]]:
    return valid_answers


class FixedClock:
    """A clock tests can move."""

    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock(datetime(2026, 3, 12, 10, 0, tzinfo=UTC))


@pytest.fixture
def memory_context(clock: FixedClock, tmp_path: Path) -> Context:
    """A context over an in-memory register and a recording mailer, already set up."""
    from hsb_sheets.bootstrap import build_context
    from hsb_sheets.services.setup import setup_register

    settings = Settings(base_dir=tmp_path)
    ctx = build_context(
        settings, workbook=MemoryWorkbook(), mailer=MemoryMailer(), calendar=MemoryCalendar(), clock=clock
    )
    setup_register(ctx)
    return ctx
