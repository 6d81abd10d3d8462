"""The dates and times the jobs write, as real date cells on Google, and read back as the same text (no I/O).

A date cell in Google Sheets is a number, days since 30 December 1899 with the time of day as its
fraction, shown through its cell's number format ("Date and number formats",
https://developers.google.com/workspace/sheets/api/guides/formats: "Google Sheets, like most other
spreadsheet applications, treats date/time values as decimal values"). The jobs write them as such
numbers (``numberValue`` in ``updateCells``, a JSON number with ``valueInputOption=RAW``), never as
text Google would parse: USER_ENTERED parsing follows the spreadsheet's locale, so ``2026-03-01``
could be read one way and ``01/03/2026`` another. Each date column the jobs write has the one
format, ``dd/mm/yyyy`` or ``dd/mm/yyyy hh:mm``, set by the layout and on every row the jobs append.

Read back, a number in such a column is the text the jobs wrote: ``YYYY-MM-DD``, ``YYYY-MM-DD
HH:MM:SS``, or ``YYYY-MM-DD HH:MM`` in a column the jobs write to the minute (both date-time kinds
show the same, so the column says which, :data:`~hsb_sheets.domain.presentation.TO_THE_MINUTE`). A
value that would not read back as exactly its text (a marker such as "Cancellation sent ...", a
time with a fraction of a second) stays text, so a rerun compares equal text and writes nothing.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from hsb_sheets.adapters.workbook.numfmt import DateKind, date_serial, serial_text

_EPOCH = dt.datetime(1899, 12, 30)
# How the jobs write a column (presentation.TabView.written_kind) -> numfmt's kind and Google's format.
_KINDS = {"date": DateKind.DATE, "date-time": DateKind.DATETIME, "minutes": DateKind.MINUTES}
PATTERNS = {
    "date": ("DATE", "dd/mm/yyyy"),
    "date-time": ("DATE_TIME", "dd/mm/yyyy hh:mm"),
    "minutes": ("DATE_TIME", "dd/mm/yyyy hh:mm"),
}


def number_of(text: str, kind: str) -> float | None:
    """The number storing ``text`` in a date column written as ``kind``; None if it stays text.

    The nearest floating-point number to the instant (within half a microsecond), not the 15 digits an
    ``.xlsx`` stores: Google shows ``dd/mm/yyyy hh:mm`` of a serial a few microseconds short of 09:30
    as 09:29.
    """
    if date_serial(text) is None:  # not a date or time as the jobs write them
        return None
    number = (dt.datetime.fromisoformat(text) - _EPOCH) / dt.timedelta(days=1)
    return number if cell_text(number, kind) == text else None


def cell_text(number: float | str, kind: str) -> str | None:
    """A date cell's number as the text the jobs wrote, for a column written as ``kind``."""
    try:
        # A float, not its repr: serial_microseconds reads a float as Decimal(repr(float)) all the same.
        return serial_text(number if isinstance(number, str) else float(number), _KINDS[kind])
    except (ValueError, ArithmeticError):
        return None


def format_request(sheet_id: int, column: int, rows: tuple[int, int], kind: str) -> dict[str, Any]:
    """A ``repeatCell`` giving one column's cells in ``rows`` (start, end exclusive) the date format."""
    area = {
        "sheetId": sheet_id,
        "startRowIndex": rows[0],
        "endRowIndex": rows[1],
        "startColumnIndex": column,
        "endColumnIndex": column + 1,
    }
    number_format = dict(zip(("type", "pattern"), PATTERNS[kind], strict=True))
    return {
        "repeatCell": {
            "range": area,
            "cell": {"userEnteredFormat": {"numberFormat": number_format}},
            "fields": "userEnteredFormat.numberFormat",
        }
    }
