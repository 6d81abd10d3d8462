"""``setup --update-rules``: replace the Routing rules tab with the shipped table, keeping the old rows.

The workbook port addresses rows by key, never by number, so the tab is rewritten in place: the
register's rules, top to bottom, take the shipped rules in order (each row found by its old rule
id, every column written), extra shipped rules are appended below, and left-over old rows are
cleared. Before that, in the same batch, every old row goes to the Audit log as a line of CSV, so
nothing a coordinator wrote is lost (rules hold no personal data).
"""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from datetime import datetime

from hsb_sheets.adapters.workbook.base import Append, Table, Update, WriteBatch
from hsb_sheets.domain.rules import RULE_COLUMN
from hsb_sheets.domain.rules_diff import RulesDiff, diff_rules, rule_records
from hsb_sheets.domain.tabs import ROUTING_RULES
from hsb_sheets.errors import RuleTableError
from hsb_sheets.services.audit import audit

UPDATE_HINT = (
    "Run 'hsb-sheets setup --update-rules' to replace the tab's rules with the shipped table "
    "(the old rows are kept in the Audit log)."
)


def csv_line(cells: Sequence[str]) -> str:
    """One row as a line of CSV, as a spreadsheet would export it."""
    out = io.StringIO()
    csv.writer(out, lineterminator="").writerow(cells)
    return out.getvalue()


def rules_difference(tab: Table, seed: tuple[list[str], list[list[str]]]) -> RulesDiff:
    """How the Routing rules tab differs from the shipped table."""
    return diff_rules(tab.header, tab.rows, *seed)


def replace_rules(
    tab: Table, seed: tuple[list[str], list[list[str]]], now: datetime
) -> tuple[WriteBatch, RulesDiff]:
    """The writes that make the tab hold the shipped table (none when it already does)."""
    difference = rules_difference(tab, seed)
    if not difference:
        return WriteBatch(), difference
    old = rule_records(tab.header, tab.rows)
    seen: set[str] = set()
    for sheet_row, rule_id, _ in old:
        if not rule_id or rule_id in seen:
            problem = "has no rule id" if not rule_id else f"has the rule id {rule_id}, used twice"
            raise RuleTableError(
                f"Routing rules, row {sheet_row}: it {problem}, so its row cannot be replaced. "
                "Give every rule its own id (or clear the row), then run "
                "'hsb-sheets setup --update-rules' again."
            )
        seen.add(rule_id)
    seed_header, seed_rows = seed
    columns = [c for c in tab.header if c.strip()]
    batch = WriteBatch()
    batch.appends.append(
        audit(now, "setup", "routing rules replaced", detail=f"old header: {csv_line(tab.header)}")
    )
    for _, rule_id, cells in old:
        batch.appends.append(
            audit(
                now,
                "setup",
                "old routing rule kept",
                rule_ids=[rule_id],
                detail=csv_line([cells.get(c.strip(), "") for c in tab.header]),
            )
        )
    new = [cells for _, _, cells in rule_records(seed_header, seed_rows)]
    for position, cells in enumerate(new):
        values = {c: cells.get(c.strip(), "") for c in columns}
        if position < len(old):
            batch.updates.append(Update(ROUTING_RULES, RULE_COLUMN, old[position][1], values))
        else:
            batch.appends.append(Append(ROUTING_RULES, values))
    for _, rule_id, _ in old[len(new) :]:
        batch.updates.append(Update(ROUTING_RULES, RULE_COLUMN, rule_id, dict.fromkeys(columns, "")))
    return batch, difference
