"""Dates as Google Forms, Google Sheets and UK users write them.

Accepted: ISO (``2026-03-01``), the sheet's locale (en-GB ``01/03/2026`` is 1 March; en-US is
month first) and a sheet serial number (days since 30 December 1899). Impossible or incomplete
dates are errors, never guesses. :func:`parse_instant` reads only the forms no locale can change
(ISO text and serial numbers), to the microsecond: the moment a response was submitted.
"""

from __future__ import annotations

import math
import re
from datetime import date, datetime, time, timedelta
from decimal import Decimal, InvalidOperation

SHEET_EPOCH = date(1899, 12, 30)
LOCALES = ("en-GB", "en-US")

_ISO = re.compile(r"(\d{4})-(\d{1,2})-(\d{1,2})")
_SLASHED = re.compile(r"(\d{1,2})[/.-](\d{1,2})[/.-](\d{4})")
_SERIAL = re.compile(r"\d{1,6}(?:\.\d+)?")
_TIME = re.compile(r"(\d{1,2}):(\d{2})(?::(\d{2})(?:\.(\d+))?)?")
_ISO_MOMENT = re.compile(
    r"(\d{4})-(\d{1,2})-(\d{1,2})(?:[ T](\d{1,2}):(\d{2})(?::(\d{2})(?:\.(\d{1,9}))?)?)?"
)
_MICROSECONDS_PER_DAY = 86_400_000_000
# Fast paths for the forms the jobs and Google write. Each hands anything it cannot be sure of to the
# general code below, so that every text gives the same answer (or error) either way. ASCII digits only:
# ``\d`` matches other scripts' digits too, which int() reads and fromisoformat() does not.
_PLAIN_ISO = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
_PLAIN_SLASHED = re.compile(r"[0-9]{2}/[0-9]{2}/[0-9]{4}")
# Only real times of day: a Python newer than 3.11 reads 24:00 as the next midnight, which the
# general code refuses.
_PLAIN_MOMENT = re.compile(
    r"[0-9]{4}-[0-9]{2}-[0-9]{2}"
    r"(?:[ T](?:[01][0-9]|2[0-3]):[0-5][0-9](?::[0-5][0-9](?:\.[0-9]{6})?)?)?"
)
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
    try:
        if _PLAIN_ISO.fullmatch(text):
            return date.fromisoformat(text)
        if _PLAIN_SLASHED.fullmatch(text):
            dd, mm = (text[3:5], text[:2]) if locale == "en-US" else (text[:2], text[3:5])
            return date.fromisoformat(f"{text[6:]}-{mm}-{dd}")
    except ValueError:
        pass  # an impossible date: the general code says so
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
    if _PLAIN_MOMENT.fullmatch(text):
        try:
            return datetime.fromisoformat(text)
        except ValueError:
            pass  # an impossible date or time: the general code says which
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


def serial_microseconds(serial: str | float) -> int:
    """A serial number of days as whole microseconds, snapped to the second or millisecond it means.

    Programs write a serial rounded to 15 significant digits (LibreOffice: ``46082.4166666667`` for
    10:00, about 8 microseconds off) or as the shortest text that gives back its floating-point
    value (Excel, Google: ``36526.08419`` is exactly 02:01:14.016). So a serial within one unit of
    its 15th significant digit (at least a microsecond) of a whole second is that second, else of a
    whole millisecond that millisecond, else it is the nearest microsecond. The same text always
    gives the same answer.
    """
    # type() is float, not a subclass of it, whose repr may be another text
    if type(serial) is float and (fast := _float_serial_microseconds(serial)) is not None:
        return fast
    number = Decimal(serial if isinstance(serial, str) else repr(serial))
    total = number * _MICROSECONDS_PER_DAY
    unit = _MICROSECONDS_PER_DAY * Decimal(10) ** (number.adjusted() - 14) if number else Decimal(0)
    slack = max(Decimal(1), unit)
    for step in (1_000_000, 1_000):
        nearest = (total / step).to_integral_value() * step
        if abs(total - nearest) <= slack:
            return int(nearest)
    return int(total.to_integral_value())


def _float_serial_microseconds(serial: float) -> int | None:
    """:func:`serial_microseconds` of a float in [0, 10**6) by float arithmetic, or None when unsure.

    The exact answer works on ``D = Decimal(repr(serial))``, within half an ulp of ``serial``. The
    fraction of the day in microseconds is computed in floats within half an ulp of its own; the
    answer is given only when the whole interval these errors allow lies clearly inside or clearly
    outside the slack of the same whole second, millisecond or microsecond, so it is the exact answer.
    """
    if not 0.0 <= serial < 1e6:  # NaN and infinities fail this too
        return None
    days = int(serial)
    fraction = (serial - days) * _MICROSECONDS_PER_DAY  # serial - days is exact
    error = (_MICROSECONDS_PER_DAY * math.ulp(serial) + math.ulp(fraction)) / 2 + 2**-20
    # max(1, one unit of D's 15th significant digit): D has as many digits before the point as serial.
    slack = 1.0 if serial < 1e4 else 8.64 if serial < 1e5 else 86.4
    for step in (1e6, 1e3):
        below = fraction % step  # exact, as are the distance and the multiple below
        if below > step / 2:
            distance, nearest = step - below, fraction - below + step
        else:
            distance, nearest = below, fraction - below
        if distance + error < slack:
            return days * _MICROSECONDS_PER_DAY + int(nearest)
        if distance - error <= slack:
            return None
    whole = round(fraction)
    if abs(fraction - whole) + error < 0.5:
        return days * _MICROSECONDS_PER_DAY + whole
    return None


def parse_instant(text: str) -> datetime | None:
    """The moment a timestamp names as a naive local time to the microsecond, if no locale can change it.

    ISO text (``2026-12-01 14:03:07.123456``: what the web form writes, and what the register reader
    gives for a real date-time cell) and a sheet serial number (Google's unformatted value of a
    date-time cell: days since 30 December 1899 in the spreadsheet's time zone) are read; anything
    else (``01/03/2026 10:00``, whose meaning depends on the Date locale, or no date at all) is None.
    """
    value = " ".join(text.split())
    if _SERIAL.fullmatch(value):
        if not _SERIAL_RANGE[0] <= float(value) <= _SERIAL_RANGE[1]:
            return None
        return datetime.combine(SHEET_EPOCH, time()) + timedelta(microseconds=serial_microseconds(value))
    m = _ISO_MOMENT.fullmatch(value)
    if m is None:
        return None
    try:
        moment = datetime(int(m[1]), int(m[2]), int(m[3]), int(m[4] or 0), int(m[5] or 0), int(m[6] or 0))
        fraction = Decimal("0." + m[7]) if m[7] else Decimal(0)
    except (ValueError, InvalidOperation):
        return None
    return moment + timedelta(microseconds=int((fraction * 1_000_000).to_integral_value()))


def age_on(born: date, on: date) -> int:
    """Age in whole years on a day (a birthday on the day counts)."""
    return on.year - born.year - ((on.month, on.day) < (born.month, born.day))


def format_uk(day: date) -> str:
    """A date as UK readers expect it: 01/03/2026."""
    return day.strftime("%d/%m/%Y")


def day_named(day: date) -> str:
    """A day as a sentence names it: Friday 27 November."""
    return f"{day:%A} {day.day} {day:%B}"


def moment_named(moment: datetime) -> str:
    """A time as a sentence names it: Tuesday 10 March 2026 at 09:05."""
    return f"{moment:%A} {moment.day} {moment:%B %Y} at {moment:%H:%M}"
