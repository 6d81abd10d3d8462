"""Triage: validate and route a CSV of responses with no side effects."""

from __future__ import annotations

from datetime import date, datetime, time
from pathlib import Path
from typing import Any

import pandas as pd

from hsb_sheets.domain.dates import DateFormatError, parse_timestamp
from hsb_sheets.domain.form import TIMESTAMP, FormDefinition
from hsb_sheets.domain.intake import DuplicateIndex, assess
from hsb_sheets.domain.responses import map_columns, read_responses
from hsb_sheets.domain.rules import RuleTable
from hsb_sheets.domain.validation import FieldError
from hsb_sheets.errors import HsbError


def read_csv_rows(path: Path) -> tuple[list[str], list[list[str]]]:
    """Header and rows of a CSV export, every cell as text, blank lines kept so row numbers hold."""
    try:
        frame = pd.read_csv(
            path, header=None, dtype=str, keep_default_na=False, skip_blank_lines=False, encoding="utf-8-sig"
        )
    except FileNotFoundError:
        raise HsbError(f"There is no file at {path}.") from None
    except (pd.errors.ParserError, UnicodeDecodeError, pd.errors.EmptyDataError) as problem:
        raise HsbError(f"{path} cannot be read as a CSV file ({type(problem).__name__}).") from None
    rows = [[str(cell) for cell in row] for row in frame.to_numpy().tolist()]
    if not rows:
        raise HsbError(f"{path} is empty; it needs a header row of question titles or field ids.")
    return rows[0], rows[1:]


def triage_rows(
    form: FormDefinition, table: RuleTable, header: list[str], rows: list[list[str]], today: date, locale: str
) -> list[dict[str, Any]]:
    """One result per non-empty row, in the shape `triage --format json` prints."""
    columns = map_columns(form, header, timestamp_required=False)
    duplicates = DuplicateIndex()
    results: list[dict[str, Any]] = []
    for response in read_responses(columns, rows, locale):
        received = datetime.combine(today, time(12, 0))
        if response.timestamp.strip():
            try:
                received = parse_timestamp(response.timestamp, locale)
            except DateFormatError as problem:
                error = FieldError("timestamp", f"“{TIMESTAMP}”: the submission time {problem}.")
                results.append(_result(response.sheet_row, [error]))
                continue
        outcome = assess(
            form, table, response.answers, received, duplicates, f"row {response.sheet_row}", locale
        )
        if isinstance(outcome, list):
            results.append(_result(response.sheet_row, outcome))
        else:
            results.append(
                {
                    "row": response.sheet_row,
                    "valid": True,
                    "errors": [],
                    "decision": outcome.decision.to_json(),
                }
            )
    return results


def _result(row: int, errors: list[FieldError]) -> dict[str, Any]:
    return {"row": row, "valid": False, "errors": [{"field": e.field, "message": e.message} for e in errors]}
