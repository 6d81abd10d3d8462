"""Create or repair the register: tabs, header rows, the seeded routing rules and settings."""

from __future__ import annotations

from hsb_sheets.adapters.workbook.base import Append, WriteBatch
from hsb_sheets.domain.facts import fact_catalogue
from hsb_sheets.domain.layout import register_layout
from hsb_sheets.domain.rules import RuleTable, parse_rule_table
from hsb_sheets.domain.tabs import DIRECTORY, OVERVIEW, ROUTING_RULES, SETTINGS, all_tab_specs
from hsb_sheets.services.audit import audit
from hsb_sheets.services.context import Context
from hsb_sheets.services.headers import refuse_renamed_headers
from hsb_sheets.services.overview import overview_slots
from hsb_sheets.services.policy import missing_settings
from hsb_sheets.services.rules_update import replace_rules


def setup_register(
    ctx: Context,
    directory_seed: tuple[list[str], list[list[str]]] | None = None,
    update_rules: bool = False,
) -> list[str]:
    """Make the register match the tab specs; seed rules and settings when absent. Safe to rerun.

    ``directory_seed`` (header and rows) fills an empty Directory tab: the demo uses the fictional
    example; a real deployment types its own contacts. ``update_rules`` replaces a Routing rules
    tab that differs from the shipped table, after copying its old rows to the Audit log.
    """
    header, rows = ctx.routing_seed
    seed_table(ctx, header, rows)  # never seed a table that does not pass its own checks
    specs = all_tab_specs(ctx.form, tuple(header))
    refuse_renamed_headers(ctx.workbook, specs)  # a renamed header is named, never added a second time
    changes = ctx.workbook.ensure_tabs(specs)
    layout = register_layout(ctx.form, specs)
    changes += ctx.workbook.apply_layout(layout)
    with ctx.workbook.session():
        tables = ctx.workbook.read([ROUTING_RULES, SETTINGS, DIRECTORY, OVERVIEW])
        batch = WriteBatch()
        rules = tables[ROUTING_RULES]
        if not any(any(cell.strip() for cell in row) for row in rules.rows):
            for row in rows:
                batch.appends.append(Append(ROUTING_RULES, dict(zip(header, row, strict=False))))
            changes.append(f"seeded {len(rows)} routing rules")
        elif update_rules:
            replacement, difference = replace_rules(rules, (header, rows), ctx.now())
            if replacement:
                batch.extend(replacement)
                changes.append(
                    f"replaced the routing rules with the shipped table ({difference.summary()}); "
                    "the old rows are in the Audit log"
                )
        if directory_seed and not any(any(c.strip() for c in row) for row in tables[DIRECTORY].rows):
            seed_header, seed_rows = directory_seed
            for row in seed_rows:
                batch.appends.append(Append(DIRECTORY, dict(zip(seed_header, row, strict=False))))
            changes.append(f"added {len(seed_rows)} example Directory contacts")
        batch.appends.extend(overview_slots(tables[OVERVIEW]))  # no change to tell: blank rows
        settings = missing_settings(tables[SETTINGS])
        if settings:
            batch.appends.extend(settings)
            changes.append(f"added {len(settings)} settings with their defaults")
        if changes:
            batch.appends.append(
                audit(ctx.now(), "setup", "register set up", detail="; ".join(changes)[:500])
            )
        ctx.workbook.write(batch)
    if batch.appends:  # columns sized to what was seeded (a no-op on Google, laid out once above)
        ctx.workbook.apply_layout(layout)
    return changes


def seed_table(ctx: Context, header: list[str], rows: list[list[str]]) -> RuleTable:
    """Parse the shipped seed table (RuleTableError if it is broken)."""
    return parse_rule_table(header, rows, fact_catalogue(ctx.form))
