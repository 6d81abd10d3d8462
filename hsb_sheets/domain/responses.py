"""Form responses as the "Form responses 1" tab (or a CSV export) holds them.

Maps columns to field ids (by question title or field id), reads each row into raw answers, and
gives each response a fingerprint that survives sorting, row insertion and edits to its answers.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass

from hsb_sheets.domain.dates import DateFormatError, parse_timestamp
from hsb_sheets.domain.form import TIMESTAMP, FormDefinition
from hsb_sheets.errors import FormMismatchError


@dataclass(frozen=True)
class ResponseRow:
    """One submission: where it sits now, its fingerprint and its raw answers by field id."""

    sheet_row: int
    response_id: str
    timestamp: str
    answers: dict[str, str]


@dataclass(frozen=True)
class ColumnMap:
    """Which column holds the timestamp and which holds each answered field."""

    timestamp: int | None
    fields: dict[str, int]


def _norm(text: str) -> str:
    return " ".join(text.split()).casefold()


def map_columns(form: FormDefinition, header: Sequence[str], *, timestamp_required: bool) -> ColumnMap:
    """Match a header row to the form; FormMismatchError names unknown and missing columns."""
    by_name: dict[str, str] = {}
    for f in form.fields:
        by_name[_norm(f.title)] = f.id
        by_name[_norm(f.id)] = f.id
    timestamp: int | None = None
    fields: dict[str, int] = {}
    unknown: list[str] = []
    repeated: list[str] = []
    for index, name in enumerate(header):
        key = _norm(str(name))
        if not key:
            continue
        if key == _norm(TIMESTAMP):
            timestamp = index
        elif key in by_name:
            field_id = by_name[key]
            if field_id in fields:
                repeated.append(str(name))
            fields[field_id] = index
        else:
            unknown.append(str(name))
    missing = [f.title for f in form.fields if f.required and f.id not in fields]
    if timestamp_required and timestamp is None:
        missing.insert(0, TIMESTAMP)
    problems = []
    if missing:
        problems.append("missing required question columns: " + "; ".join(f"'{m}'" for m in missing))
    if unknown:
        problems.append("columns not in the form definition: " + "; ".join(f"'{u}'" for u in unknown))
    if repeated:
        problems.append("questions with two columns: " + "; ".join(f"'{r}'" for r in repeated))
    if problems:
        raise FormMismatchError(
            "The responses no longer match hsb_sheets/config/referral_form.yaml: "
            + "; and ".join(problems)
            + ". Update the form definition (or the form) so they agree; nothing was written."
        )
    return ColumnMap(timestamp, fields)


def fingerprint(timestamp: str, referrer_email: str, cells: Sequence[str], locale: str = "en-GB") -> str:
    """A response id from when it was submitted and by whom.

    Google Forms stamps each submission; one referrer cannot submit twice in the same second, so
    the pair identifies a submission even after its answers are corrected or its row is moved, and
    a CSV export imported twice is ingested once. Without a timestamp the whole row is used.
    """
    try:
        stamp = parse_timestamp(timestamp, locale).isoformat()
    except DateFormatError:
        stamp = timestamp.strip()
    if stamp:
        basis = f"{stamp}|{referrer_email.strip().casefold()}"
    else:
        basis = "row|" + "\x1f".join(c.strip() for c in cells)
    return "R" + hashlib.sha256(basis.encode("utf-8")).hexdigest()[:15].upper()


def read_responses(
    columns: ColumnMap, rows: Sequence[Sequence[str]], locale: str = "en-GB"
) -> list[ResponseRow]:
    """Every non-empty row as a ResponseRow; sheet row numbers start at 2 under the header.

    Two rows with the same fingerprint but different answers are two submissions made in the same
    second by the same referrer: the later ones get ``-2``, ``-3``... so neither is lost. Rows with
    identical answers keep one fingerprint (the same export imported twice is one submission).
    """
    result = []
    contents: dict[str, list[tuple[str, ...]]] = {}
    for offset, raw in enumerate(rows):
        cells = [str(c) if c is not None else "" for c in raw]
        if not any(c.strip() for c in cells):
            continue

        def cell(index: int | None, cells: list[str] = cells) -> str:
            return cells[index] if index is not None and index < len(cells) else ""

        answers = {field_id: cell(index) for field_id, index in columns.fields.items()}
        stamp = cell(columns.timestamp)
        response_id = fingerprint(stamp, answers.get("referrer_email", ""), cells, locale)
        content = tuple(c.strip() for c in cells)
        seen = contents.setdefault(response_id, [])
        if content not in seen:
            seen.append(content)
        occurrence = seen.index(content) + 1
        if occurrence > 1:
            response_id = f"{response_id}-{occurrence}"
        result.append(ResponseRow(offset + 2, response_id, stamp, answers))
    return result
