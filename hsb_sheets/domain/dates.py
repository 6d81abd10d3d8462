"""Dates as Google Forms, Google Sheets and UK users write them.

Accepted: ISO (``2026-03-01``), the sheet's locale (en-GB ``01/03/2026`` is 1 March; en-US is
month first) and a sheet serial number (days since 30 December 1899). Impossible or incomplete
dates are errors, never guesses.
"""

from __future__ import annotations

import re
from datetime import date, datetime, time, timedelta

SHEET_EPOCH = date(1899, 12, 30)
LOCALES = ("en-GB", "en-US")

_ISO = re.compile(r"(\d{4})-(\d{1,2})-(\d{1,2})")
_SLASHED = re.compile(r"(\d{1,2})[/.-](\d{1,2})[/.-](\d{4})")
_SERIAL = re.compile(r"\d{1,6}(?:\.\d+)?")
_TIME = re.compile(r"(\d{1,2}):(\d{2})(?::(\d{2})(?:\.(\d+))?)?")
# Serials for 1 Jan 1900 .. 31 Dec 2199: anything else is not a plausible date.
_SERIAL_RANGE = (2, 109_574)


class DateFormatError(ValueError):
    """The text is not a complete, real date. The message is safe to show (it echoes nothing)."""


def _build(year: int, month: int, day: int) -> date:
    try:
        return date(year, month, day)
    except ValueError:
        raise DateFormatError("is not a real date") from None


def parse_date(text: str, locale: str = "en-GB") -> date:
    """Parse one date; raise DateFormatError when it is incomplete, impossible or unrecognised."""
    value = text.strip()
    if not value:
        raise DateFormatError("is empty")
    if m := _ISO.fullmatch(value):
        return _build(int(m[1]), int(m[2]), int(m[3]))
    if m := _SLASHED.fullmatch(value):
        first, second, year = int(m[1]), int(m[2]), int(m[3])
        day, month = (second, first) if locale == "en-US" else (first, second)
        return _build(year, month, day)
    if _SERIAL.fullmatch(value):
        serial = float(value)
        if not _SERIAL_RANGE[0] <= serial <= _SERIAL_RANGE[1]:
            raise DateFormatError("is not a date")
        return SHEET_EPOCH + timedelta(days=int(serial))
    raise DateFormatError("is not a date in a form we recognise (use DD/MM/YYYY)")


def parse_timestamp(text: str, locale: str = "en-GB") -> datetime:
    """Parse a form timestamp (a date, optionally followed by a time) as a naive local datetime.

    Fractions of a second are kept to the microsecond (``2026-12-01 14:03:07.123456``, as the local
    web form writes it; further digits are dropped). An ISO timestamp reads the same in every locale.
    """
    value = text.strip().replace("T", " ")
    if _SERIAL.fullmatch(value):
        serial = float(value)
        day = parse_date(value, locale)
        return datetime.combine(day, time()) + timedelta(seconds=round((serial % 1) * 86400))
    date_part, _, time_part = value.partition(" ")
    day = parse_date(date_part, locale)
    time_part = time_part.strip()
    if not time_part:
        return datetime.combine(day, time())
    m = _TIME.fullmatch(time_part)
    if m is None:
        raise DateFormatError("has a time we do not recognise (use HH:MM:SS)")
    hour, minute, second = int(m[1]), int(m[2]), int(m[3] or 0)
    if hour > 23 or minute > 59 or second > 59:
        raise DateFormatError("has an impossible time")
    microsecond = int((m[4] or "")[:6].ljust(6, "0"))
    return datetime.combine(day, time(hour, minute, second, microsecond))


def age_on(born: date, on: date) -> int:
    """Age in whole years on a day (a birthday on the day counts)."""
    return on.year - born.year - ((on.month, on.day) < (born.month, born.day))


def format_uk(day: date) -> str:
    """A date as UK readers expect it: 01/03/2026."""
    return day.strftime("%d/%m/%Y")
