"""A stateful fake of the Google Sheets API v4 (and the Drive calls that create a spreadsheet).

It speaks the JSON the real API speaks for what the register adapter uses: spreadsheets.get,
values.get/update/append/clear/batchGet/batchUpdate and spreadsheets.batchUpdate (add and delete
sheets, grid size, frozen rows, data validation, protected ranges, conditional formats, developer
metadata). Ranges are clipped to the grid, sheet names are quoted only when needed, an empty range
answers without ``values``, and writes past the grid fail as they do in Google. RAW input is stored
as text; USER_ENTERED input starting with "=" is stored as a formula, so tests can prove no formula
ever reaches the register. Tests can inject 429/503 answers and coordinator edits.

A cell may hold a number rather than text (:class:`Value`): a JSON number written, an ISO date
entered as USER_ENTERED, or a date-time such as the Timestamp Google Forms stamps (a serial number
of days since 30 December 1899, with the fraction of a second, shown through its number format).
As Google does (WorksheetTest.test_get_all_values_date_time_render_options in the recorded
traffic; https://developers.google.com/sheets/api/reference/rest/v4/ValueRenderOption and
DateTimeRenderOption), values are read as shown by default (``FORMATTED_VALUE``); with
``valueRenderOption=UNFORMATTED_VALUE`` numbers come back as JSON numbers and date-times as their
serial number (``dateTimeRenderOption=SERIAL_NUMBER``, the default) or as shown (``FORMATTED_STRING``).
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from tests.fakes.google_http import ApiError, Discovery, FakeGoogleServer, Method

_NAME_NEEDS_NO_QUOTES = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_CELL = re.compile(r"([A-Z]*)(\d*)")
_EPOCH = datetime(1899, 12, 30)
# Date-time pattern tokens (https://developers.google.com/sheets/api/guides/formats#date_and_time_format_patterns).
_TOKENS = re.compile(r"yyyy|yy|mm|m|dd|d|hh|h|ss|s|\.0{1,3}|.", re.IGNORECASE)
_ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")


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


@dataclass
class Sheet:
    sheet_id: int
    title: str
    rows: int = 1000
    columns: int = 26
    frozen_rows: int = 0
    cells: list[list[str]] = field(default_factory=list)
    formulas: set[tuple[int, int]] = field(default_factory=set)
    protected: list[dict[str, Any]] = field(default_factory=list)
    conditional: list[dict[str, Any]] = field(default_factory=list)
    validations: list[dict[str, Any]] = field(default_factory=list)

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
    metadata: list[dict[str, Any]] = field(default_factory=list)

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


class FakeSheets:
    """Spreadsheets by id, over real HTTP; ``before_write`` runs once before the next value write."""

    def __init__(self) -> None:
        self.spreadsheets: dict[str, Spreadsheet] = {}
        self._ids = itertools.count(1_000_001)
        self.before_write: Callable[[], None] | None = None
        # Per method ("values.batchGet", ...): hooks run, one per request, before it is answered.
        self.before: dict[str, list[Callable[[], None] | None]] = {}
        self.server = FakeGoogleServer(Discovery("sheets.v4"), self.handle, extra=self.drive)

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
                    else Value(value)  # a JSON number stays a number, RAW or not
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
            return 200, {
                "spreadsheetId": sid,
                "properties": {"title": book.title, "locale": "en_GB", "timeZone": "Europe/London"},
                "sheets": [
                    {
                        "properties": s.properties(i),
                        "protectedRanges": s.protected,
                        "conditionalFormats": s.conditional,
                    }
                    for i, s in enumerate(book.sheets)
                ],
                "developerMetadata": book.metadata,
                "spreadsheetUrl": f"https://docs.google.com/spreadsheets/d/{sid}/edit",
            }
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
        if name in ("values.update", "values.batchUpdate", "values.append", "values.clear", "batchUpdate"):
            self._writing()
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
            return 200, {
                "spreadsheetId": sid,
                "replies": [self.apply(book, r) for r in body.get("requests", [])],
            }
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
            sheet.rows = grid.get("rowCount", sheet.rows)
            sheet.columns = grid.get("columnCount", sheet.columns)
            sheet.title = props.get("title", sheet.title)
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
            key = spec["dataFilter"]["developerMetadataLookup"].get("metadataKey")
            book.metadata = [m for m in book.metadata if m.get("metadataKey") != key]
            return {"deleteDeveloperMetadata": {}}
        if kind == "createDeveloperMetadata":
            metadata = dict(spec["developerMetadata"], metadataId=next(self._ids))
            book.metadata.append(metadata)
            return {"createDeveloperMetadata": {"developerMetadata": metadata}}
        raise ApiError(400, f"Invalid requests[0]: {kind} is not faked")
