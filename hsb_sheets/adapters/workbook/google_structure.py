"""The spreadsheet itself on Google: its settings and tabs, header rows, and laying it out (setup).

The part of :class:`~google_sheets.SheetsWorkbook` that reads and changes the spreadsheet's shape
rather than its rows: ``describe`` (title, locale, time zone, tabs), ``tab_headers``, and what
``setup`` does, ``ensure_tabs`` and ``apply_layout`` (:mod:`google_layout`).
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from gspread.urls import SPREADSHEET_URL

from hsb_sheets.adapters.workbook import a1
from hsb_sheets.adapters.workbook.google_client import SheetsHTTPClient
from hsb_sheets.adapters.workbook.google_grid import Grid
from hsb_sheets.adapters.workbook.google_layout import (
    LAYOUT_KEY,
    add_sheet_request,
    first_requests,
    layout_requests,
    marker_requests,
    unhighlight_requests,
    unprotect_requests,
    view_requests,
)
from hsb_sheets.domain.layout import Layout
from hsb_sheets.domain.tabs import FORM_RESPONSES, TabSpec
from hsb_sheets.errors import WorkbookError

INFO_FIELDS = "properties(title,locale,timeZone),sheets(properties(sheetId,title,index))"
LINK_THE_FORM = (
    "no tab holds the form's responses yet: link the form to this spreadsheet (in Google Forms: "
    "Responses, Link to Sheets, Select existing spreadsheet); Google adds a tab of its own, and the "
    "jobs find it by its header (Timestamp, then the form's questions)"
)


@dataclass(frozen=True)
class SpreadsheetInfo:
    """The spreadsheet's own settings and its tabs, in order (for doctor to compare with Settings)."""

    title: str
    locale: str
    time_zone: str
    tabs: tuple[str, ...]


class SheetsStructure:
    """The spreadsheet's shape: a base of :class:`~google_sheets.SheetsWorkbook`, which supplies these."""

    http: SheetsHTTPClient
    spreadsheet_id: str
    editor: str | None
    form_questions: tuple[str, ...] | None
    _lock: threading.RLock
    _depth: int
    _grids: dict[str, Grid]
    _info: SpreadsheetInfo | None

    def _call(self, what: str, call: Callable[[], Any]) -> Any:
        raise NotImplementedError

    def _fetch(self, names: Sequence[str]) -> dict[str, Grid]:
        raise NotImplementedError

    def _forget(self) -> None:
        raise NotImplementedError

    def responses_tab_name(self) -> str:
        """The tab holding the form's responses (see :class:`~google_sheets.SheetsWorkbook`)."""
        raise NotImplementedError

    # -- the spreadsheet itself ----------------------------------------------------------------

    def describe(self) -> SpreadsheetInfo:
        """Title, locale, time zone and tab names (one spreadsheets.get, kept for the session)."""
        with self._lock:
            if self._info is None:
                url = SPREADSHEET_URL % self.spreadsheet_id
                answer = self._call(
                    "read the spreadsheet's settings",
                    lambda: self.http.request("get", url, params={"fields": INFO_FIELDS}).json(),
                )
                properties = answer.get("properties", {})
                sheets = sorted(answer.get("sheets", []), key=lambda s: s["properties"].get("index", 0))
                info = SpreadsheetInfo(
                    str(properties.get("title", "")),
                    str(properties.get("locale", "")),
                    str(properties.get("timeZone", "")),
                    tuple(str(s["properties"]["title"]) for s in sheets),
                )
                if not self._depth:
                    return info
                self._info = info
            return self._info

    def tab_headers(self, names: Sequence[str] | None = None) -> dict[str, list[str]]:
        """Each tab's header row (all tabs if none are named): one values:batchGet of first rows.

        Tabs already read in this session cost nothing; naming no tab costs one more request (the
        tab list, from :meth:`describe`).
        """
        with self._lock:
            wanted = list(self.describe().tabs if names is None else names)
            missing = [n for n in wanted if n not in self._grids]
            headers = {n: list(self._grids[n].table.header) for n in wanted if n in self._grids}
            headers.update({n: header for n, (header, _) in self._first_rows(missing).items()})
            return {n: headers[n] for n in wanted}

    def _first_rows(self, names: Sequence[str]) -> dict[str, tuple[list[str], bool]]:
        """Each tab's header row, and whether a row below it holds anything: one values:batchGet."""
        if not names:
            return {}
        answer = self._call(
            "read header rows",
            lambda: self.http.values_batch_get(
                self.spreadsheet_id, [f"{a1.quote_tab(n)}!1:2" for n in names]
            ),
        )
        rows: dict[str, tuple[list[str], bool]] = {}
        for name, value_range in zip(names, answer.get("valueRanges", []), strict=True):
            values = value_range.get("values") or [[]]
            below = values[1] if len(values) > 1 else []
            rows[name] = (_trimmed([str(v) for v in values[0]]), any(str(v).strip() for v in below))
        return rows

    def apply_layout(self, layout: Layout) -> list[str]:
        """Each tab laid out for people, dropdowns, red rows and protected system columns, in one
        batchUpdate (:mod:`google_layout`).

        A marker (developer metadata holding the layout's fingerprint) makes a second run a no-op; a
        register laid out by an earlier version has its columns moved, by header, once.
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
                ({d.tab for d in layout.dropdowns} | {h.tab for h in layout.highlights})
                | {p.name for p in layout.protected}
                | {v.tab for v in layout.views if v.tab in sheets}
            )
            read = {name: grid.table.header for name, grid in self._fetch(tabs).items()}
            requests_ = _clearing_requests(layout, sheets)
            headers = dict(read)
            for view in layout.views:
                if view.tab in sheets:
                    laid_out, headers[view.tab] = view_requests(view, sheets[view.tab], read[view.tab])
                    requests_ += laid_out
            cleared = {name: {**sheet, "conditionalFormats": []} for name, sheet in sheets.items()}
            requests_ += layout_requests(layout, cleared, headers, self.editor)
            requests_ += first_requests(sheets, layout.first)
            requests_ += marker_requests(layout.fingerprint(), replace=marker is not None)
            self._call(
                "format the register",
                lambda: self.http.batch_update(self.spreadsheet_id, {"requests": requests_}),
            )
            self._forget()  # columns may have moved
            return [
                f"laid out {len(layout.views)} tabs; applied {len(layout.dropdowns)} dropdowns, "
                f"{len(layout.highlights)} highlights and protection of system columns on "
                f"{len(layout.protected)} tabs"
            ]

    def ensure_tabs(self, specs: Sequence[TabSpec]) -> list[str]:
        """Create missing tabs (header row frozen) and add missing header columns."""
        with self._lock:
            metadata = self._call(
                "read the register's tabs", lambda: self.http.fetch_sheet_metadata(self.spreadsheet_id)
            )
            existing = {s["properties"]["title"] for s in metadata.get("sheets", [])}
            if self.form_questions is not None:  # the form's own tab: linking the form makes it
                specs = [spec for spec in specs if spec.name != FORM_RESPONSES]
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
                header = headers[spec.name].table.header
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
            self._forget()
            if self.form_questions is not None:
                try:
                    self.responses_tab_name()
                except WorkbookError:
                    changes.append(LINK_THE_FORM)
            return changes


def _clearing_requests(layout: Layout, sheets: Mapping[str, Any]) -> list[dict[str, Any]]:
    """An earlier layout's protections and red rows removed, so they are put on again by header."""
    requests_: list[dict[str, Any]] = []
    for name, sheet in sheets.items():
        requests_ += unprotect_requests(sheet) + unhighlight_requests(sheet, layout, name)
    return requests_


def _trimmed(cells: list[str]) -> list[str]:
    while cells and not cells[-1]:
        cells.pop()
    return cells
