"""A cell a job cannot use: read it, or say so on its row in words a coordinator can act on.

A job that meets an unreadable value (a date of 3l/12/2026, a Sequence of "x") gives that row a
reason such as "Cannot read End date '3l/12/2026': enter a date like 31/03/2027" and works every
other row. The reason echoes the cell, shortened, so the coordinator can find it; coordinators'
cells on these tabs hold dates and numbers, and free text is never echoed at length.
"""

from __future__ import annotations

from datetime import date, datetime

from hsb_sheets.domain.dates import DateFormatError, parse_date, parse_timestamp

ECHO_LIMIT = 20
EARLIEST_YEAR, LATEST_YEAR = 1900, 2100  # a date outside these years is a typing slip
OPEN_ENDED_YEAR = 9000  # 31/12/9999 and the like: a common way to write "no end date yet"
DATE_HINT = "enter a date like 31/03/2027"
DATE_TIME_HINT = "enter a date and time like 31/03/2027 14:30"
WHOLE_NUMBER_HINT = "enter a whole number"


class CellProblem(ValueError):
    """A cell a job cannot use; ``reason`` is the sentence for the row."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def echo(text: str) -> str:
    """A cell's text as a reason quotes it: one line, at most ``ECHO_LIMIT`` characters."""
    flat = " ".join(text.split())
    return flat if len(flat) <= ECHO_LIMIT else flat[: ECHO_LIMIT - 1] + "…"


def cannot_read(column: str, text: str, hint: str) -> str:
    """The reason for a cell that cannot be read."""
    return f"Cannot read {column} '{echo(text)}': {hint}"


def plausible(day: date) -> bool:
    """Whether a date is one a coordinator can have meant (not 01/01/0001, not 31/12/2999)."""
    return EARLIEST_YEAR <= day.year <= LATEST_YEAR


def read_date(column: str, text: str, locale: str) -> date | None:
    """A date cell: None when blank; CellProblem when unreadable or implausible."""
    if not text.strip():
        return None
    try:
        day = parse_date(text, locale)
    except DateFormatError:
        raise CellProblem(cannot_read(column, text, DATE_HINT)) from None
    if not plausible(day):
        raise CellProblem(cannot_read(column, text, DATE_HINT))
    return day


def read_date_time(column: str, text: str, locale: str) -> datetime | None:
    """A date-and-time cell (naive local time): None when blank; CellProblem when unusable."""
    if not text.strip():
        return None
    try:
        moment = parse_timestamp(text, locale)
    except DateFormatError:
        raise CellProblem(cannot_read(column, text, DATE_TIME_HINT)) from None
    if not plausible(moment.date()):
        raise CellProblem(cannot_read(column, text, DATE_TIME_HINT))
    return moment


def read_whole_number(column: str, text: str, hint: str = WHOLE_NUMBER_HINT, *, default: int = 0) -> int:
    """A non-negative whole number cell (``default`` when blank); CellProblem otherwise."""
    value = text.strip()
    if not value:
        return default
    # Spreadsheets hand back numbers as "3" or "3.0"; anything else is not a count.
    whole = value[:-2] if value.endswith(".0") else value
    if not (whole.isascii() and whole.isdigit()) or len(whole) > 6:
        raise CellProblem(cannot_read(column, text, hint))
    return int(whole)
