"""The decision table: every way it can be broken is named by row and column; examples hold."""

from __future__ import annotations

import copy
from pathlib import Path

import pytest

from hsb_sheets.domain.facts import FactKind, FactValue
from hsb_sheets.domain.rules import RuleTable, parse_rule_table
from hsb_sheets.errors import RuleTableError
from hsb_sheets.resources import shipped
from hsb_sheets.services.rule_source import read_rule_csv
from hsb_sheets.services.rules_check import run_examples

Csv = tuple[list[str], list[list[str]]]


def edited(rules_csv: Csv, rule_id: str, column: str, value: str) -> Csv:
    header, rows = copy.deepcopy(rules_csv)
    row = next(r for r in rows if r[0] == rule_id)
    row[header.index(column)] = value
    return header, rows


def parse_error(csv_data: Csv, catalogue: dict[str, FactKind]) -> str:
    with pytest.raises(RuleTableError) as caught:
        parse_rule_table(*csv_data, catalogue)
    return str(caught.value)


def sheet_row(rules_csv: Csv, rule_id: str) -> int:
    return [r[0] for r in rules_csv[1]].index(rule_id) + 2


def test_the_shipped_table_parses(table: RuleTable) -> None:
    assert len(table.rows) >= 30
    assert len({r.rule_id for r in table.rows}) == len(table.rows)


def test_unknown_value_names_row_and_column(rules_csv: Csv, catalogue: dict[str, FactKind]) -> None:
    message = parse_error(edited(rules_csv, "RTE-2", "level", "compex"), catalogue)
    assert f"row {sheet_row(rules_csv, 'RTE-2')} (rule RTE-2), column 'level'" in message
    assert "'compex' is not a value of level" in message


def test_unknown_output_value(rules_csv: Csv, catalogue: dict[str, FactKind]) -> None:
    message = parse_error(edited(rules_csv, "RTE-1", "invitees (collect)", "police, social_care"), catalogue)
    assert "column 'invitees (collect)'" in message and "'social_care' is not a value of invitees" in message


def test_bad_age_test(rules_csv: Csv, catalogue: dict[str, FactKind]) -> None:
    message = parse_error(edited(rules_csv, "SVC-2", "age", "8-17"), catalogue)
    assert "column 'age'" in message and "not an age test" in message


def test_bad_boolean(rules_csv: Csv, catalogue: dict[str, FactKind]) -> None:
    assert "not true or false" in parse_error(edited(rules_csv, "ACT-1", "not_open", "maybe"), catalogue)


def test_unknown_fact_column(rules_csv: Csv, catalogue: dict[str, FactKind]) -> None:
    header, rows = copy.deepcopy(rules_csv)
    header[header.index("persistent")] = "persistence"
    message = parse_error((header, rows), catalogue)
    assert "column 'persistence': not a known fact or output" in message


def test_wrong_hit_policy(rules_csv: Csv, catalogue: dict[str, FactKind]) -> None:
    header, rows = copy.deepcopy(rules_csv)
    header[header.index("route (first)")] = "route (collect)"
    assert "the hit policy of route is first" in parse_error((header, rows), catalogue)


def test_first_outputs_take_one_value(rules_csv: Csv, catalogue: dict[str, FactKind]) -> None:
    message = parse_error(
        edited(rules_csv, "RTE-1", "route (first)", "strategy_discussion, early_help"), catalogue
    )
    assert "route takes one value" in message


def test_rule_ids_are_required_and_unique(rules_csv: Csv, catalogue: dict[str, FactKind]) -> None:
    assert "every rule needs an id" in parse_error(edited(rules_csv, "FLG-3", "Rule", ""), catalogue)
    assert "rule id used twice" in parse_error(edited(rules_csv, "FLG-3", "Rule", "FLG-4"), catalogue)


def test_a_case_left_without_a_route_is_named(rules_csv: Csv, catalogue: dict[str, FactKind]) -> None:
    header, rows = copy.deepcopy(rules_csv)
    rows = [r for r in rows if r[0] != "RTE-3"]
    message = parse_error((header, rows), catalogue)
    assert "level=healthy gets no route" in message


def test_an_age_gap_is_named(rules_csv: Csv, catalogue: dict[str, FactKind]) -> None:
    message = parse_error(edited(rules_csv, "SVC-2", "age", "9..17"), catalogue)
    assert "a case with age=8 gets no service" in message


def test_blank_rows_are_ignored_and_negation_works(rules_csv: Csv, catalogue: dict[str, FactKind]) -> None:
    header, rows = edited(rules_csv, "REC-2", "child_area", "not Cambridgeshire")
    rows.insert(3, [""] * len(header))
    table = parse_rule_table(header, rows, catalogue)
    facts: dict[str, FactValue] = dict.fromkeys(catalogue, False)
    facts.update(age=10, level="healthy", child_area="Peterborough")
    assert table.decide(facts).recording_system == "CAPITA"


def test_the_worked_examples_pass(table: RuleTable, catalogue: dict[str, FactKind]) -> None:
    header, rows = read_rule_csv(shipped("config/routing_examples.csv"))
    count, failures = run_examples(table, header, rows, catalogue)
    assert count >= 10
    assert failures == []


def test_a_changed_rule_fails_its_example(
    rules_csv: Csv, catalogue: dict[str, FactKind], tmp_path: Path
) -> None:
    table = parse_rule_table(*edited(rules_csv, "TL-7", "child_gender", "Female"), catalogue)
    header, rows = read_rule_csv(shipped("config/routing_examples.csv"))
    _, failures = run_examples(table, header, rows, catalogue)
    assert {f.output for f in failures} == {"assessment_tools"}
