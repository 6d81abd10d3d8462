"""Which rules and locale a side-effect-free command uses: the workspace's, or the shipped ones."""

from __future__ import annotations

from dataclasses import dataclass

from hsb_sheets.bootstrap import RULES_FILE, load_form
from hsb_sheets.cli.common import AppState
from hsb_sheets.domain.facts import fact_catalogue
from hsb_sheets.domain.form import FormDefinition
from hsb_sheets.domain.rules import RuleTable, parse_rule_table
from hsb_sheets.domain.tabs import ROUTING_RULES, SETTINGS
from hsb_sheets.resources import shipped
from hsb_sheets.services.policy import read_policy
from hsb_sheets.services.rule_source import read_rule_csv, rules_from_tab


@dataclass(frozen=True)
class RuleSource:
    """The form, the parsed table, the date locale, and where the table came from."""

    form: FormDefinition
    table: RuleTable
    locale: str
    origin: str


def current_rules(state: AppState) -> RuleSource:
    """The workspace's Routing rules tab when there is a workspace, else the shipped rules CSV."""
    if state.has_workspace():
        ctx = state.context()
        tables = ctx.workbook.read([ROUTING_RULES, SETTINGS])
        policy = read_policy(tables[SETTINGS])
        return RuleSource(
            ctx.form,
            rules_from_tab(ctx.form, tables[ROUTING_RULES]),
            policy.date_locale,
            f"the '{ROUTING_RULES}' tab of the register",
        )
    form = load_form()
    header, rows = read_rule_csv(shipped(RULES_FILE))
    table = parse_rule_table(header, rows, fact_catalogue(form))
    return RuleSource(form, table, "en-GB", f"hsb_sheets/{RULES_FILE}")
