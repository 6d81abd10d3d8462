"""The demo's coordinators choose cases by their route and facts, and type their edits once."""

from __future__ import annotations

import pytest

from hsb_sheets.adapters.workbook.base import Table, Update, WriteBatch
from hsb_sheets.domain.tabs import MEETINGS, REFERRALS, ReferralsTab
from hsb_sheets.resources import shipped
from hsb_sheets.services.context import Context
from hsb_sheets.services.demo_coordinators import TABS, add_coordinator_edits, choose_cases
from hsb_sheets.services.demo_data import demo_responses
from hsb_sheets.services.rule_source import read_rule_csv
from hsb_sheets.services.runner import run_jobs
from hsb_sheets.services.setup import setup_register
from hsb_sheets.services.workspace import import_responses
from tests.conftest import form_column


@pytest.fixture
def ctx(memory_context: Context) -> Context:
    """The demo's register after intake and the first meetings run."""
    setup_register(memory_context, directory_seed=read_rule_csv(shipped("config/directory.example.csv")))
    import_responses(memory_context, *demo_responses(memory_context.form, memory_context.now()))
    run_jobs(memory_context, ["intake", "meetings"])
    return memory_context


def test_cases_are_chosen_by_their_facts_whatever_the_row_order(ctx: Context) -> None:
    tables = ctx.workbook.read(TABS)
    shuffled = {name: Table(t.name, t.header, list(reversed(t.rows))) for name, t in tables.items()}
    cases = choose_cases(ctx.form, tables)
    assert cases is not None and choose_cases(ctx.form, shuffled) == cases
    referrals = {r[ReferralsTab.CASE_ID]: r for r in tables[REFERRALS].records()}
    assert referrals[cases.facts][form_column("criminal_status")] == "Under investigation"
    assert referrals[cases.held][form_column("police_involved")] == "Yes"
    assert referrals[cases.held][ReferralsTab.MEETING] == "strategy_discussion"
    assert (
        referrals[cases.override][ReferralsTab.ROUTE],
        referrals[cases.override][ReferralsTab.SERVICE],
    ) == (
        "universal",
        "hsb",
    )
    assert len({cases.facts, cases.held, cases.override}) == 3


def test_the_edits_are_typed_once(ctx: Context) -> None:
    assert add_coordinator_edits(ctx) == 4  # a meeting, two referrals, a next step
    after = ctx.workbook.read([REFERRALS, MEETINGS])
    assert add_coordinator_edits(ctx) == 0
    assert ctx.workbook.read([REFERRALS, MEETINGS]) == after


def test_a_register_a_coordinator_already_typed_in_gets_no_edits(ctx: Context) -> None:
    cases = choose_cases(ctx.form, ctx.workbook.read(TABS))
    assert cases is not None
    typed = Update(REFERRALS, ReferralsTab.CASE_ID, cases.override, {ReferralsTab.LINKED_CASES: cases.facts})
    ctx.workbook.write(WriteBatch(updates=[typed]))
    assert add_coordinator_edits(ctx) == 0
