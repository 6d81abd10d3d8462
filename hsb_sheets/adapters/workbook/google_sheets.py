"""The register as a Google spreadsheet, through gspread's HTTP client (Sheets API v4).

A job run costs a constant number of requests, whatever the size of the register: tabs are read in
one ``values:batchGet``; a write re-reads the tabs it touches in one ``values:batchGet`` and writes
everything in one ``values:batchUpdate`` with ``valueInputOption=RAW`` (so a form answer can never
become a formula). Rows are found by their key in that fresh read, never by a row number remembered
from earlier, so a coordinator who sorts, filters, inserts or deletes rows while a job runs cannot
make a value land on the wrong case. The grid grows (``appendDimension``) only when appended rows
need it.

Every request passes through one choke point, :class:`SheetsHTTPClient`, which rewrites the endpoint
(tests point it at a local fake), counts requests, and retries 429, 5xx and connection errors with
bounded, jittered exponential backoff that honours ``Retry-After``.
"""

from __future__ import annotations

import contextlib
import random
import threading
import time
from collections.abc import Callable, Iterator, Mapping, MutableMapping, Sequence
from typing import Any

import requests
from gspread.exceptions import APIError
from gspread.http_client import HTTPClient

from hsb_sheets.adapters.workbook.base import (
    Key,
    KeyIndex,
    Table,
    WriteBatch,
    check_unique_keys,
    last_used_row,
)
from hsb_sheets.adapters.workbook.ooxml import column_letters
from hsb_sheets.domain.layout import HIGHLIGHT, PROTECTION_NOTE, Layout
from hsb_sheets.domain.tabs import TabSpec
from hsb_sheets.errors import WorkbookError

SCOPES = ("https://www.googleapis.com/auth/spreadsheets",)
GOOGLE = "https://sheets.googleapis.com"
RETRYABLE = frozenset({429, 500, 502, 503, 504})
GROW_BY = 5000  # rows added at a time when appends reach the end of the grid
NEW_TAB_ROWS = 5000  # so appends rarely need the grid to grow (two extra requests when they do)


class SheetsHTTPClient(HTTPClient):
    """gspread's HTTP client with an endpoint override, a request counter and bounded retries.

    gspread's own BackOffHTTPClient is not used: in 6.2.1 it never stops retrying.
    """

    def __init__(
        self,
        session: requests.Session,
        *,
        endpoint: str | None = None,
        retries: int = 5,
        base_delay: float = 1.0,
        max_delay: float = 32.0,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        super().__init__(None, session)  # type: ignore[arg-type]  # the session carries the auth
        self.endpoint = endpoint.rstrip("/") if endpoint else None
        self.retries = retries
        self.base_delay = base_delay
        self.max_delay = max_delay
        self.sleep = sleep
        self.requests = 0
        self.timeout = 60.0

    def _delay(self, attempt: int, retry_after: str | None) -> float:
        if retry_after is not None:
            with contextlib.suppress(ValueError):
                return min(self.max_delay, max(0.0, float(retry_after)))
        return random.uniform(0, min(self.max_delay, self.base_delay * 2**attempt))

    def request(
        self,
        method: str,
        endpoint: str,
        params: Any = None,
        data: bytes | None = None,
        json: Mapping[str, Any] | None = None,
        files: Any = None,
        headers: MutableMapping[str, str] | None = None,
    ) -> requests.Response:
        """One API call, retried while Google answers 429/5xx or the connection fails."""
        url = endpoint.replace(GOOGLE, self.endpoint, 1) if self.endpoint else endpoint
        for attempt in range(self.retries + 1):
            self.requests += 1
            try:
                response = self.session.request(
                    method=method,
                    url=url,
                    json=json,
                    params=params,
                    data=data,
                    files=files,
                    headers=headers,
                    timeout=self.timeout,
                )
            except requests.RequestException as problem:
                if attempt == self.retries:
                    raise WorkbookError(
                        f"Google Sheets could not be reached ({type(problem).__name__}) after {attempt + 1} "
                        "tries. This step wrote nothing; the next run will finish the work."
                    ) from None
                self.sleep(self._delay(attempt, None))
                continue
            if response.ok:
                return response
            if response.status_code in RETRYABLE:
                if attempt == self.retries:
                    raise WorkbookError(
                        f"Google Sheets is busy (HTTP {response.status_code}) after {attempt + 1} tries. "
                        "This step wrote nothing; the next run will finish the work."
                    )
                self.sleep(self._delay(attempt, response.headers.get("Retry-After")))
                continue
            raise APIError(response)
        raise AssertionError("unreachable")


def a1_tab(title: str) -> str:
    """A tab name quoted for A1 notation."""
    return "'" + title.replace("'", "''") + "'"


def _grid(range_text: str) -> tuple[int, int]:
    """Rows and columns of the grid, from a whole-tab range as Google returns it ('Tab'!A1:Z1000)."""
    cells = range_text.rpartition("!")[2]
    end = cells.partition(":")[2] or cells
    letters = "".join(ch for ch in end if ch.isalpha())
    digits = "".join(ch for ch in end if ch.isdigit())
    number = 0
    for char in letters:
        number = number * 26 + ord(char) - 64
    return int(digits or 0), number


class SheetsWorkbook:
    """The register in one Google spreadsheet."""

    def __init__(self, http: SheetsHTTPClient, spreadsheet_id: str, editor: str | None = None) -> None:
        self.http = http
        self.spreadsheet_id = spreadsheet_id
        self.editor = editor  # the service account: the only editor of protected system columns
        self._lock = threading.RLock()
        self._depth = 0
        self._tables: dict[str, Table] = {}
        self._grids: dict[str, tuple[int, int]] = {}
        self._sheet_ids: dict[str, int] = {}

    # -- plumbing ------------------------------------------------------------------------------

    def _call(self, what: str, call: Callable[[], Any]) -> Any:
        try:
            return call()
        except APIError as problem:
            code = problem.response.status_code
            if code == 403:
                raise WorkbookError(
                    "The service account may not open the register: share the spreadsheet with the "
                    "service account's email address as an editor."
                ) from None
            if code == 404:
                raise WorkbookError(
                    f"There is no spreadsheet with id {self.spreadsheet_id}; check spreadsheet_id."
                ) from None
            message = str(problem.error.get("message", "")) if isinstance(problem.error, dict) else ""
            if "Unable to parse range:" in message:
                tab = _tab_in(message.split("Unable to parse range:", 1)[1])
                raise WorkbookError(
                    f"The register has no '{tab}' tab. Run 'hsb-sheets setup' to create it."
                ) from None
            raise WorkbookError(f"Google Sheets refused to {what} (HTTP {code}): {message}") from None

    @contextlib.contextmanager
    def session(self) -> Iterator[None]:
        """One run: reads are kept until the run ends (writes always re-read what they touch)."""
        with self._lock:
            self._depth += 1
            try:
                yield
            finally:
                self._depth -= 1
                if self._depth == 0:
                    self._tables.clear()
                    self._grids.clear()

    def _fetch(self, names: Sequence[str]) -> dict[str, Table]:
        """Whole tabs in one values:batchGet."""
        if not names:
            return {}
        answer = self._call(
            "read tabs " + ", ".join(names),
            lambda: self.http.values_batch_get(self.spreadsheet_id, [a1_tab(n) for n in names]),
        )
        tables = {}
        for name, value_range in zip(names, answer.get("valueRanges", []), strict=True):
            self._grids[name] = _grid(value_range.get("range", ""))
            rows = [[str(v) for v in row] for row in value_range.get("values", [])]
            header = rows[0] if rows else []
            while header and not header[-1]:
                header.pop()
            width = len(header)
            body = [(r + [""] * width)[:width] for r in rows[1:]]
            tables[name] = Table(name, header, body)
        return tables

    # -- the port ------------------------------------------------------------------------------

    def read(self, tabs: Sequence[str]) -> dict[str, Table]:
        """Tabs as text; within a session each tab is fetched at most once."""
        with self._lock:
            missing = [t for t in tabs if t not in self._tables]
            fetched = self._fetch(missing)
            if self._depth:
                self._tables.update(fetched)
            source = {**self._tables, **fetched}
            return {t: Table(t, list(source[t].header), [row[:] for row in source[t].rows]) for t in tabs}

    def write(self, batch: WriteBatch) -> None:
        """Re-read the touched tabs, place every value by key, and write it all in one request."""
        if not batch:
            return
        with self._lock:
            names = sorted({w.tab for w in batch.appends} | {w.tab for w in batch.updates})
            fresh = self._fetch(names)  # the rows as they are now, after any coordinator edits
            data: list[dict[str, Any]] = []
            indexes: dict[tuple[str, Key], KeyIndex] = {}
            for update in batch.updates:
                table = fresh[update.tab]
                index_key = (update.tab, update.key_column)
                if index_key not in indexes:
                    indexes[index_key] = check_unique_keys(table, update.key_column)
                position = indexes[index_key].position(update.key_column, update.key)
                for column, value in update.values.items():
                    cell = f"{column_letters(table.index(column) + 1)}{position + 2}"
                    data.append({"range": f"{a1_tab(update.tab)}!{cell}", "values": [[value]]})
                    table.rows[position][table.index(column)] = value
            next_row = {name: last_used_row(fresh[name]) + 1 for name in names}
            for append in batch.appends:
                table = fresh[append.tab]
                row_values = [""] * len(table.header)
                for column, value in append.values.items():
                    row_values[table.index(column)] = value
                row = next_row[append.tab]
                next_row[append.tab] += 1
                last = column_letters(max(len(row_values), 1))
                data.append({"range": f"{a1_tab(append.tab)}!A{row}:{last}{row}", "values": [row_values]})
                position = row - 2
                while len(table.rows) < position:
                    table.rows.append([""] * len(table.header))
                table.rows[position : position + 1] = [row_values]
            self._grow(names, next_row)
            self._call(
                "write to the register",
                lambda: self.http.values_batch_update(
                    self.spreadsheet_id, {"valueInputOption": "RAW", "data": data}
                ),
            )
            if self._depth:
                self._tables.update(fresh)

    def _sheet_id(self, name: str) -> int:
        if name not in self._sheet_ids:
            metadata = self._call(
                "read the register's tabs", lambda: self.http.fetch_sheet_metadata(self.spreadsheet_id)
            )
            self._sheet_ids = {
                s["properties"]["title"]: s["properties"]["sheetId"] for s in metadata.get("sheets", [])
            }
        return self._sheet_ids[name]

    def _grow(self, names: Sequence[str], next_row: Mapping[str, int]) -> None:
        """Add rows to tabs whose appends would pass the end of the grid (one request, rarely)."""
        requests_ = []
        for name in names:
            rows, _ = self._grids.get(name, (0, 0))
            needed = next_row[name] - 1
            if needed > rows:
                requests_.append(
                    {
                        "appendDimension": {
                            "sheetId": self._sheet_id(name),
                            "dimension": "ROWS",
                            "length": needed - rows + GROW_BY,
                        }
                    }
                )
        if requests_:
            self._call(
                "add rows to the register",
                lambda: self.http.batch_update(self.spreadsheet_id, {"requests": requests_}),
            )

    def apply_layout(self, layout: Layout) -> list[str]:
        """Dropdowns, red rows, protected system columns and frozen headers, in one batchUpdate.

        A marker (developer metadata holding the layout's fingerprint) makes a second run a no-op.
        """
        with self._lock:
            metadata = self._call(
                "read the register's layout", lambda: self.http.fetch_sheet_metadata(self.spreadsheet_id)
            )
            marker = next(
                (m for m in metadata.get("developerMetadata", []) if m.get("metadataKey") == LAYOUT_KEY), None
            )
            if marker is not None and marker.get("metadataValue") == layout.fingerprint():
                return []
            sheets = {s["properties"]["title"]: s for s in metadata.get("sheets", [])}
            tabs = sorted(
                {d.tab for d in layout.dropdowns}
                | {h.tab for h in layout.highlights}
                | {p.name for p in layout.protected}
            )
            headers = {name: table.header for name, table in self._fetch(tabs).items()}
            requests_: list[dict[str, Any]] = []
            for dropdown in layout.dropdowns:
                column = headers[dropdown.tab].index(dropdown.column)
                requests_.append(
                    {
                        "setDataValidation": {
                            "range": {
                                "sheetId": sheets[dropdown.tab]["properties"]["sheetId"],
                                "startRowIndex": 1,
                                "startColumnIndex": column,
                                "endColumnIndex": column + 1,
                            },
                            "rule": {
                                "condition": {
                                    "type": "ONE_OF_LIST",
                                    "values": [{"userEnteredValue": v} for v in dropdown.choices],
                                },
                                "strict": True,
                                "showCustomUi": True,
                            },
                        }
                    }
                )
            for highlight in layout.highlights:
                sheet = sheets[highlight.tab]
                letter = column_letters(headers[highlight.tab].index(highlight.column) + 1)
                formula = f'=${letter}2="{highlight.equals}"'
                existing = [
                    v.get("userEnteredValue")
                    for rule in sheet.get("conditionalFormats", [])
                    for v in rule.get("booleanRule", {}).get("condition", {}).get("values", [])
                ]
                if formula in existing:
                    continue
                requests_.append(
                    {
                        "addConditionalFormatRule": {
                            "index": 0,
                            "rule": {
                                "ranges": [
                                    {
                                        "sheetId": sheet["properties"]["sheetId"],
                                        "startRowIndex": 1,
                                        "startColumnIndex": 0,
                                        "endColumnIndex": len(headers[highlight.tab]),
                                    }
                                ],
                                "booleanRule": {
                                    "condition": {
                                        "type": "CUSTOM_FORMULA",
                                        "values": [{"userEnteredValue": formula}],
                                    },
                                    "format": {"backgroundColor": _colour(HIGHLIGHT)},
                                },
                            },
                        }
                    }
                )
            for spec in layout.protected:
                sheet = sheets[spec.name]
                if any(p.get("description") == PROTECTION_NOTE for p in sheet.get("protectedRanges", [])):
                    continue
                system = [headers[spec.name].index(c) for c in spec.system if c in headers[spec.name]]
                for start, end in _blocks(system):
                    protected: dict[str, Any] = {
                        "range": {
                            "sheetId": sheet["properties"]["sheetId"],
                            "startColumnIndex": start,
                            "endColumnIndex": end,
                        },
                        "description": PROTECTION_NOTE,
                    }
                    if self.editor:
                        protected.update(warningOnly=False, editors={"users": [self.editor]})
                    else:
                        protected["warningOnly"] = True
                    requests_.append({"addProtectedRange": {"protectedRange": protected}})
            for name in tabs:
                requests_.append(
                    {
                        "updateSheetProperties": {
                            "properties": {
                                "sheetId": sheets[name]["properties"]["sheetId"],
                                "gridProperties": {"frozenRowCount": 1},
                            },
                            "fields": "gridProperties.frozenRowCount",
                        }
                    }
                )
            if marker is not None:
                requests_.append(
                    {
                        "deleteDeveloperMetadata": {
                            "dataFilter": {"developerMetadataLookup": {"metadataKey": LAYOUT_KEY}}
                        }
                    }
                )
            requests_.append(
                {
                    "createDeveloperMetadata": {
                        "developerMetadata": {
                            "metadataKey": LAYOUT_KEY,
                            "metadataValue": layout.fingerprint(),
                            "location": {"spreadsheet": True},
                            "visibility": "DOCUMENT",
                        }
                    }
                }
            )
            self._call(
                "format the register",
                lambda: self.http.batch_update(self.spreadsheet_id, {"requests": requests_}),
            )
            return [
                f"applied {len(layout.dropdowns)} dropdowns, {len(layout.highlights)} highlights and "
                f"protection of system columns on {len(layout.protected)} tabs"
            ]

    def ensure_tabs(self, specs: Sequence[TabSpec]) -> list[str]:
        """Create missing tabs (header row frozen) and add missing header columns."""
        with self._lock:
            metadata = self._call(
                "read the register's tabs", lambda: self.http.fetch_sheet_metadata(self.spreadsheet_id)
            )
            existing = {s["properties"]["title"]: s["properties"] for s in metadata.get("sheets", [])}
            changes: list[str] = []
            adds = []
            for spec in specs:
                if spec.name not in existing:
                    adds.append(
                        {
                            "addSheet": {
                                "properties": {
                                    "title": spec.name,
                                    "gridProperties": {
                                        "rowCount": NEW_TAB_ROWS,
                                        "columnCount": max(26, len(spec.header) + 5),
                                        "frozenRowCount": 1,
                                    },
                                }
                            }
                        }
                    )
                    changes.append(f"created tab '{spec.name}'")
            if adds:
                self._call(
                    "add tabs", lambda: self.http.batch_update(self.spreadsheet_id, {"requests": adds})
                )
            headers = self._fetch([spec.name for spec in specs])
            data = []
            for spec in specs:
                header = headers[spec.name].header
                missing = [c for c in spec.header if c not in header]
                if not missing:
                    continue
                if header:
                    changes.extend(f"added column '{c}' to '{spec.name}'" for c in missing)
                start = len(header) + 1
                data.append(
                    {
                        "range": f"{a1_tab(spec.name)}!{column_letters(start)}1:"
                        f"{column_letters(start + len(missing) - 1)}1",
                        "values": [missing],
                    }
                )
            if data:
                self._call(
                    "write header rows",
                    lambda: self.http.values_batch_update(
                        self.spreadsheet_id, {"valueInputOption": "RAW", "data": data}
                    ),
                )
            self._tables.clear()
            self._sheet_ids.clear()
            return changes


LAYOUT_KEY = "hsb-sheets-layout"


def _colour(hex_colour: str) -> dict[str, float]:
    value = hex_colour.lstrip("#")
    return {name: int(value[i : i + 2], 16) / 255 for name, i in (("red", 0), ("green", 2), ("blue", 4))}


def _blocks(indexes: Sequence[int]) -> list[tuple[int, int]]:
    """Contiguous runs of column indexes as (start, end exclusive)."""
    runs: list[tuple[int, int]] = []
    for i in sorted(indexes):
        if runs and runs[-1][1] == i:
            runs[-1] = (runs[-1][0], i + 1)
        else:
            runs.append((i, i + 1))
    return runs


def _tab_in(range_text: str) -> str:
    """The tab name in a range such as 'My tab'!A1 or Tab."""
    text = range_text.strip()
    name = text.rpartition("!")[0] or text
    if name.startswith("'") and name.endswith("'"):
        name = name[1:-1].replace("''", "'")
    return name
