"""The fast date readers give exactly the answers (values, errors and their messages) of the exact code.

The reference below is a verbatim copy of ``parse_date``, ``parse_timestamp``, ``serial_microseconds``,
``serial_text`` and ``cell_text`` as they were before their fast paths; every input, random or chosen
to sit where a fast path must hand over (a few ulps or microseconds from a whole second, a millisecond
or the slack's edge, impossible dates, odd spacing), must read the same through both.
"""

from __future__ import annotations

import datetime as dt
import math
import re
from collections.abc import Callable
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from hsb_sheets.adapters.workbook import google_dates, numfmt
from hsb_sheets.domain import dates

# ---- reference: hsb_sheets/domain/dates.py before the fast paths (verbatim) ----
SHEET_EPOCH = date(1899, 12, 30)
_ISO = re.compile(r"(\d{4})-(\d{1,2})-(\d{1,2})")
_SLASHED = re.compile(r"(\d{1,2})[/.-](\d{1,2})[/.-](\d{4})")
_SERIAL = re.compile(r"\d{1,6}(?:\.\d+)?")
_TIME = re.compile(r"(\d{1,2}):(\d{2})(?::(\d{2})(?:\.(\d+))?)?")
_MICROSECONDS_PER_DAY = 86_400_000_000
_SERIAL_RANGE = (2, 109_574)
DateFormatError = dates.DateFormatError


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
    """Parse a form timestamp (a date, optionally followed by a time) as a naive local datetime."""
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
    """A serial number of days as whole microseconds, snapped to the second or millisecond it means."""
    number = Decimal(serial if isinstance(serial, str) else repr(serial))
    total = number * _MICROSECONDS_PER_DAY
    unit = _MICROSECONDS_PER_DAY * Decimal(10) ** (number.adjusted() - 14) if number else Decimal(0)
    slack = max(Decimal(1), unit)
    for step in (1_000_000, 1_000):
        nearest = (total / step).to_integral_value() * step
        if abs(total - nearest) <= slack:
            return int(nearest)
    return int(total.to_integral_value())


# ---- reference: numfmt.serial_text and google_dates.cell_text before the fast paths (verbatim) ----
DateKind = numfmt.DateKind
_LAST_SERIAL = 2_958_465  # 31 December 9999
_KINDS = {"date": DateKind.DATE, "date-time": DateKind.DATETIME, "minutes": DateKind.MINUTES}


def serial_text(serial: float | str, kind: int, date1904: bool = False) -> str | None:
    """A date serial as ISO text for its format's kind; None if it cannot be a date (show the number)."""
    if not 0 <= float(serial) <= _LAST_SERIAL:
        return None
    days, microsecond_of_day = divmod(serial_microseconds(serial), 86_400_000_000)
    of_day = dt.timedelta(microseconds=microsecond_of_day)
    spec = "seconds" if microsecond_of_day % 1_000_000 == 0 else "microseconds"
    if kind == DateKind.MINUTES and microsecond_of_day % 60_000_000 == 0:
        spec = "minutes"
    if kind == DateKind.TIME and days == 0:
        return (dt.datetime.min + of_day).time().isoformat(timespec=spec)
    if date1904:
        day = dt.date(1904, 1, 1) + dt.timedelta(days=days)
    elif days < 60:  # Lotus 1-2-3's 29 February 1900, which never was, sits at serial 60
        day = dt.date(1899, 12, 31) + dt.timedelta(days=days)
    else:
        day = dt.date(1899, 12, 30) + dt.timedelta(days=days)
    if kind == DateKind.DATE and microsecond_of_day == 0:
        return day.isoformat()
    return (dt.datetime.combine(day, dt.time()) + of_day).isoformat(sep=" ", timespec=spec)


def cell_text(number: float | str, kind: str) -> str | None:
    """A date cell's number as the text the jobs wrote, for a column written as ``kind``."""
    try:
        return serial_text(number if isinstance(number, str) else repr(float(number)), _KINDS[kind])
    except (ValueError, ArithmeticError):
        return None


# ---- comparing ----
def outcome(read: Callable[..., Any], *args: Any) -> tuple[Any, ...]:
    """What a call gives: its value and the value's type, or its exception's type and message."""
    try:
        value = read(*args)
    except Exception as error:  # any difference in what is raised counts
        return ("raised", type(error), str(error))
    return ("gave", type(value), value)


def same(fast: Callable[..., Any], reference: Callable[..., Any], *args: Any) -> None:
    assert outcome(fast, *args) == outcome(reference, *args), args


def nudged(x: float, ulps: int) -> float:
    """``x`` moved by ``ulps`` floating-point steps."""
    for _ in range(abs(ulps)):
        x = math.nextafter(x, math.inf if ulps > 0 else -math.inf)
    return x


KINDS = (DateKind.NONE, DateKind.DATE, DateKind.TIME, DateKind.DATETIME, DateKind.MINUTES)
DAY_US = _MICROSECONDS_PER_DAY
# Where the fast path must be right or hand over: the kind of day Google sends, Lotus's 29 February 1900,
# the 15-digit unit's decades (slack 1, 8.64 and 86.4 microseconds), the fast path's end, the last date.
DAYS = st.one_of(
    st.integers(40_000, 50_000),
    st.integers(0, 62),
    st.sampled_from([9_999, 10_000, 99_999, 100_000, 999_999, 1_000_000, _LAST_SERIAL - 1, _LAST_SERIAL]),
    st.integers(0, _LAST_SERIAL),
)
# Offsets from a whole second: none, whole milliseconds, around each slack (either side of its edge),
# around the half-microsecond and just under half a millisecond or second.
OFFSETS_US = st.one_of(
    st.just(0.0),
    st.integers(-999, 999).map(lambda ms: ms * 1000.0),
    st.sampled_from([1.0, 8.64, 86.4, 0.5, 499.5, 500.0, 500_000.0]).flatmap(
        lambda edge: st.floats(-2.0, 2.0).map(lambda d: edge + d)
    ),
    st.floats(-1_000_000.0, 1_000_000.0),
)
ADVERSARIAL_SERIALS = st.builds(
    lambda day, second, offset, sign, ulps: nudged(day + (second * 1_000_000 + sign * offset) / DAY_US, ulps),
    DAYS,
    st.integers(0, 86_400),
    OFFSETS_US,
    st.sampled_from([1, -1]),
    st.integers(-6, 6),
)
ODD_FLOATS = st.sampled_from(
    [0.0, -0.0, 5e-324, 1e-300, 2.2250738585072014e-308, 1e-7, 0.5, 59.0, 60.0, 60.5, 61.0, 1e6, 2.0**22]
)
NOT_SERIALS = st.sampled_from(
    [math.nan, math.inf, -math.inf, -1.0, -1e-9, 1e300, -1e300, _LAST_SERIAL + 1e-6]
)
SERIALS = st.one_of(ADVERSARIAL_SERIALS, ODD_FLOATS, NOT_SERIALS, st.floats(), st.floats(0, 3e6))


@given(SERIALS)
@settings(max_examples=800, deadline=None)
@example(36526.08419)  # exactly 02:01:14.016
@example(46082.4166666667)  # LibreOffice's 15 digits for 10:00
@example(46082.416666666664)  # the float nearest 10:00
def test_serial_microseconds_of_a_float(serial: float) -> None:
    same(dates.serial_microseconds, serial_microseconds, serial)


@given(SERIALS, st.sampled_from(KINDS), st.booleans())
@settings(max_examples=500, deadline=None)
def test_serial_text_of_a_float_and_of_its_texts(serial: float, kind: int, date1904: bool) -> None:
    same(numfmt.serial_text, serial_text, serial, kind, date1904)
    if math.isfinite(serial):
        for text in (repr(serial), format(serial, ".15g"), format(serial, ".17g")):
            same(numfmt.serial_text, serial_text, text, kind, date1904)


@given(
    st.one_of(SERIALS, st.integers(-10, 3_000_000), st.integers(), st.text(max_size=8)),
    st.sampled_from(["date", "date-time", "minutes", "other"]),
)
@settings(max_examples=500, deadline=None)
def test_cell_text_of_what_google_sends(number: Any, kind: str) -> None:
    same(google_dates.cell_text, cell_text, number, kind)


def test_serials_at_the_edges() -> None:
    """Every few ulps around whole seconds and milliseconds and each slack's edge, on the days that matter."""
    for day in (0, 1, 59, 60, 61, 9_999, 10_000, 46_082, 99_999, 100_000, 999_999, _LAST_SERIAL):
        for second in (0, 1, 43_199, 43_200, 86_399):
            for offset in (0.0, 0.5, 1.0, 8.64, 86.4, 499.5, 500.0, 16_000.0, 500_000.0):
                for sign in (1, -1):
                    centre = day + (second * 1_000_000 + sign * offset) / DAY_US
                    for ulps in range(-4, 5):
                        serial = nudged(centre, ulps)
                        same(dates.serial_microseconds, serial_microseconds, serial)
                        same(numfmt.serial_text, serial_text, serial, DateKind.MINUTES)


def test_the_fast_path_takes_the_numbers_the_jobs_write() -> None:
    """The floats the jobs write for whole seconds and minutes never need the exact code."""
    for minute in range(0, 60 * 24 * 400, 331):
        for second in (0, 7, 59):
            moment = datetime(2025, 1, 1) + timedelta(minutes=minute, seconds=second)
            number = google_dates.number_of(moment.isoformat(sep=" "), "date-time")
            assert number is not None
            assert dates._float_serial_microseconds(number) == serial_microseconds(number)


# ---- timestamps and dates as text ----
def field(low: int, high: int, widths: tuple[int, ...] = (1, 2)) -> st.SearchStrategy[str]:
    return st.builds(lambda n, w: str(n).zfill(w), st.integers(low, high), st.sampled_from(widths))


SPACE = st.sampled_from(["", " ", "  ", "\t", "\u00a0", "\n"])
DATE_TEXTS = st.one_of(
    st.builds(
        lambda y, m, d, sep: f"{y}{sep}{m}{sep}{d}",
        field(0, 10_000, (1, 3, 4, 5)),
        field(0, 13),
        field(0, 32),
        st.sampled_from(["-", "/"]),
    ),
    st.builds(
        lambda d, m, y, seps: f"{d}{seps[0]}{m}{seps[1]}{y}",
        field(0, 32),
        field(0, 13),
        field(0, 10_000, (2, 4)),
        st.sampled_from(["//", "..", "--", "/-", "/."]),
    ),
    st.sampled_from(["46082", "46082.75", "1", "109574", "109575", "٢٠٢٦-03-01", "2026-03-0١", "20260301"]),
)
TIME_TEXTS = st.builds(
    lambda h, m, s, fraction: f"{h}:{m}" + (f":{s}" if s is not None else "") + fraction,
    field(0, 25),
    field(0, 61, (2, 1)),
    st.none() | field(0, 61, (2, 1)),
    st.just("")
    | st.integers(1, 9)
    .flatmap(lambda n: st.text("0123456789", min_size=n, max_size=n))
    .map(lambda digits: "." + digits),
)
TIMESTAMPS = st.builds(
    lambda before, day, sep, moment, zone, after: f"{before}{day}{sep}{moment}{zone}{after}",
    SPACE,
    DATE_TEXTS,
    st.sampled_from([" ", "T", "  ", "t", ","]),
    st.just("") | TIME_TEXTS,
    st.sampled_from(["", "", "", "Z", "+01:00", "-05:30", "+0100"]),  # fromisoformat reads these; we do not
    SPACE,
)
# Near the forms the fast paths take: real moments with 2-digit fields, or ones a field beyond the real.
PLAIN_TIMESTAMPS = st.builds(
    lambda before, moment, sep, late, fraction, zone, after: (
        f"{before}{moment:%Y-%m-%d}{sep}{moment:%H:%M}{late}{fraction}{zone}{after}"
    ),
    st.just("") | SPACE,
    st.datetimes(datetime(1000, 1, 1), datetime(9999, 12, 31)),
    st.sampled_from([" ", "T"]),
    st.sampled_from(["", ":00", ":07", ":59", ":60", ":5"]),
    st.sampled_from(["", ".123456", ".1", ".123", ".1234567", ".000000"]),
    st.sampled_from(["", "", "Z", "+01:00"]),
    st.just("") | SPACE,
)
LOCALES = st.sampled_from(["en-GB", "en-US", "fr-FR"])


@given(
    st.one_of(
        TIMESTAMPS, PLAIN_TIMESTAMPS, DATE_TEXTS, st.text(alphabet="0123456789-/:. T+Z\u0663", max_size=22)
    ),
    LOCALES,
)
@settings(max_examples=800, deadline=None)
@example("2024-02-29 23:59:59.999999", "en-GB")
@example("2025-02-29 10:00:00", "en-GB")
@example("2026-03-01 24:00:00", "en-GB")
@example("2026-03-01T10:00:00", "en-US")
@example("2026-03-01 10:00:00.12345", "en-GB")
@example("2026-03-01 10:00:00+01:00", "en-GB")
def test_parse_timestamp(text: str, locale: str) -> None:
    same(dates.parse_timestamp, parse_timestamp, text, locale)


@given(
    st.one_of(st.builds(lambda a, t, b: a + t + b, SPACE, DATE_TEXTS, SPACE), st.text(max_size=12)), LOCALES
)
@settings(max_examples=800, deadline=None)
@example("01/03/2026", "en-US")
@example("31/02/2026", "en-GB")
@example("02/31/2026", "en-US")
@example("0000-01-01", "en-GB")
@example("01/01/0000", "en-GB")
def test_parse_date(text: str, locale: str) -> None:
    same(dates.parse_date, parse_date, text, locale)


class NewerDatetime(datetime):
    """``datetime`` as a Python newer than 3.11 reads ISO text: ``24:00`` is the next day's midnight."""

    @classmethod
    def fromisoformat(cls, text: str) -> NewerDatetime:
        day, _, clock = text.replace("T", " ").partition(" ")
        if clock.startswith("24:00"):
            moment = datetime.fromisoformat(day) + timedelta(days=1)
            return cls(moment.year, moment.month, moment.day)
        moment = datetime.fromisoformat(text)
        return cls(*moment.timetuple()[:6], moment.microsecond)


@pytest.mark.parametrize("text", ["2026-03-01 24:00", "2026-03-01T24:00:00", "2026-03-01 24:00:00.000000"])
def test_a_time_past_midnight_is_refused_whatever_python_reads_it_as(
    text: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(dates, "datetime", NewerDatetime)
    with pytest.raises(dates.DateFormatError, match="impossible time"):
        dates.parse_timestamp(text)
    assert dates.parse_timestamp("2026-03-01 23:59:59") == datetime(2026, 3, 1, 23, 59, 59)
