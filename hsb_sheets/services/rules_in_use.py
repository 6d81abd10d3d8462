"""Which rules, locale and time zone a side-effect-free command uses: the workspace's, or the shipped ones."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from zoneinfo import ZoneInfo

from hsb_sheets.bootstrap import EXAMPLES_FILE, RULES_FILE, load_form
from hsb_sheets.config import ServiceSettings
from hsb_sheets.domain.facts import fact_catalogue
from hsb_sheets.domain.form import FormDefinition
from hsb_sheets.domain.rules import RuleTable, parse_rule_table
from hsb_sheets.domain.rules_diff import RulesDiff
from hsb_sheets.domain.tabs import ROUTING_RULES, SETTINGS
from hsb_sheets.resources import shipped
from hsb_sheets.services.context import Context
from hsb_sheets.services.policy import read_policy
from hsb_sheets.services.rule_source import read_rule_csv, rules_from_tab
from hsb_sheets.services.rules_check import ExampleFailure, run_examples
from hsb_sheets.services.rules_update import rules_difference


@dataclass(frozen=True)
class RuleSource:
    """The form, the parsed table, the date locale, the service's time zone, and where the table came from."""

    form: FormDefinition
    table: RuleTable
    locale: str
    origin: str
    timezone: ZoneInfo


def workspace_rules(ctx: Context) -> RuleSource:
    """The register's Routing rules tab, read with its Settings tab's date locale."""
    tables = ctx.workbook.read([ROUTING_RULES, SETTINGS])
    policy = read_policy(tables[SETTINGS])
    return RuleSource(
        ctx.form,
        rules_from_tab(ctx.form, tables[ROUTING_RULES]),
        policy.date_locale,
        f"the '{ROUTING_RULES}' tab of the register",
        ctx.timezone,
    )


def workspace_rules_difference(ctx: Context) -> RulesDiff:
    """How the register's Routing rules tab differs from the table this version ships (its seed)."""
    tab = ctx.workbook.read([ROUTING_RULES])[ROUTING_RULES]
    return rules_difference(tab, ctx.routing_seed)


def shipped_rules() -> RuleSource:
    """config/routing_rules.csv with the shipped form, en-GB dates and the default time zone."""
    form = load_form()
    header, rows = read_rule_csv(shipped(RULES_FILE))
    return RuleSource(
        form,
        parse_rule_table(header, rows, fact_catalogue(form)),
        "en-GB",
        f"hsb_sheets/{RULES_FILE}",
        ZoneInfo(ServiceSettings().timezone),
    )


def check_examples(source: RuleSource, examples: Path | None = None) -> tuple[int, list[ExampleFailure]]:
    """Run the worked examples (config/routing_examples.csv unless named): how many, and which failed."""
    header, rows = read_rule_csv(examples or shipped(EXAMPLES_FILE))
    return run_examples(source.table, header, rows, fact_catalogue(source.form))
