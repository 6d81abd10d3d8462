"""Replacing a register's Routing rules: the difference in words, and the writes that replace them."""

from __future__ import annotations

import copy
from datetime import datetime

import pytest

from hsb_sheets.adapters.workbook.base import Table
from hsb_sheets.adapters.workbook.memory import MemoryWorkbook
from hsb_sheets.bootstrap import load_form
from hsb_sheets.domain.rules_diff import diff_rules
from hsb_sheets.domain.tabs import AUDIT_LOG, ROUTING_RULES, AuditLogTab, all_tab_specs
from hsb_sheets.errors import RuleTableError
from hsb_sheets.services.rules_update import replace_rules

Csv = tuple[list[str], list[list[str]]]
NOW = datetime(2026, 12, 1, 9, 0)


def register_with(rules_csv: Csv, header: list[str], rows: list[list[str]]) -> MemoryWorkbook:
    """A register whose Routing rules tab holds ``rows`` under ``header`` (plus the seed's columns)."""
    workbook = MemoryWorkbook()
    workbook.ensure_tabs(all_tab_specs(load_form(), tuple(header)))
    workbook.ensure_tabs(all_tab_specs(load_form(), tuple(rules_csv[0])))
    table = workbook.tables[ROUTING_RULES]
    table.rows = [[dict(zip(header, r, strict=True)).get(c, "") for c in table.header] for r in rows]
    return workbook


def replace(workbook: MemoryWorkbook, seed: Csv) -> None:
    tab = workbook.read([ROUTING_RULES])[ROUTING_RULES]
    batch, _ = replace_rules(tab, seed, NOW)
    workbook.write(batch)


def test_fewer_shipped_rules_clear_the_rows_left_over(rules_csv: Csv) -> None:
    header, rows = copy.deepcopy(rules_csv)
    extra = [["X-1", "A rule of the register's own", *[""] * (len(header) - 2)]]
    workbook = register_with(rules_csv, header, [*rows, [""] * len(header), *extra])
    shorter = (header, rows[:10])
    replace(workbook, shorter)
    table = workbook.tables[ROUTING_RULES]
    kept = [r for r in table.rows if any(r)]
    assert [r[table.header.index("Rule")] for r in kept] == [r[0] for r in rows[:10]]
    audit = [
        r for r in workbook.tables[AUDIT_LOG].records() if r[AuditLogTab.ACTION] == "old routing rule kept"
    ]
    assert [a[AuditLogTab.RULE_IDS] for a in audit] == [*(r[0] for r in rows), "X-1"]
    assert not diff_rules(table.header, table.rows, *shorter)


def test_a_table_that_already_matches_writes_nothing(rules_csv: Csv) -> None:
    workbook = register_with(rules_csv, *copy.deepcopy(rules_csv))
    tab = workbook.read([ROUTING_RULES])[ROUTING_RULES]
    batch, difference = replace_rules(tab, rules_csv, NOW)
    assert not batch and not difference


def test_the_difference_names_removed_and_reordered_rules(rules_csv: Csv) -> None:
    header, rows = copy.deepcopy(rules_csv)
    mine = [rows[1], rows[0], *rows[2:], ["X-1", "Mine", *[""] * (len(header) - 2)]]
    difference = diff_rules(header, mine, header, rows)
    assert difference.removed == (("X-1", "Mine"),) and difference.added == ()
    assert difference.reordered and difference.changed == ()
    assert difference.summary() == "0 added, 1 removed, 0 changed, the order differs"
    assert "Removed (in the register only): X-1 (Mine)" in difference.describe()


def test_a_repeated_rule_id_stops_the_replacement(rules_csv: Csv) -> None:
    header, rows = copy.deepcopy(rules_csv)
    rows[3][0] = rows[2][0]
    tab = Table(ROUTING_RULES, header, rows)
    with pytest.raises(RuleTableError, match=rf"row 5: it has the rule id {rows[2][0]}, used twice"):
        replace_rules(tab, rules_csv, NOW)
