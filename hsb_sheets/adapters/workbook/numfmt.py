"""Number formats of an ``.xlsx``: telling a date cell from a number, and reading it as ISO text.

A date in a spreadsheet is a number (days since the workbook's epoch) whose cell style has a date
number format, as Excel and LibreOffice store what a coordinator types as ``01/03/2026 10:00``. The
jobs write text only, so a register saved by such a program must read its real date cells as the
text the jobs would have written: ``YYYY-MM-DD`` or ``YYYY-MM-DD HH:MM:SS``, with the fraction of a
second (``YYYY-MM-DD HH:MM:SS.ffffff``) when the serial has one, since a response is identified by
the instant it was submitted, to the microsecond.

The jobs write the dates and times of their own date columns as real date cells (DESIGN section 11),
each in the one style that reads back as exactly the text written (:func:`date_serial`): a date in
``dd/mm/yyyy``, a time to the second in ``dd/mm/yyyy hh:mm``, and a time to the minute (as the
Meetings tab writes them) in :data:`MINUTES_CODE`, which shows the same but reads back without
seconds, so a job comparing what it wrote with what it reads sees no change.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping
from decimal import Decimal

from lxml import etree

from hsb_sheets.domain.dates import serial_microseconds

MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
_N = {"m": MAIN}

# Built-in formats (ECMA-376 part 1, 18.8.30) that show a date, a time or both; 27-36 and 50-58 are
# the East Asian date formats. 45-47 (minutes:seconds and elapsed hours) are durations, not dates.
_BUILTIN_DATE = frozenset(range(14, 18)) | frozenset(range(27, 37)) | frozenset(range(50, 59)) | {22}
_BUILTIN_TIME = frozenset(range(18, 22))
# Parts of a format code that are not date or time tokens: quoted text, escaped and padding
# characters, and bracketed colours, conditions and locales ([Red], [<100], [$-809]).
_NOT_TOKENS = re.compile(r'"[^"]*"|\\.|_.|\*.|\[[^\]]*\]')
_AM_PM = re.compile(r"AM/PM|A/P", re.IGNORECASE)
_ELAPSED = re.compile(r"\[(h+|m+|s+)\]", re.IGNORECASE)
_LAST_SERIAL = 2_958_465  # 31 December 9999
_DAY = 86_400_000_000  # microseconds
# The 1900 system's serials from 1 March 1900 (after Lotus's 29 February 1900) to the last date, in
# microseconds: the days counted from 30 December 1899.
_EPOCH_1900 = dt.datetime(1899, 12, 30)
_COUNTED_FROM_1899_12_30 = range(60 * _DAY, (_LAST_SERIAL + 1) * _DAY)
DATE_CODE = "dd/mm/yyyy"
DATE_TIME_CODE = "dd/mm/yyyy hh:mm"
# Shows as DATE_TIME_CODE (the empty sections are for negative numbers and zero, which no date is);
# told apart from it because its cells read back to the minute. LibreOffice keeps it (as
# ``dd/mm/yyyy\ hh:mm;;;@``).
MINUTES_CODE = "dd/mm/yyyy hh:mm;;;@"
_ISO_WRITTEN = re.compile(r"\d{4}-\d{2}-\d{2}(?: \d{2}:\d{2}(?::\d{2})?)?")


class DateKind:
    """What a number format shows: nothing date-like, a date, a time of day, or both
    (``MINUTES``: both, read back to the minute when the time has no seconds)."""

    NONE, DATE, TIME, DATETIME, MINUTES = 0, 1, 2, 3, 7


def _normal(code: str) -> str:
    return code.replace("\\", "").replace('"', "").lower()


def format_kind(code: str) -> int:
    """The :class:`DateKind` of a custom format code such as ``DD/MM/YYYY HH:MM``."""
    if _normal(code) == MINUTES_CODE:
        return DateKind.MINUTES
    section = code.split(";", 1)[0]
    if _ELAPSED.search(section):
        return DateKind.NONE  # a duration such as [h]:mm is a number of hours, not a time of day
    tokens = _AM_PM.sub("", _NOT_TOKENS.sub("", section)).lower()
    has_time = "h" in tokens or "s" in tokens
    has_date = "d" in tokens or "y" in tokens or ("m" in tokens and not has_time)
    return (DateKind.DATE if has_date else 0) | (DateKind.TIME if has_time else 0)


def builtin_kind(number_format_id: int) -> int:
    """The :class:`DateKind` of a built-in number format id."""
    if number_format_id in _BUILTIN_DATE:
        return DateKind.DATETIME if number_format_id == 22 else DateKind.DATE
    return DateKind.TIME if number_format_id in _BUILTIN_TIME else DateKind.NONE


def style_kinds(styles_xml: bytes | None) -> list[int]:
    """The :class:`DateKind` of each cell style (``cellXfs``), by the style index cells carry in ``s``."""
    if not styles_xml:
        return []
    root = etree.fromstring(styles_xml)
    custom: Mapping[int, str] = {
        int(f.get("numFmtId", "0")): f.get("formatCode", "") for f in root.iterfind("m:numFmts/m:numFmt", _N)
    }
    kinds = []
    for xf in root.iterfind("m:cellXfs/m:xf", _N):
        number_format = int(xf.get("numFmtId", "0"))
        code = custom.get(number_format)
        kinds.append(format_kind(code) if code is not None else builtin_kind(number_format))
    return kinds


def uses_1904(workbook_xml: bytes) -> bool:
    """Whether the workbook counts days from 1904 (old Mac Excel) instead of 1900."""
    properties = etree.fromstring(workbook_xml).find("m:workbookPr", _N)
    return properties is not None and properties.get("date1904", "").lower() in ("1", "true")


def serial_text(serial: float | str, kind: int, date1904: bool = False) -> str | None:
    """A date serial as ISO text for its format's kind; None if it cannot be a date (show the number).

    Pass the cell's text when there is one: its digits say how precise it is (see
    :func:`~hsb_sheets.domain.dates.serial_microseconds`). Seconds are shown only when they are
    whole; otherwise the microseconds follow (``10:00:07.250000``).
    """
    if not 0 <= float(serial) <= _LAST_SERIAL:
        return None
    microseconds = serial_microseconds(serial)
    if microseconds in _COUNTED_FROM_1899_12_30 and not date1904:  # the common case, more cheaply
        moment = _EPOCH_1900 + dt.timedelta(0, 0, microseconds)
        if kind == DateKind.DATE and microseconds % _DAY == 0:
            return moment.date().isoformat()
        if kind == DateKind.MINUTES and microseconds % 60_000_000 == 0:
            return moment.isoformat(" ", "minutes")
        return str(moment)  # isoformat(" "): the microseconds shown only when there are some
    days, microsecond_of_day = divmod(microseconds, _DAY)
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


def date_serial(text: str) -> tuple[str, str] | None:
    """The serial and format code that store ``text`` (as a job writes a date or time) as a real date
    cell reading back as exactly ``text``; None for any other text (it stays text)."""
    value = text.strip()
    if value != text or not _ISO_WRITTEN.fullmatch(value):
        return None
    code = DATE_CODE if len(value) == 10 else MINUTES_CODE if len(value) == 16 else DATE_TIME_CODE
    try:
        moment = dt.datetime.fromisoformat(value)
    except ValueError:
        return None
    offset = moment - dt.datetime(1899, 12, 30)
    microseconds = offset.days * 86_400_000_000 + offset.seconds * 1_000_000
    serial = Decimal(microseconds) / Decimal(86_400_000_000)
    written = format(serial, ".15g") if offset.days > 60 else ""
    if not written or serial_text(written, format_kind(code)) != value:
        return None
    return written, code
