"""A stateful fake of the Google Sheets API v4 (and the Drive calls that create a spreadsheet).

It speaks the JSON the real API speaks for what the register adapter uses: spreadsheets.get (with
grid data for ``ranges``), values.get/update/append/clear/batchGet/batchUpdate/batchUpdateByDataFilter
and spreadsheets.batchUpdate (add and delete sheets, insert and delete rows, grid size, frozen rows,
data validation, protected ranges, conditional formats, developer metadata on the spreadsheet and on
rows). Ranges are clipped to the grid, sheet names are quoted only when needed, an empty range answers
without ``values``, and writes past the grid fail as they do in Google. RAW input is stored as text;
USER_ENTERED input starting with "=" is stored as a formula, so tests can prove no formula ever
reaches the register. Tests can inject error answers and coordinator edits (:meth:`FakeSheets.sort`,
:meth:`~FakeSheets.insert_row`, :meth:`~FakeSheets.delete_row`, :meth:`~FakeSheets.insert_column`),
and ``before_each_write`` applies an edit immediately before every write request is applied.

Row developer metadata is held by the row itself (the row's list object), so it moves with its row
however the rows are reordered, inserted or deleted, as Google documents: "it will remain associated
at those locations as they move around and the spreadsheet is edited. For example, if developer
metadata is associated with row 5 and another row is then subsequently inserted above row 5, that
original metadata is still associated with the row it was first associated with (what is now row 6).
If the associated object is deleted then its metadata is deleted too."
(https://developers.google.com/workspace/sheets/api/reference/rest/v4/spreadsheets.developerMetadata).
A sort is taken to move rows (so their metadata), as "move around" says. Two behaviours no recording
here shows are modelled on the reference's wording: a data filter in values:batchUpdateByDataFilter
that matches nothing gets no entry in ``responses``, and ``updatedData`` holds "the values of the cells
in the range matched by the dataFilter after all updates were applied" (for a row: the whole row).

A cell may hold a number rather than text (:class:`Value`): a JSON number written, an ISO date
entered as USER_ENTERED, or a date-time such as the Timestamp Google Forms stamps (a serial number
of days since 30 December 1899, with the fraction of a second, shown through its number format).
As Google does (WorksheetTest.test_get_all_values_date_time_render_options in the recorded
traffic; https://developers.google.com/sheets/api/reference/rest/v4/ValueRenderOption and
DateTimeRenderOption), values are read as shown by default (``FORMATTED_VALUE``); with
``valueRenderOption=UNFORMATTED_VALUE`` numbers come back as JSON numbers and date-times as their
serial number (``dateTimeRenderOption=SERIAL_NUMBER``, the default) or as shown (``FORMATTED_STRING``).
A number is shown through its cell's number format, as "Date and number formats"
(https://developers.google.com/workspace/sheets/api/guides/formats) describes: "Google Sheets, like
most other spreadsheet applications, treats date/time values as decimal values", and a cell whose
format is a date pattern shows its number as that date (``46317.4166...`` through ``dd/mm/yyyy hh:mm``
is ``22/10/2026 10:00``). Formats are kept per column below the header (``repeatCell`` with a
``numberFormat`` sets them, and re-renders the numbers there); a number written into a formatted
column (``numberValue`` in ``updateCells``, or a JSON number through the values API, RAW or not)
takes its format, as Google keeps a cell's format when only its value is written; the format moves
with its column. Text is never re-read as a date (RAW), whatever its column's format.
Grid data gives each cell's ``formattedValue`` and, when the ``fields`` mask names it (or there is no
mask), its ``effectiveValue`` (``numberValue`` for a number or date-time, else ``stringValue``). A
mask may select parts of it, ``effectiveValue(numberValue,boolValue)``: a text cell's effectiveValue
then has none of them and is left out (the sub-selection syntax of
https://developers.google.com/workspace/sheets/api/guides/field-masks).

Google answers a whole 50,000-row register in well under a second; so that the fake does too, a
row is encoded as JSON once while its cells stay the same (the JSON sent is unchanged).
"""

from __future__ import annotations

import itertools
import json
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from tests.fakes.google_http import ApiError, Discovery, FakeGoogleServer, Method, RawJSON

WRITES = (
    "values.update",
    "values.batchUpdate",
    "values.batchUpdateByDataFilter",
    "values.append",
    "values.clear",
    "batchUpdate",
)
_NAME_NEEDS_NO_QUOTES = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_CELL = re.compile(r"([A-Z]*)(\d*)")
_EPOCH = datetime(1899, 12, 30)
# Date-time pattern tokens (https://developers.google.com/sheets/api/guides/formats#date_and_time_format_patterns).
_TOKENS = re.compile(r"yyyy|yy|mm|m|dd|d|hh|h|ss|s|\.0{1,3}|.", re.IGNORECASE)
_ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
ENCODED_ROWS_KEPT = 200_000  # a 50,000-row register's rows, several times over


_LAYOUT_ONLY = frozenset(
    {
        "updateDimensionProperties",
        "setBasicFilter",
        "addDimensionGroup",
        "updateDimensionGroup",
        "deleteDimensionGroup",
    }
)


def serial_of(moment: datetime) -> float:
    """A local date-time as Google keeps it: days since 30 December 1899 (in the spreadsheet's zone)."""
    return (moment - _EPOCH) / timedelta(days=1)


def render(serial: float, pattern: str) -> str:
    """A date-time serial shown through a number format pattern such as ``dd/mm/yyyy hh:mm:ss``.

    Supports the numeric tokens (y, m, d, h, s and fractions of a second); ``m`` is minutes after an
    hour or before seconds, else the month. Seconds shown without their fraction are cut, not
    rounded (the jobs never depend on which: they read the serial).
    """
    moment = _EPOCH + timedelta(microseconds=round(serial * 86_400_000_000))
    tokens = _TOKENS.findall(pattern)
    parts = []
    for i, token in enumerate(tokens):
        low = token.lower()
        if low in ("m", "mm"):
            previous = next((t.lower() for t in reversed(tokens[:i]) if t.isalpha()), "")
            following = next((t.lower() for t in tokens[i + 1 :] if t.isalpha()), "")
            is_minute = previous in ("h", "hh") or following in ("s", "ss")
            number = moment.minute if is_minute else moment.month
            parts.append(f"{number:0{len(low)}d}")
        elif low[0] in "ydhs" and low.isalpha():
            number = {"y": moment.year, "d": moment.day, "h": moment.hour, "s": moment.second}[low[0]]
            parts.append(f"{number % 100:02d}" if low == "yy" else f"{number:0{len(low)}d}")
        elif low.startswith(".0"):
            parts.append("." + f"{moment.microsecond:06d}"[: len(low) - 1])
        else:
            parts.append(token)
    return "".join(parts)


class Value(str):
    """A cell holding a number (a date-time is one) rather than text; as a str, what it shows."""

    number: float
    pattern: str  # a date-time pattern, or "" for a plain number

    def __new__(cls, number: float, pattern: str = "") -> Value:
        if pattern:
            shown = render(number, pattern)
        else:
            shown = str(int(number)) if float(number).is_integer() else repr(float(number))
        cell = super().__new__(cls, shown)
        cell.number, cell.pattern = number, pattern
        return cell

    @classmethod
    def date_time(cls, moment: datetime, pattern: str = "dd/mm/yyyy hh:mm:ss") -> Value:
        """A date-time cell, shown as Google Forms shows its Timestamp in an en-GB spreadsheet."""
        return cls(serial_of(moment), pattern)

    def unformatted(self, date_time_render: str) -> Any:
        """The value ``UNFORMATTED_VALUE`` gives: a JSON number, or a date-time as shown if asked."""
        if self.pattern and date_time_render == "FORMATTED_STRING":
            return str(self)
        return int(self.number) if float(self.number).is_integer() else self.number


def cell_data(value: str, stored: bool, text: bool = True) -> dict[str, Any]:
    """CellData of a filled cell: what it shows and, if asked, its effectiveValue (a text cell's only
    with ``text``: the mask selected ``stringValue``)."""
    if isinstance(value, Value):
        cell: dict[str, Any] = {"formattedValue": str(value)}
        if stored:
            cell["effectiveValue"] = {"numberValue": value.unformatted("SERIAL_NUMBER")}
        return cell
    if stored and text:
        return {"formattedValue": value, "effectiveValue": {"stringValue": value}}
    return {"formattedValue": value}


def effective_parts(fields: str) -> tuple[bool, bool]:
    """Whether a fields mask asks for effectiveValue, and whether for a text cell's stringValue."""
    if fields and "effectiveValue" not in fields:
        return False, False
    part = re.search(r"effectiveValue\(([^)]*)\)", fields)
    return True, part is None or "stringValue" in part.group(1).split(",")


def column_letters(index: int) -> str:
    letters = ""
    while index:
        index, remainder = divmod(index - 1, 26)
        letters = chr(65 + remainder) + letters
    return letters


def column_number(letters: str) -> int:
    number = 0
    for char in letters:
        number = number * 26 + ord(char) - 64
    return number


def quoted(title: str) -> str:
    if _NAME_NEEDS_NO_QUOTES.fullmatch(title) and not re.fullmatch(r"[A-Za-z]{1,3}\d+", title):
        return title
    return "'" + title.replace("'", "''") + "'"


class Refusal(ApiError):
    """An error answer as Sheets v4 gives it for a disabled API: ``status`` plus an ErrorInfo in
    ``details`` and no ``errors`` list (https://cloud.google.com/apis/design/errors#error_info).
    Raise it from a ``before`` hook to have the next request of that method answered so."""

    def __init__(self, code: int, message: str, status: str, reason: str) -> None:
        super().__init__(code, message, reason)
        self.status = status

    def body(self) -> dict[str, Any]:
        info = {
            "@type": "type.googleapis.com/google.rpc.ErrorInfo",
            "reason": self.reason,
            "domain": "googleapis.com",
        }
        return {
            "error": {"code": self.code, "message": self.message, "status": self.status, "details": [info]}
        }


@dataclass
class Sheet:
    sheet_id: int
    title: str
    rows: int = 1000
    columns: int = 26
    frozen_rows: int = 0
    frozen_columns: int = 0
    cells: list[list[str]] = field(default_factory=list)
    formulas: set[tuple[int, int]] = field(default_factory=set)
    protected: list[dict[str, Any]] = field(default_factory=list)
    conditional: list[dict[str, Any]] = field(default_factory=list)
    validations: list[dict[str, Any]] = field(default_factory=list)
    # Row developer metadata: (the row's own list, the metadata). It moves with the row object.
    # Number formats (date patterns) by column index, below the header row.
    formats: dict[int, str] = field(default_factory=dict)
    anchors: list[tuple[list[str], dict[str, Any]]] = field(default_factory=list)

    def row_object(self, r: int) -> list[str]:
        """Row r's own list (rows past the stored ones are made, blank, so metadata can hold them)."""
        while len(self.cells) <= r:
            self.cells.append([])
        return self.cells[r]

    def row_metadata(self) -> list[tuple[int, dict[str, Any]]]:
        """Each row metadata entry with its row's index now; entries whose row was deleted are dropped."""
        if not self.anchors:  # most tabs: no need to index every row
            return []
        where = {id(row): i for i, row in enumerate(self.cells)}
        self.anchors = [(row, m) for row, m in self.anchors if id(row) in where]
        return [(where[id(row)], m) for row, m in self.anchors]

    def insert_rows(self, start: int, count: int) -> None:
        """Blank rows before row index ``start``; the rows below (and their metadata) move down."""
        if start:
            self.row_object(start - 1)
        for _ in range(count):
            self.cells.insert(start, [])
        self.rows += count
        self.formulas = {(r + count if r >= start else r, c) for r, c in self.formulas}

    def delete_rows(self, start: int, end: int) -> None:
        """Rows ``start`` to ``end`` (exclusive) go, with their metadata; the rows below move up."""
        del self.cells[start:end]
        self.rows -= end - start
        self.formulas = {
            (r - (end - start) if r >= end else r, c) for r, c in self.formulas if not start <= r < end
        }

    def insert_columns(self, start: int, count: int) -> None:
        """Blank columns before column index ``start``; the cells to the right move right."""
        for row in self.cells:
            if len(row) > start:
                row[start:start] = [""] * count
        self.columns += count
        self.formulas = {(r, c + count if c >= start else c) for r, c in self.formulas}
        self.formats = {c + count if c >= start else c: p for c, p in self.formats.items()}

    def move_column(self, at: int, destination: int) -> None:
        """moveDimension of one column: ``destination`` counts positions before the move."""
        to = destination if destination < at else destination - 1
        width = max([len(r) for r in self.cells] + [at + 1, to + 1])
        for row in self.cells:
            row.extend([""] * (width - len(row)))
            row.insert(to, row.pop(at))
        order = list(range(width))
        order.insert(to, order.pop(at))
        where = {old: new for new, old in enumerate(order)}
        self.formulas = {(r, where.get(c, c)) for r, c in self.formulas}
        self.formats = {where.get(c, c): p for c, p in self.formats.items()}

    def number(self, r: int, c: int, number: float) -> Value:
        """A number as the cell at (r, c) holds it: shown through that cell's format, if it has one."""
        return Value(number, self.formats.get(c, "") if r else "")

    def set_format(self, columns: range, rows: range, pattern: str) -> None:
        """repeatCell of a number format: the columns' numbers below the header shown through it."""
        for c in columns:
            if rows.start >= 1:
                self.formats[c] = pattern
            for r in rows:
                cell = self.get(r, c)
                if r and isinstance(cell, Value):
                    self.cells[r][c] = Value(cell.number, pattern)

    def get(self, r: int, c: int) -> str:
        return self.cells[r][c] if r < len(self.cells) and c < len(self.cells[r]) else ""

    def put(self, r: int, c: int, value: str, formula: bool = False) -> None:
        while len(self.cells) <= r:
            self.cells.append([])
        row = self.cells[r]
        while len(row) <= c:
            row.append("")
        row[c] = value
        (self.formulas.add if formula else self.formulas.discard)((r, c))

    def reformat(self, column: int, pattern: str) -> None:
        """Give a column's date-time cells a new number format (as Format > Number does): values stay."""
        for row in self.cells:
            cell = row[column] if column < len(row) else ""
            if isinstance(cell, Value) and cell.pattern:
                row[column] = Value(cell.number, pattern)

    def last_row(self) -> int:
        """How many rows hold anything."""
        for r in range(len(self.cells) - 1, -1, -1):
            if any(self.cells[r]):
                return r + 1
        return 0

    def properties(self, index: int) -> dict[str, Any]:
        grid: dict[str, Any] = {"rowCount": self.rows, "columnCount": self.columns}
        if self.frozen_rows:
            grid["frozenRowCount"] = self.frozen_rows
        return {
            "sheetId": self.sheet_id,
            "title": self.title,
            "index": index,
            "sheetType": "GRID",
            "gridProperties": grid,
        }


@dataclass
class Spreadsheet:
    spreadsheet_id: str
    title: str
    sheets: list[Sheet] = field(default_factory=list)
    metadata: list[dict[str, Any]] = field(default_factory=list)  # on the spreadsheet itself
    locale: str = "en_GB"
    time_zone: str = "Europe/London"

    def sheet(self, title: str | None) -> Sheet:
        if title is None:
            return self.sheets[0]
        for sheet in self.sheets:
            if sheet.title == title:
                return sheet
        raise ApiError(400, f"Unable to parse range: {quoted(title)}")

    def by_id(self, sheet_id: int) -> Sheet:
        for sheet in self.sheets:
            if sheet.sheet_id == sheet_id:
                return sheet
        raise ApiError(400, f"Invalid requests[0]: No grid with id: {sheet_id}")


@dataclass
class Area:
    sheet: Sheet
    r0: int
    c0: int
    r1: int  # exclusive
    c1: int  # exclusive

    def a1(self) -> str:
        start = f"{column_letters(self.c0 + 1)}{self.r0 + 1}"
        end = f"{column_letters(self.c1)}{self.r1}"
        return f"{quoted(self.sheet.title)}!{start}" + ("" if start == end else f":{end}")


Located = tuple[Sheet, int, dict[str, Any]]  # a row metadata entry: its sheet, its row index now


class FakeSheets:
    """Spreadsheets by id, over real HTTP; ``before_write`` runs once before the next value write,
    ``before_each_write`` before every write request (a coordinator editing at the worst moment)."""

    def __init__(self) -> None:
        self.spreadsheets: dict[str, Spreadsheet] = {}
        self._ids = itertools.count(1_000_001)
        self.before_write: Callable[[], None] | None = None
        self.before_each_write: Callable[[], None] | None = None
        # Per method ("values.batchGet", ...): hooks run, one per request, before it is answered.
        self.before: dict[str, list[Callable[[], None] | None]] = {}
        self.server = FakeGoogleServer(Discovery("sheets.v4"), self.handle, extra=self.drive)
        # Rows of text as encoded JSON, by their cells (see :meth:`_row_json`).
        self._encoded: dict[tuple[bool, bool, tuple[Any, ...]], str] = {}

    def start(self) -> str:
        return self.server.start()

    def stop(self) -> None:
        self.server.stop()

    @property
    def sheet_requests(self) -> list[str]:
        """Sheets API requests answered, as 'METHOD path' (what the quota counts)."""
        return [f"{r.method} {r.path}" for r in self.server.requests if r.path.startswith("/v4/")]

    def create(self, spreadsheet_id: str, title: str = "HSB register") -> Spreadsheet:
        book = Spreadsheet(spreadsheet_id, title, [Sheet(0, "Sheet1")])
        self.spreadsheets[spreadsheet_id] = book
        return book

    def link_form(self, spreadsheet_id: str, questions: list[str]) -> Sheet:
        """Link a form to the spreadsheet as Google Forms does: a new tab of its own for the responses.

        Responses, Link to Sheets, Select existing spreadsheet adds a sheet for the responses to the
        spreadsheet chosen ("Choose where to save form responses",
        https://support.google.com/docs/answer/2917686); a name already taken is not reused, so with
        *Form responses 1* there (tab names are unique regardless of case) the new tab is named
        *Form responses 2*. Its header is Timestamp, then the question titles.
        """
        book = self.spreadsheets[spreadsheet_id]
        taken = {sheet.title.casefold() for sheet in book.sheets}
        number = next(n for n in itertools.count(1) if f"form responses {n}" not in taken)
        sheet = Sheet(max(s.sheet_id for s in book.sheets) + 1, f"Form responses {number}", frozen_rows=1)
        sheet.cells = [["Timestamp", *questions]]
        book.sheets.append(sheet)
        return sheet

    # -- parsing ranges ---------------------------------------------------------------------

    def area(self, book: Spreadsheet, text: str) -> Area:
        title: str | None
        if "!" in text:
            title, _, cells = text.rpartition("!")
        elif (text.startswith("'") and text.endswith("'")) or any(s.title == text for s in book.sheets):
            title, cells = text, ""
        else:
            title, cells = None, text
        if title is not None and title.startswith("'") and title.endswith("'"):
            title = title[1:-1].replace("''", "'")
        sheet = book.sheet(title)
        if not cells:
            return Area(sheet, 0, 0, sheet.rows, sheet.columns)
        start, _, end = cells.partition(":")
        m1, m2 = _CELL.fullmatch(start), _CELL.fullmatch(end or start)
        if m1 is None or m2 is None or not (m1[1] or m1[2]):
            raise ApiError(400, f"Unable to parse range: {text}")
        c0 = column_number(m1[1]) - 1 if m1[1] else 0
        r0 = int(m1[2]) - 1 if m1[2] else 0
        c1 = column_number(m2[1]) if m2[1] else sheet.columns
        r1 = int(m2[2]) if m2[2] else sheet.rows
        return Area(sheet, r0, c0, r1, c1)

    def read(
        self, area: Area, render: str = "FORMATTED_VALUE", date_time_render: str = "SERIAL_NUMBER"
    ) -> dict[str, Any]:
        sheet = area.sheet
        r1, c1 = min(area.r1, sheet.rows), min(area.c1, sheet.columns)
        clipped = Area(sheet, area.r0, area.c0, r1, c1)
        cells = [[sheet.get(r, c) for c in range(area.c0, c1)] for r in range(area.r0, r1)]
        cells = [row[: max((i + 1 for i, v in enumerate(row) if v), default=0)] for row in cells]
        rows: list[list[Any]] = [
            [
                v.unformatted(date_time_render)
                if render == "UNFORMATTED_VALUE" and isinstance(v, Value)
                else str(v)
                for v in row
            ]
            for row in cells
        ]
        while rows and not rows[-1]:
            rows.pop()
        answer: dict[str, Any] = {"range": clipped.a1(), "majorDimension": "ROWS"}
        if rows:
            answer["values"] = rows
        return answer

    def write(self, area: Area, values: list[list[Any]], option: str) -> dict[str, Any]:
        sheet = area.sheet
        height = len(values)
        width = max((len(r) for r in values), default=0)
        if area.r0 + height > sheet.rows or area.c0 + width > sheet.columns:
            raise ApiError(
                400,
                f"Range ({quoted(sheet.title)}!{column_letters(area.c0 + width)}{area.r0 + height}) "
                f"exceeds grid limits. Max rows: {sheet.rows}, max columns: {sheet.columns}",
            )
        for i, row in enumerate(values):
            for j, value in enumerate(row):
                if value is None:
                    continue
                text: str = (
                    value
                    if isinstance(value, str)
                    else str(value).upper()
                    if isinstance(value, bool)
                    else sheet.number(area.r0 + i, area.c0 + j, value)  # a number stays one, RAW or not
                )
                if option == "USER_ENTERED" and _ISO_DATE.fullmatch(text):
                    text = Value.date_time(datetime.fromisoformat(text), "yyyy-mm-dd")
                sheet.put(
                    area.r0 + i, area.c0 + j, text, formula=option == "USER_ENTERED" and text.startswith("=")
                )
        written = Area(sheet, area.r0, area.c0, area.r0 + height, area.c0 + width)
        return {
            "updatedRange": written.a1().replace(quoted(sheet.title) + "!", quoted(sheet.title) + "!", 1),
            "updatedRows": height,
            "updatedColumns": width,
            "updatedCells": sum(len(r) for r in values),
        }

    def table(self, area: Area) -> Area | None:
        """The table values:append finds, as the recorded traffic shows Google finding it: for a
        one-cell range, the filled run starting there; for a wider range, the last filled run of its
        first filled row (a row "x, blank, y" makes y the table). Rows below with something in those
        columns belong to it. Appends then start below the table, at its first column."""
        sheet = area.sheet
        columns = range(area.c0, min(area.c1, sheet.columns))
        rows = range(area.r0, min(area.r1, len(sheet.cells)))
        row = next((r for r in rows if any(sheet.get(r, c) for c in columns)), None)
        if row is None:
            return None
        filled = [c for c in columns if sheet.get(row, c)]
        if area.r1 - area.r0 == 1 and area.c1 - area.c0 == 1:
            c0 = filled[0]
        else:
            c0 = filled[-1]
            while c0 > area.c0 and sheet.get(row, c0 - 1):
                c0 -= 1
        c1 = c0
        while c1 < sheet.columns and sheet.get(row, c1):
            c1 += 1
        r1 = row + 1
        while r1 < len(sheet.cells) and any(sheet.get(r1, c) for c in range(c0, c1)):
            r1 += 1
        return Area(sheet, row, c0, r1, c1)

    def _writing(self) -> None:
        hook, self.before_write = self.before_write, None
        if hook is not None:
            hook()
        if self.before_each_write is not None:
            self.before_each_write()

    # -- coordinators' edits, as Google applies them ------------------------------------------

    def sort(self, spreadsheet_id: str, tab: str, column: str, reverse: bool = False) -> None:
        """Sort a tab's rows below the header by one column (blank rows last), as Data > Sort range."""
        sheet = self.spreadsheets[spreadsheet_id].sheet(tab)
        index = sheet.cells[0].index(column)
        body = [r for r in sheet.cells[1:] if any(r)]
        blank = [r for r in sheet.cells[1:] if not any(r)]
        body.sort(key=lambda r: r[index] if index < len(r) else "", reverse=reverse)
        sheet.cells[1:] = body + blank

    def insert_row(
        self, spreadsheet_id: str, tab: str, index: int = 1, values: list[str] | None = None
    ) -> None:
        """Insert a row at a sheet row index (1: just below the header), optionally typing into it."""
        sheet = self.spreadsheets[spreadsheet_id].sheet(tab)
        sheet.insert_rows(index, 1)
        sheet.cells[index].extend(values or [])

    def delete_row(self, spreadsheet_id: str, tab: str, index: int) -> None:
        """Delete the row at a sheet row index, and its metadata with it."""
        self.spreadsheets[spreadsheet_id].sheet(tab).delete_rows(index, index + 1)

    def insert_column(self, spreadsheet_id: str, tab: str, index: int, name: str = "") -> None:
        """Insert a column at a column index (0 is A), optionally naming it in the header."""
        sheet = self.spreadsheets[spreadsheet_id].sheet(tab)
        sheet.insert_columns(index, 1)
        if name:
            sheet.put(0, index, name)

    # -- reading by data filter and grid data ---------------------------------------------

    def matched(self, book: Spreadsheet, data_filter: dict[str, Any], rows: list[Located]) -> list[Area]:
        """The areas a DataFilter selects: an A1 range, or the rows of matching row metadata."""
        if "a1Range" in data_filter:
            return [self.area(book, data_filter["a1Range"])]
        lookup = data_filter.get("developerMetadataLookup")
        if lookup is None:
            raise ApiError(400, "Only a1Range and developerMetadataLookup data filters are faked")
        if lookup.get("locationType", "ROW") != "ROW":
            return []
        wanted = {k: str(lookup[k]) for k in ("metadataId", "metadataKey", "metadataValue") if k in lookup}
        if "metadataId" in wanted:  # ids are unique: look the one up
            rows = [row for row in rows if str(row[2].get("metadataId")) == wanted["metadataId"]]
        return [
            Area(sheet, r, 0, r + 1, sheet.columns)
            for sheet, r, metadata in rows
            if all(str(metadata.get(k)) == v for k, v in wanted.items())
        ]

    def grid_data(self, area: Area, stored: bool = True, text: bool = True) -> dict[str, Any]:
        """GridData of an area: values as shown (and as stored, if asked; trailing blanks left out) and
        each row's metadata."""
        sheet = area.sheet
        r1, c1 = min(area.r1, sheet.rows), min(area.c1, sheet.columns)
        rows = [sheet.cells[r][area.c0 : c1] for r in range(area.r0, min(r1, len(sheet.cells)))]
        while rows and not any(rows[-1]):
            rows.pop()
        row_data = RawJSON("[" + ", ".join(self._row_json(row, stored, text) for row in rows) + "]")
        metadata: dict[int, list[dict[str, Any]]] = {}
        for r, entry in sheet.row_metadata():
            metadata.setdefault(r, []).append(entry)
        row_metadata = [
            {"developerMetadata": metadata[r]} if r in metadata else {} for r in range(area.r0, r1)
        ]
        return {"startRow": area.r0, "startColumn": area.c0, "rowData": row_data, "rowMetadata": row_metadata}

    def _row_json(self, row: list[str], stored: bool, text: bool) -> str:
        """A RowData as JSON text, encoded once while the row holds the same cells."""
        cut = len(row)
        while cut and not row[cut - 1]:
            cut -= 1
        if not cut:
            return "{}"
        cells = row[:cut]
        # A number or date-time cell is its shown text, its number and its pattern.
        key = (
            stored,
            text,
            tuple((str(v), v.number, v.pattern) if isinstance(v, Value) else v for v in cells),
        )
        encoded = self._encoded.get(key)
        if encoded is None:
            encoded = json.dumps({"values": [cell_data(v, stored, text) if v else {} for v in cells]})
            if len(self._encoded) >= ENCODED_ROWS_KEPT:
                self._encoded.clear()
            self._encoded[key] = encoded
        return encoded

    def spreadsheet(
        self, book: Spreadsheet, ranges: list[str], grid: bool, fields: str = ""
    ) -> dict[str, Any]:
        """The spreadsheet resource; with ``ranges``, only their sheets (and their grid data if asked)."""
        areas = [self.area(book, r) for r in ranges]
        sheets = []
        for i, s in enumerate(book.sheets):
            mine = [a for a in areas if a.sheet is s]
            if areas and not mine:
                continue
            entry: dict[str, Any] = {
                "properties": s.properties(i),
                "protectedRanges": s.protected,
                "conditionalFormats": s.conditional,
            }
            if grid:
                stored, text = effective_parts(fields)
                whole = [Area(s, 0, 0, s.rows, s.columns)]
                entry["data"] = [self.grid_data(a, stored, text) for a in mine or whole]
            sheets.append(entry)
        sid = book.spreadsheet_id
        return {
            "spreadsheetId": sid,
            "properties": {"title": book.title, "locale": book.locale, "timeZone": book.time_zone},
            "sheets": sheets,
            "developerMetadata": book.metadata,
            "spreadsheetUrl": f"https://docs.google.com/spreadsheets/d/{sid}/edit",
        }

    def batch_update_by_data_filter(self, book: Spreadsheet, body: dict[str, Any]) -> dict[str, Any]:
        """values:batchUpdateByDataFilter: each DataFilterValueRange written to every area it matches."""
        option = body.get("valueInputOption", "")
        if option not in ("RAW", "USER_ENTERED"):
            raise ApiError(400, "Invalid valueInputOption")
        located = [(sheet, r, m) for sheet in book.sheets for r, m in sheet.row_metadata()]
        by_id: dict[str, list[Located]] = {}
        for entry in located:
            by_id.setdefault(str(entry[2].get("metadataId")), []).append(entry)
        work = []
        for d in body.get("data", []):
            lookup = d["dataFilter"].get("developerMetadataLookup", {})
            candidates = by_id.get(str(lookup["metadataId"]), []) if "metadataId" in lookup else located
            work.append((d, self.matched(book, d["dataFilter"], candidates)))
        for d, areas in work:  # "If the provided values exceed any of the ranges ... the request fails"
            values = d.get("values", [])
            for area in areas:
                if len(values) > area.r1 - area.r0 or max(map(len, values), default=0) > area.c1 - area.c0:
                    raise ApiError(400, "The provided values exceed the range matched by the data filter.")
        responses = []
        for d, areas in work:
            for area in areas:
                answer = self.write(area, d.get("values", []), option)
                responses.append({**answer, "dataFilter": d["dataFilter"], "_area": area})
        for response in responses:
            area = response.pop("_area")
            if body.get("includeValuesInResponse"):
                response["updatedData"] = self.read(area)
        sid = book.spreadsheet_id
        return {
            "spreadsheetId": sid,
            "totalUpdatedRows": sum(r["updatedRows"] for r in responses),
            "totalUpdatedColumns": max((r["updatedColumns"] for r in responses), default=0),
            "totalUpdatedCells": sum(r["updatedCells"] for r in responses),
            "totalUpdatedSheets": len({r["updatedRange"].rsplit("!", 1)[0] for r in responses}),
            "responses": responses,
        }

    # -- requests ---------------------------------------------------------------------------

    def drive(self, method: str, path: str, query: dict[str, list[str]], body: Any) -> tuple[int, Any] | None:
        if not path.startswith("/drive/"):
            return None
        if method == "POST" and path == "/drive/v3/files":
            spreadsheet_id = f"fake{next(self._ids)}"
            self.create(spreadsheet_id, body.get("name", "Untitled"))
            return 200, {
                "kind": "drive#file",
                "id": spreadsheet_id,
                "name": body.get("name"),
                "mimeType": "application/vnd.google-apps.spreadsheet",
            }
        file_id = path.rsplit("/", 1)[1]
        if method == "DELETE":
            self.spreadsheets.pop(file_id, None)
            return 204, None
        return 200, {
            "id": file_id,
            "name": self.spreadsheets[file_id].title if file_id in self.spreadsheets else "",
        }

    def handle(
        self, method: Method, params: dict[str, str], query: dict[str, list[str]], body: Any
    ) -> tuple[int, Any]:
        book = self.spreadsheets.get(params.get("spreadsheetId", ""))
        if book is None:
            raise ApiError(404, "Requested entity was not found.", "notFound")
        sid = book.spreadsheet_id
        name = method.id.removeprefix("sheets.spreadsheets.")
        hooks = self.before.get(name)
        if hooks:
            hook = hooks.pop(0)
            if hook is not None:
                hook()
        if name == "get":
            grid = query.get("includeGridData", ["false"])[0] == "true"
            fields = query.get("fields", [""])[0]
            return 200, self.spreadsheet(book, query.get("ranges", []), grid, fields)
        render = (
            query.get("valueRenderOption", ["FORMATTED_VALUE"])[0],
            query.get("dateTimeRenderOption", ["SERIAL_NUMBER"])[0],
        )
        if name == "values.get":
            return 200, self.read(self.area(book, params["range"]), *render)
        if name == "values.batchGet":
            return 200, {
                "spreadsheetId": sid,
                "valueRanges": [self.read(self.area(book, r), *render) for r in query.get("ranges", [])],
            }
        if name in WRITES:
            self._writing()
        if name == "values.batchUpdateByDataFilter":
            return 200, self.batch_update_by_data_filter(book, body or {})
        if name == "values.update":
            option = query.get("valueInputOption", [""])[0]
            if not option:
                raise ApiError(400, "'valueInputOption' is required but not specified")
            return 200, {
                "spreadsheetId": sid,
                **self.write(self.area(book, params["range"]), body.get("values", []), option),
            }
        if name == "values.batchUpdate":
            option = body.get("valueInputOption", "")
            if option not in ("RAW", "USER_ENTERED"):
                raise ApiError(400, "Invalid valueInputOption")
            responses = [
                {"spreadsheetId": sid, **self.write(self.area(book, d["range"]), d.get("values", []), option)}
                for d in body.get("data", [])
            ]
            return 200, {
                "spreadsheetId": sid,
                "totalUpdatedRows": sum(r["updatedRows"] for r in responses),
                "totalUpdatedColumns": max((r["updatedColumns"] for r in responses), default=0),
                "totalUpdatedCells": sum(r["updatedCells"] for r in responses),
                "totalUpdatedSheets": len({r["updatedRange"].rsplit("!", 1)[0] for r in responses}),
                "responses": responses,
            }
        if name == "values.clear":
            area = self.area(book, params["range"])
            for r in range(area.r0, min(area.r1, len(area.sheet.cells))):
                for c in range(area.c0, min(area.c1, len(area.sheet.cells[r]))):
                    area.sheet.put(r, c, "")
            return 200, {
                "spreadsheetId": sid,
                "clearedRange": Area(
                    area.sheet,
                    area.r0,
                    area.c0,
                    min(area.r1, area.sheet.rows),
                    min(area.c1, area.sheet.columns),
                ).a1(),
            }
        if name == "values.append":
            area = self.area(book, params["range"])
            sheet = area.sheet
            values = body.get("values", [])
            table = self.table(area)
            start = table.r1 if table is not None else area.r0
            column = table.c0 if table is not None else area.c0
            extra = start + len(values) - sheet.rows
            if extra > 0:
                sheet.rows += extra
            updates = self.write(
                Area(sheet, start, column, start + len(values), sheet.columns),
                values,
                query.get("valueInputOption", ["RAW"])[0],
            )
            answer: dict[str, Any] = {"spreadsheetId": sid, "updates": {"spreadsheetId": sid, **updates}}
            if table is not None:
                answer["tableRange"] = table.a1()
            return 200, answer
        if name == "batchUpdate":
            answer = {
                "spreadsheetId": sid,
                "replies": [self.apply(book, r) for r in body.get("requests", [])],
            }
            if body.get("includeSpreadsheetInResponse"):
                ranges, grid = body.get("responseRanges", []), bool(body.get("responseIncludeGridData"))
                answer["updatedSpreadsheet"] = self.spreadsheet(book, ranges, grid)
            return 200, answer
        raise ApiError(501, f"{method.id} is not faked")

    def apply(self, book: Spreadsheet, request: dict[str, Any]) -> dict[str, Any]:
        ((kind, spec),) = request.items()
        if kind == "addSheet":
            props = spec.get("properties", {})
            title = props.get("title") or f"Sheet{len(book.sheets) + 1}"
            if any(s.title == title for s in book.sheets):
                raise ApiError(
                    400,
                    f'Invalid requests[0].addSheet: A sheet with the name "{title}" already exists. '
                    "Please enter another name.",
                )
            grid = props.get("gridProperties", {})
            sheet = Sheet(
                props.get("sheetId", next(self._ids)),
                title,
                grid.get("rowCount", 1000),
                grid.get("columnCount", 26),
                grid.get("frozenRowCount", 0),
            )
            book.sheets.append(sheet)
            return {"addSheet": {"properties": sheet.properties(len(book.sheets) - 1)}}
        if kind == "deleteSheet":
            book.sheets.remove(book.by_id(spec["sheetId"]))
            return {}
        if kind == "updateSheetProperties":
            props = spec["properties"]
            sheet = book.by_id(props.get("sheetId", 0))
            grid = props.get("gridProperties", {})
            sheet.frozen_rows = grid.get("frozenRowCount", sheet.frozen_rows)
            sheet.frozen_columns = grid.get("frozenColumnCount", sheet.frozen_columns)
            sheet.rows = grid.get("rowCount", sheet.rows)
            sheet.columns = grid.get("columnCount", sheet.columns)
            sheet.title = props.get("title", sheet.title)
            if "index" in props:  # the tab moves to that position (the others keep their order)
                book.sheets.remove(sheet)
                book.sheets.insert(int(props["index"]), sheet)
            return {}
        if kind == "appendDimension":
            sheet = book.by_id(spec["sheetId"])
            if spec["dimension"] == "ROWS":
                sheet.rows += spec["length"]
            else:
                sheet.columns += spec["length"]
            return {}
        if kind == "setDataValidation":
            book.by_id(spec["range"].get("sheetId", 0)).validations.append(spec)
            return {}
        if kind == "addProtectedRange":
            protected = dict(spec["protectedRange"], protectedRangeId=next(self._ids))
            book.by_id(protected["range"].get("sheetId", 0)).protected.append(protected)
            return {"addProtectedRange": {"protectedRange": protected}}
        if kind == "addConditionalFormatRule":
            rule = spec["rule"]
            book.by_id(rule["ranges"][0].get("sheetId", 0)).conditional.append(rule)
            return {}
        if kind == "deleteDeveloperMetadata":
            lookup = spec["dataFilter"]["developerMetadataLookup"]
            wanted = {k: lookup[k] for k in ("metadataId", "metadataKey") if k in lookup}
            hit = [m for m in book.metadata if all(m.get(k) == v for k, v in wanted.items())]
            book.metadata = [m for m in book.metadata if m not in hit]
            for sheet in book.sheets:
                sheet.anchors = [
                    (r, m) for r, m in sheet.anchors if not all(m.get(k) == v for k, v in wanted.items())
                ]
            return {"deleteDeveloperMetadata": {"deletedDeveloperMetadata": hit}}
        if kind == "createDeveloperMetadata":
            return {"createDeveloperMetadata": {"developerMetadata": self.create_metadata(book, spec)}}
        if kind == "insertDimension":
            span = spec["range"]
            sheet = book.by_id(span.get("sheetId", 0))
            start, end = int(span["startIndex"]), int(span["endIndex"])
            limit = sheet.rows if span["dimension"] == "ROWS" else sheet.columns
            if start > limit:
                raise ApiError(
                    400, f"Invalid requests[0].insertDimension: range.startIndex must be <= {limit}"
                )
            if span["dimension"] == "ROWS":
                sheet.insert_rows(start, end - start)
            else:
                sheet.insert_columns(start, end - start)
            return {}
        if kind == "updateCells":
            start = spec["start"]
            sheet = book.by_id(start.get("sheetId", 0))
            r0, c0 = int(start.get("rowIndex", 0)), int(start.get("columnIndex", 0))
            for i, row in enumerate(spec.get("rows", [])):
                cells = row.get("values", [])
                if r0 + i >= sheet.rows or c0 + len(cells) > sheet.columns:
                    raise ApiError(400, "Invalid requests[0].updateCells: the range exceeds the grid limits.")
                for j, cell in enumerate(cells):
                    value = cell.get("userEnteredValue", {})
                    if "formulaValue" in value:
                        sheet.put(r0 + i, c0 + j, value["formulaValue"], formula=True)
                    elif "numberValue" in value:
                        sheet.put(r0 + i, c0 + j, sheet.number(r0 + i, c0 + j, value["numberValue"]))
                    else:
                        sheet.put(r0 + i, c0 + j, str(next(iter(value.values()), "")))
            return {}
        if kind == "repeatCell":
            span = spec["range"]
            sheet = book.by_id(span.get("sheetId", 0))
            pattern = spec["cell"].get("userEnteredFormat", {}).get("numberFormat", {}).get("pattern")
            if pattern and "numberFormat" in spec.get("fields", ""):
                columns = range(
                    int(span.get("startColumnIndex", 0)), int(span.get("endColumnIndex", sheet.columns))
                )
                rows = range(int(span.get("startRowIndex", 0)), int(span.get("endRowIndex", sheet.rows)))
                sheet.set_format(columns, rows, pattern)
            return {}
        if kind in _LAYOUT_ONLY:
            return {}  # widths, filters, groups and formats: recorded in the request log only
        if kind == "moveDimension":
            source = spec["source"]
            sheet = book.by_id(source.get("sheetId", 0))
            if source["dimension"] != "COLUMNS" or int(source["endIndex"]) - int(source["startIndex"]) != 1:
                raise ApiError(400, "Invalid requests[0]: only moving one column is faked")
            sheet.move_column(int(source["startIndex"]), int(spec["destinationIndex"]))
            return {}
        if kind == "deleteProtectedRange":
            for sheet in book.sheets:
                sheet.protected = [
                    p for p in sheet.protected if p.get("protectedRangeId") != spec["protectedRangeId"]
                ]
            return {}
        if kind == "deleteConditionalFormatRule":
            del book.by_id(spec.get("sheetId", 0)).conditional[int(spec["index"])]
            return {}
        if kind == "deleteDimension":
            span = spec["range"]
            sheet = book.by_id(span.get("sheetId", 0))
            if span["dimension"] != "ROWS":
                raise ApiError(400, "Invalid requests[0]: deleting columns is not faked")
            sheet.delete_rows(int(span["startIndex"]), int(span["endIndex"]))
            return {}
        raise ApiError(400, f"Invalid requests[0]: {kind} is not faked")

    def create_metadata(self, book: Spreadsheet, spec: dict[str, Any]) -> dict[str, Any]:
        """createDeveloperMetadata on the spreadsheet or on one row (a one-row DimensionRange)."""
        metadata = dict(
            spec["developerMetadata"],
            metadataId=spec["developerMetadata"].get("metadataId") or next(self._ids),
        )
        location = metadata.get("location", {})
        span = location.get("dimensionRange")
        if span is None:
            metadata["location"] = dict(location, locationType="SPREADSHEET")
            book.metadata.append(metadata)
            return metadata
        if span.get("dimension") != "ROWS" or int(span["endIndex"]) - int(span["startIndex"]) != 1:
            raise ApiError(400, "Invalid requests[0].createDeveloperMetadata: only single rows are faked")
        sheet = book.by_id(span.get("sheetId", 0))
        if int(span["startIndex"]) >= sheet.rows:
            raise ApiError(400, "Invalid requests[0].createDeveloperMetadata: the row is outside the grid")
        metadata["location"] = {"locationType": "ROW", "dimensionRange": dict(span)}
        sheet.anchors.append((sheet.row_object(int(span["startIndex"])), metadata))
        return metadata
