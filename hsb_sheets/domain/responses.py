"""Form responses as the "Form responses 1" tab (or a CSV export) holds them.

Maps columns to field ids (by question title or field id), reads each row into raw answers, and
gives each response an id from the instant it was submitted: it survives sorting, row insertion,
edits to any answer, a change of the Date locale and a change of the Timestamp's number format.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from hsb_sheets.domain.dates import DateFormatError, parse_instant, parse_timestamp
from hsb_sheets.domain.form import TIMESTAMP, FormDefinition
from hsb_sheets.errors import FormMismatchError


@dataclass(frozen=True)
class ResponseRow:
    """One submission: where it sits now, its ids, its Timestamp as shown and its raw answers by field id.

    ``instant`` is the submission time read from the Timestamp's value when no locale can change it
    (None for text such as ``01/03/2026 10:00``); ``legacy_id`` is the id earlier versions gave it.
    """

    sheet_row: int
    response_id: str
    timestamp: str
    answers: dict[str, str]
    legacy_id: str = ""
    instant: datetime | None = None


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


def _hashed(basis: str) -> str:
    return "R" + hashlib.sha256(basis.encode("utf-8")).hexdigest()[:15].upper()


def _whole_row(cells: Sequence[str]) -> str:
    return "row|" + "\x1f".join(c.strip() for c in cells)


def response_id(value: str, cells: Sequence[str]) -> str:
    """A response id from the Timestamp's value alone (never its display, never an answer).

    The value is what the cell holds, not what it shows: on Google the unformatted serial number,
    locally the text the web form wrote or the ISO text of a real date-time cell. ISO text and
    serial numbers name one instant whatever the locale, so they are hashed as that instant,
    normalised to the microsecond in the service's local time (the spreadsheet's time zone, in which
    a serial counts; not UTC, so that changing the time zone setting cannot change any id either).

    Any other text (``01/03/2026 10:00:00`` typed or imported as text) is hashed as the text itself,
    trimmed, never as its parse: reading it needs the Date locale, and hashing a parse would give it
    a new id whenever that setting changed. The text is the cell's value, so no number format
    changes it; the locale in force at its first ingestion is used once, for the "Received" time
    the register records. Without any timestamp the whole row is used.
    """
    text = " ".join(value.split())
    if not text:
        return _hashed(_whole_row(cells))
    moment = parse_instant(text)
    if moment is None:
        return _hashed("text|" + text)
    return _hashed("instant|" + moment.isoformat(sep=" ", timespec="microseconds"))


def legacy_fingerprint(
    timestamp: str, referrer_email: str, cells: Sequence[str], locale: str = "en-GB"
) -> str:
    """The response id earlier versions gave: the displayed timestamp, read in a locale, and the email.

    Kept only to recognise responses registered by those versions, so that an upgrade re-ingests
    nothing. It is not an identity: it changes with the Date locale, the Timestamp's number format
    and a corrected referrer's email.
    """
    try:
        stamp = parse_timestamp(timestamp, locale).isoformat()
    except DateFormatError:
        stamp = timestamp.strip()
    if stamp:
        return _hashed(f"{stamp}|{referrer_email.strip().casefold()}")
    return _hashed(_whole_row(cells))


class _Occurrences:
    """Tells apart rows that share an id: the same content is one response, other content ``-2``, ``-3``."""

    def __init__(self) -> None:
        self._contents: dict[str, list[tuple[str, ...]]] = {}

    def id_of(self, base: str, content: tuple[str, ...]) -> str:
        seen = self._contents.setdefault(base, [])
        if content not in seen:
            seen.append(content)
        occurrence = seen.index(content) + 1
        return base if occurrence == 1 else f"{base}-{occurrence}"


def read_responses(
    columns: ColumnMap,
    rows: Sequence[Sequence[str]],
    locale: str = "en-GB",
    values: Sequence[str] | None = None,
) -> list[ResponseRow]:
    """Every non-empty row as a ResponseRow; sheet row numbers start at 2 under the header.

    ``values`` are the Timestamp cells' values as stored, row for row (see ``Workbook.read_values``);
    without them the Timestamp as read is its value. Two rows with the same instant but different
    answers are two submissions: the later ones in sheet order get ``-2``, ``-3``... so neither is
    lost. Rows with identical answers are one submission (the same export imported twice).
    """
    result = []
    current, legacy = _Occurrences(), _Occurrences()
    for offset, raw in enumerate(rows):
        cells = [str(c) if c is not None else "" for c in raw]
        if not any(c.strip() for c in cells):
            continue

        def cell(index: int | None, cells: list[str] = cells) -> str:
            return cells[index] if index is not None and index < len(cells) else ""

        answers = {field_id: cell(index) for field_id, index in columns.fields.items()}
        stamp = cell(columns.timestamp)
        value = values[offset] if values is not None and offset < len(values) else ""
        value = value if value.strip() else stamp
        content = tuple(c.strip() for c in cells)
        email = answers.get("referrer_email", "")
        result.append(
            ResponseRow(
                offset + 2,
                current.id_of(response_id(value, cells), content),
                stamp,
                answers,
                legacy.id_of(legacy_fingerprint(stamp, email, cells, locale), content),
                parse_instant(value),
            )
        )
    return result
