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
import itertools
import random
import threading
import time
from collections.abc import Callable, Iterator, Mapping, MutableMapping, Sequence
from typing import Any

import requests
from gspread.exceptions import APIError
from gspread.http_client import HTTPClient

from hsb_sheets.adapters.workbook import a1
from hsb_sheets.adapters.workbook.base import HeldOpen, Table, WriteBatch
from hsb_sheets.adapters.workbook.google_layout import (
    LAYOUT_KEY,
    add_sheet_request,
    freeze_request,
    layout_requests,
    marker_requests,
)
from hsb_sheets.adapters.workbook.plan import TabPlan, apply_plan, plan_writes, table_from_values
from hsb_sheets.domain.layout import Layout
from hsb_sheets.domain.tabs import TabSpec
from hsb_sheets.errors import WorkbookError

SCOPES = ("https://www.googleapis.com/auth/spreadsheets",)
GOOGLE = "https://sheets.googleapis.com"
RETRYABLE = frozenset({429, 500, 502, 503, 504})
GROW_BY = 5000  # rows added at a time when appends reach the end of the grid


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
                tab = a1.tab_of(message.split("Unable to parse range:", 1)[1])
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
            lambda: self.http.values_batch_get(self.spreadsheet_id, [a1.quote_tab(n) for n in names]),
        )
        tables = {}
        for name, value_range in zip(names, answer.get("valueRanges", []), strict=True):
            self._grids[name] = a1.grid_size(value_range.get("range", ""))
            rows = [[str(v) for v in row] for row in value_range.get("values", [])]
            tables[name] = table_from_values(name, rows)
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

    def read_values(self, tab: str, column: str) -> list[str]:
        """One column's values as stored (a date-time as its serial number), in one ``values.get``.

        The tab is fetched whole with ``valueRenderOption=UNFORMATTED_VALUE`` and
        ``dateTimeRenderOption=SERIAL_NUMBER``, and its text cells are checked against the tab as this
        session read it: two requests are not one snapshot, and rows a coordinator sorted in between
        must never give one response another's instant. Rows Google Forms appended in between are
        simply not returned (the next run reads them). Numbers come back as their text.
        """
        with self._lock:
            shown = self.read([tab])[tab]
            index = shown.index(column)
            options: dict[str, Any] = {
                "valueRenderOption": "UNFORMATTED_VALUE",
                "dateTimeRenderOption": "SERIAL_NUMBER",
            }
            answer = self._call(
                f"read the values of '{tab}'",
                lambda: self.http.values_get(self.spreadsheet_id, a1.quote_tab(tab), params=options),
            )
            stored: list[list[Any]] = answer.get("values", [])[1:]
            values = []
            for number, row in enumerate(shown.rows):
                raw = stored[number] if number < len(stored) else []
                cells = itertools.zip_longest(raw[: len(row)], row, fillvalue="")
                if any(isinstance(value, str) and value != text for value, text in cells):
                    raise WorkbookError(
                        f"The '{tab}' tab changed while it was being read (rows sorted, inserted or "
                        "deleted). This run wrote nothing; the next run will read it again."
                    )
                value = raw[index] if index < len(raw) else ""
                values.append(str(value).upper() if isinstance(value, bool) else str(value))
            return values

    def held_open(self) -> HeldOpen | None:
        """Always None: people edit a Google spreadsheet live, beside the jobs, and no save undoes them."""
        return None

    def write(self, batch: WriteBatch) -> None:
        """Re-read the touched tabs, place every value by key, and write it all in one request."""
        if not batch:
            return
        with self._lock:
            names = sorted({w.tab for w in batch.appends} | {w.tab for w in batch.updates})
            fresh = self._fetch(names)  # the rows as they are now, after any coordinator edits
            plans = plan_writes(fresh, batch)
            data = [value_range for name in names for value_range in _value_ranges(plans[name])]
            self._grow(names, {name: plans[name].end_row for name in names})
            self._call(
                "write to the register",
                lambda: self.http.values_batch_update(
                    self.spreadsheet_id, {"valueInputOption": "RAW", "data": data}
                ),
            )
            if self._depth:
                apply_plan(fresh, plans)
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

    def _grow(self, names: Sequence[str], end_row: Mapping[str, int]) -> None:
        """Add rows to tabs whose appends would pass the end of the grid (one request, rarely)."""
        requests_ = []
        for name in names:
            rows, _ = self._grids.get(name, (0, 0))
            needed = end_row[name]
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
            requests_ = layout_requests(layout, sheets, headers, self.editor)
            requests_ += [freeze_request(sheets[name]) for name in tabs]
            requests_ += marker_requests(layout.fingerprint(), replace=marker is not None)
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
            existing = {s["properties"]["title"] for s in metadata.get("sheets", [])}
            new = [spec for spec in specs if spec.name not in existing]
            changes = [f"created tab '{spec.name}'" for spec in new]
            if new:
                adds = [add_sheet_request(spec) for spec in new]
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
                    {"range": a1.area(1, start, 1, start + len(missing) - 1, spec.name), "values": [missing]}
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


def _value_ranges(plan: TabPlan) -> list[dict[str, Any]]:
    """A write plan for one tab as value ranges: one per updated cell, one per appended row."""
    ranges = [{"range": a1.cell(c.row, c.column, plan.tab), "values": [[c.value]]} for c in plan.updates]
    for new in plan.appends:
        area = a1.area(new.row, 1, new.row, max(len(new.values), 1), plan.tab)
        ranges.append({"range": area, "values": [new.values]})
    return ranges
