"""Loading the routing rules: from the register's tab on every run, or from a CSV file."""

from __future__ import annotations

import csv
from pathlib import Path

from hsb_sheets.adapters.workbook.base import Table
from hsb_sheets.domain.facts import fact_catalogue
from hsb_sheets.domain.form import FormDefinition
from hsb_sheets.domain.rules import RuleTable, parse_rule_table
from hsb_sheets.errors import ConfigError


def rules_from_tab(form: FormDefinition, table: Table) -> RuleTable:
    """The decision table as coordinators keep it in the Routing rules tab."""
    return parse_rule_table(table.header, table.rows, fact_catalogue(form))


def read_rule_csv(path: Path) -> tuple[list[str], list[list[str]]]:
    """Header and rows of a rules (or examples) CSV file."""
    try:
        with path.open(newline="", encoding="utf-8-sig") as fh:
            rows = list(csv.reader(fh))
    except OSError as problem:
        raise ConfigError(f"Cannot read {path}: {problem.strerror}.") from None
    except UnicodeDecodeError:
        raise ConfigError(f"{path} is not UTF-8 text: save it as CSV UTF-8.") from None
    except csv.Error as problem:
        raise ConfigError(f"{path} cannot be read as a CSV file: {problem}.") from None
    if not rows:
        raise ConfigError(f"{path} is empty; it needs a header row.")
    return rows[0], rows[1:]
