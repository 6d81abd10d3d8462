"""The register as a Google spreadsheet, through gspread's HTTP client (Sheets API v4).

A run of the jobs costs a constant number of requests, whatever the size of the register. Within a
session (the run lease holds one for the whole run) the first read fetches every tab in one
``spreadsheets.get`` with grid data (values as shown and as stored, each row's anchor, and the
spreadsheet's locale and time zone); later reads are served from that snapshot, kept in step with
the session's own writes, and a tab is read again only after a write had to repair it. Coordinators'
edits made during the run are seen by the next run. Limits: the snapshot holds every tab,
coordinators' own tabs too.

A write sends at most two requests (three when it updates a row not yet anchored, which is anchored
first and found in that request's own answer, see :mod:`google_anchors`): one atomic
``spreadsheets.batchUpdate`` that inserts appended rows (``insertDimension``, so an append never
overwrites a row), then one ``values:batchUpdateByDataFilter`` (``valueInputOption=RAW``, so a form
answer never becomes a formula) that finds each row by its anchor when the write is applied and
returns the header and rows as the write left them. :mod:`google_rows` plans that write and checks
the answer; whatever a coordinator's edit displaced just before the write is repaired by the next try
(a fresh read, then the repairs), at most :data:`~google_rows.ATTEMPTS` tries. Its docstring states
the limits.

The form's responses tab is the one Google made when the form was linked, found by its header
(:mod:`responses_tab`) whatever Google named it: give ``form_questions`` and every read and write of
*Form responses 1* goes to that tab (in a session the header comes with the first read, at no cost).
``setup`` then creates no *Form responses 1* a link would collide with.

Reading and changing the spreadsheet's shape (its settings and tabs, and setup's layout) is
:mod:`google_structure`, a base of :class:`SheetsWorkbook`. Every request passes through one choke
point, :class:`~google_client.SheetsHTTPClient`, which retries 429, 5xx, Google's 403 rate-limit
answers and connection errors with bounded, jittered backoff.
"""

from __future__ import annotations

import contextlib
import dataclasses
import logging
import threading
from collections.abc import Callable, Iterator, Mapping, Sequence
from typing import Any

from gspread.exceptions import APIError
from gspread.urls import SPREADSHEET_URL

from hsb_sheets.adapters.workbook import a1, google_anchors, google_claim, google_grid, google_rows
from hsb_sheets.adapters.workbook.base import HeldOpen, Table, Update, WriteBatch
from hsb_sheets.adapters.workbook.google_client import (
    API_DISABLED,
    SCOPES,
    SheetsHTTPClient,
    reasons,
)
from hsb_sheets.adapters.workbook.google_grid import Grid
from hsb_sheets.adapters.workbook.google_rows import RowWrite
from hsb_sheets.adapters.workbook.google_structure import LINK_THE_FORM, SheetsStructure, SpreadsheetInfo
from hsb_sheets.adapters.workbook.responses_tab import responses_tab
from hsb_sheets.domain.layout import written_dates
from hsb_sheets.domain.tabs import FORM_RESPONSES
from hsb_sheets.errors import WorkbookError
from hsb_sheets.logs import log

__all__ = ["LINK_THE_FORM", "SCOPES", "SheetsHTTPClient", "SheetsWorkbook", "SpreadsheetInfo"]

GRID_FIELDS = (
    "sheets(properties(sheetId,title,gridProperties(rowCount,columnCount)),"
    "data(rowData(values(formattedValue,effectiveValue(numberValue,boolValue))),"
    "rowMetadata(developerMetadata(metadataId,metadataKey))))"
)
WHOLE_FIELDS = "properties(title,locale,timeZone)," + GRID_FIELDS


class SheetsWorkbook(SheetsStructure):
    """The register in one Google spreadsheet."""

    def __init__(
        self,
        http: SheetsHTTPClient,
        spreadsheet_id: str,
        editor: str | None = None,
        form_questions: Sequence[str] | None = None,
        dates: Mapping[str, Mapping[str, str]] | None = None,
    ) -> None:
        self.http = http
        self.spreadsheet_id = spreadsheet_id
        self.editor = editor  # the service account: the only editor of protected system columns
        # The form is linked: its responses tab is the one whose header is Timestamp and these titles.
        self.form_questions = None if form_questions is None else tuple(form_questions)
        # The date columns the jobs write, per tab, and how: written and read as real date cells.
        self.dates = written_dates() if dates is None else dates
        self._responses: str | None = None  # that tab's name, found this session
        self._lock = threading.RLock()
        self._depth = 0
        self._grids: dict[str, Grid] = {}
        self._info: SpreadsheetInfo | None = None
        self._whole = False  # every tab of the spreadsheet is in _grids (read this session)

    # -- plumbing ------------------------------------------------------------------------------

    def _call(self, what: str, call: Callable[[], Any]) -> Any:
        try:
            return call()
        except APIError as problem:
            code = problem.response.status_code
            if code == 403:
                raise WorkbookError(_refusal(what, reasons(problem.response))) from None
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

    def _post(self, what: str, suffix: str, body: Mapping[str, Any]) -> Any:
        url = SPREADSHEET_URL % self.spreadsheet_id + suffix
        return self._call(what, lambda: self.http.request("post", url, json=body).json())

    @contextlib.contextmanager
    def session(self) -> Iterator[None]:
        """One run: tabs read are kept until the run ends, in step with the run's own writes."""
        with self._lock:
            self._depth += 1
            try:
                yield
            finally:
                self._depth -= 1
                if self._depth == 0:
                    self._forget()

    def _forget(self) -> None:
        self._grids.clear()
        self._info = None
        self._whole = False
        self._responses = None

    def _tab(self, name: str) -> str:
        """The tab a name means: *Form responses 1* is the form's linked tab, when the form is linked."""
        if name != FORM_RESPONSES or self.form_questions is None:
            return name
        if self._responses is not None:
            return self._responses
        found = self.responses_tab_name()
        if self._depth:
            self._responses = found
        return found

    def responses_tab_name(self) -> str:
        """The tab holding the form's responses (its header is Timestamp, then the form's questions).

        In a session it comes from the snapshot of every tab (no request of its own); outside one,
        from the first two rows of every tab (two requests). WorkbookError when no tab, or several,
        could be the form's.
        """
        with self._lock:
            if self.form_questions is None:
                return FORM_RESPONSES
            if self._depth and not self._whole:
                self._load_whole()
            tabs = self.describe().tabs
            rows = {n: (g.table.header, _holds_rows(g.table)) for n, g in self._grids.items() if n in tabs}
            rows.update(self._first_rows([n for n in tabs if n not in rows]))
            headers = {name: header for name, (header, _) in rows.items()}
            return responses_tab(headers, self.form_questions, {n for n, (_, held) in rows.items() if held})

    def _load_whole(self) -> None:
        """Every tab, with each row's anchor, and the spreadsheet's settings, in one spreadsheets.get."""
        params = {"includeGridData": "true", "fields": WHOLE_FIELDS}
        url = SPREADSHEET_URL % self.spreadsheet_id
        answer = self._call("read the register", lambda: self.http.request("get", url, params=params).json())
        grids = [google_grid.grid_from_sheet(sheet, self.dates) for sheet in answer.get("sheets", [])]
        properties = answer.get("properties", {})
        self._info = SpreadsheetInfo(
            str(properties.get("title", "")),
            str(properties.get("locale", "")),
            str(properties.get("timeZone", "")),
            tuple(g.table.name for g in grids),
        )
        self._grids = {g.table.name: g for g in grids}
        self._whole = True

    def _fetch(self, names: Sequence[str]) -> dict[str, Grid]:
        """Whole tabs, with each row's anchor, in one spreadsheets.get."""
        if not names:
            return {}
        params = {
            "ranges": [a1.quote_tab(n) for n in names],
            "includeGridData": "true",
            "fields": GRID_FIELDS,
        }
        url = SPREADSHEET_URL % self.spreadsheet_id
        answer = self._call(
            "read tabs " + ", ".join(names), lambda: self.http.request("get", url, params=params).json()
        )
        grids = {}
        for sheet in answer.get("sheets", []):
            grid = google_grid.grid_from_sheet(sheet, self.dates)
            grids[grid.table.name] = grid
        return {name: grids[name] for name in names}

    # -- the port ------------------------------------------------------------------------------

    def read(self, tabs: Sequence[str]) -> dict[str, Table]:
        """Tabs as text; within a session the first read fetches every tab, and later reads cost nothing.

        The tables given share their row lists with the session's snapshot (copying every row of a
        50,000-row register for each read cost seconds a run): read them, never change a cell in
        place. The session's own writes replace the rows they change, so a table keeps its rows as read.
        """
        with self._lock:
            if self._depth and not self._whole and any(t not in self._grids for t in tabs):
                self._load_whole()
            real = {t: self._tab(t) for t in tabs}
            missing = list(dict.fromkeys(r for r in real.values() if r not in self._grids))
            fetched = self._fetch(missing)
            if self._depth:
                self._grids.update(fetched)
            source = {**self._grids, **fetched}
            return {t: _share(source[real[t]].table) for t in tabs}

    def read_values(self, tab: str, column: str) -> list[str]:
        """One column's values as stored (a date-time as its serial number), row for row as read.

        They come with the tab's read (a number's or date-time's ``effectiveValue`` beside each cell's
        ``formattedValue``, in the same ``spreadsheets.get``; text is stored as shown), so they cost
        no request of their own and are one snapshot with the rows: a sort in between cannot give one
        response another's instant. Numbers come back as their text, TRUE and FALSE in capitals.
        """
        with self._lock:
            tab = self._tab(tab)
            grid = self._grids.get(tab)
            if grid is None:
                grid = self._fetch([tab])[tab]
                if self._depth:
                    self._grids[tab] = grid
            return grid.stored(column)

    def held_open(self) -> HeldOpen | None:
        """Always None: people edit a Google spreadsheet live, beside the jobs, and no save undoes them."""
        return None

    def write(self, batch: WriteBatch) -> None:
        """Write a batch with every value anchored to its row; repair what an edit displaced meanwhile.

        Outside a session the touched tabs are read first (one request more). A batch with appends
        and updates is two requests: should the second fail, the appended rows are written and the
        updates are not (the next run makes them again from the register). A repair puts overwritten
        cells back before a keyed update is tried again, so the key it looks for is there. An update
        of a row a coordinator deleted since the job read it is left out (logged, not an error).
        """
        if not batch:
            return
        with self._lock:
            batch = self._named(batch)
            names = sorted({w.tab for w in batch.appends} | {w.tab for w in batch.updates})
            missing = [n for n in names if n not in self._grids]
            grids = {**{n: self._grids[n] for n in names if n in self._grids}, **self._fetch(missing)}
            appends, updates, fixes = list(batch.appends), list(batch.updates), list[RowWrite]()
            google_rows.plan_rows(grids, appends, updates, fixes)  # a key the job never saw is an error
            gone: list[str] = []
            for _attempt in range(google_rows.ATTEMPTS):
                now, later = (updates, []) if not fixes else ([], updates)
                grids = self._anchored(grids, now)
                now, deleted = google_anchors.still_there(grids, now)
                plan = google_rows.plan_rows(grids, appends, now, fixes)
                outcome = self._send(plan, grids)
                gone += deleted + outcome.gone
                if outcome.done and not later:
                    if self._depth:
                        google_rows.remember(grids, plan)
                        self._grids.update(grids)
                    if gone:  # the row, and with it the need to write it, is gone: not an error
                        log(
                            "left alone rows a coordinator deleted while a job wrote",
                            logging.WARNING,
                            rows=len(gone),
                        )
                    return
                appends, updates, fixes = [], outcome.updates + later, outcome.fixes
                grids = self._fetch(names)  # the rows as they are now, to repair against
                for name in names:
                    self._grids.pop(name, None)
            raise WorkbookError(
                "The register's rows or columns kept moving while a job wrote to "
                + ", ".join(f"'{n}'" for n in names)
                + f" ({google_rows.ATTEMPTS} tries); values of its last try may sit in the wrong column "
                "of the rows they were meant for. Ask coordinators to pause inserting columns there and "
                "check those rows; the next run will finish the work."
            )

    def _named(self, batch: WriteBatch) -> WriteBatch:
        """The batch with *Form responses 1* named as the tab the form is linked to."""
        if all(w.tab != FORM_RESPONSES for w in batch.appends) and all(
            w.tab != FORM_RESPONSES for w in batch.updates
        ):
            return batch
        return WriteBatch(
            [dataclasses.replace(a, tab=self._tab(a.tab)) for a in batch.appends],
            [dataclasses.replace(u, tab=self._tab(u.tab)) for u in batch.updates],
        )

    def _anchored(self, grids: Mapping[str, Grid], updates: Sequence[Update]) -> dict[str, Grid]:
        """The tabs with every row these updates mean anchored, as the anchoring request left them.

        Anchors are made by row index, so an edit just before the request may put them on other
        rows; the request's own answer (the tabs after it, atomically) says which row holds which.
        Should a meant row still have none, every row of its tab is anchored at the next try, and
        the second anchors that leaves on rows are deleted by id. Costs nothing when every row meant
        has its anchor already (rows the jobs added carry one from the request that added them).
        """
        grids, wide = dict(grids), False
        for _attempt in range(google_rows.ATTEMPTS):
            rows = google_anchors.unanchored(grids, updates, wide)
            requests_ = google_anchors.anchor_requests(grids, rows)
            if not requests_:
                break
            tabs = sorted(set(rows) | {name for name, grid in grids.items() if grid.extra})
            body = {
                "requests": requests_,
                "includeSpreadsheetInResponse": True,
                "responseRanges": [a1.quote_tab(name) for name in tabs],
                "responseIncludeGridData": True,
            }
            answer = self._call(
                "anchor rows of the register",
                lambda body=body: self.http.batch_update(self.spreadsheet_id, body),  # type: ignore[misc]
            )
            for sheet in answer.get("updatedSpreadsheet", {}).get("sheets", []):
                grid = google_grid.grid_from_sheet(sheet, self.dates)
                grids[grid.table.name] = grid
            wide = bool(rows)
        return grids

    def _send(self, plan: google_rows.WritePlan, grids: Mapping[str, Grid]) -> google_rows.Outcome:
        """One try: insert and anchor rows (if needed), then write every value by its anchor."""
        structural, anchoring = google_rows.structural_requests(plan, grids)
        inserted: dict[str, list[str]] = {}
        if structural:
            body: dict[str, Any] = {"requests": structural}
            if plan.inserts:
                body.update(
                    includeSpreadsheetInResponse=True,
                    responseRanges=google_rows.header_ranges(plan),
                    responseIncludeGridData=True,
                )
            answer = self._call(
                "add rows to the register", lambda: self.http.batch_update(self.spreadsheet_id, body)
            )
            google_rows.give_anchors(plan, anchoring, answer.get("replies", []))
            inserted = google_rows.headers_of(answer.get("updatedSpreadsheet", {}))
        headers: dict[str, list[str]] = {}
        rows: dict[int, list[str]] = {}
        data = google_rows.value_ranges(plan, grids)
        if any("developerMetadataLookup" in d["dataFilter"] for d in data):
            values = {"valueInputOption": "RAW", "includeValuesInResponse": True, "data": data}
            answer = self._post("write to the register", "/values:batchUpdateByDataFilter", values)
            headers, rows = google_rows.read_answer(answer)
        return google_rows.check(plan, grids, headers, rows, inserted)

    def claim(self, tab: str, values: Mapping[str, str], keep: int = google_claim.KEEP) -> Table:
        """Put a row holding ``values`` first under the header of ``tab`` and return the tab as it then is.

        One atomic batchUpdate, so the rows below the new one are exactly those claimed before it (see
        :mod:`google_claim`). Only rows beyond the newest ``keep`` are deleted. Should the tab have
        changed since this session read it (another run wrote meanwhile), every other tab is read
        again at the next read.
        """
        with self._lock:
            if tab not in self._grids and self._depth and not self._whole:
                self._load_whole()
            before = self._grids.get(tab) or self._fetch([tab])[tab]
            body = {
                "requests": google_claim.claim_requests(before, values, keep),
                "includeSpreadsheetInResponse": True,
                "responseRanges": [a1.quote_tab(tab)],
                "responseIncludeGridData": True,
            }
            answer = self._call(
                f"write to the '{tab}' tab", lambda: self.http.batch_update(self.spreadsheet_id, body)
            )
            sheets = answer.get("updatedSpreadsheet", {}).get("sheets", [])
            after = google_grid.grid_from_sheet(sheets[0], self.dates)
            if not google_claim.unchanged(before, after, keep):
                self._forget()
            if self._depth:
                self._grids[tab] = after
            return _copy(after.table)


def _refusal(what: str, found: set[str]) -> str:
    """The message for a 403 that is not a rate limit: what to fix, by Google's reason."""
    if found & API_DISABLED:
        return (
            "The Google Sheets API is not enabled for the service account's Google Cloud project: "
            "enable it (APIs & Services > Library > Google Sheets API), then run again."
        )
    if found & {"forbidden", "PERMISSION_DENIED", "insufficientPermissions"}:
        return (
            "The service account may not open the register: share the spreadsheet with the "
            "service account's email address as an Editor."
        )
    why = " ".join(sorted(found)) or "no reason given"
    return f"Google Sheets refused to {what} (HTTP 403 {why})."


def _holds_rows(table: Table) -> bool:
    return any(any(cell.strip() for cell in row) for row in table.rows)


def _share(table: Table) -> Table:
    """The table with its own header and list of rows, sharing each row (see ``read``)."""
    return Table(table.name, list(table.header), list(table.rows))


def _copy(table: Table) -> Table:
    return Table(table.name, list(table.header), [row[:] for row in table.rows])
