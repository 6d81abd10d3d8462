"""Triage: validate and route a CSV of responses with no side effects."""

from __future__ import annotations

from datetime import date, datetime, time
from pathlib import Path
from typing import Any

from hsb_sheets.adapters.files.csv_export import read_csv_rows
from hsb_sheets.domain.dates import DateFormatError, parse_timestamp
from hsb_sheets.domain.form import TIMESTAMP, FormDefinition
from hsb_sheets.domain.intake import DuplicateIndex, assess
from hsb_sheets.domain.responses import map_columns, read_responses
from hsb_sheets.domain.rules import RuleTable
from hsb_sheets.domain.validation import FieldError
from hsb_sheets.services.rules_in_use import RuleSource


def triage_file(
    source: RuleSource, path: Path, now: datetime, today: date | None = None
) -> list[dict[str, Any]]:
    """Validate and route every response in a CSV export, with no side effects.

    Rows without a Timestamp count as received on ``today``: unless given, the day it is ``now`` in
    the service's time zone (not the server's), which is also the day ages are reckoned on.
    """
    header, rows = read_csv_rows(path)
    day = today or now.astimezone(source.timezone).date()
    return triage_rows(source.form, source.table, header, rows, day, source.locale)


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
