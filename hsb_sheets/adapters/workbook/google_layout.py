"""The spreadsheets.batchUpdate requests that give a Google register its tabs and layout (no I/O).

Each tab laid out for people (columns moved into order, frozen, sized, filtered, technical ones
grouped, date formats), dropdowns, red rows, protected system columns and the marker recording which
layout was applied (a layout is applied whole when its fingerprint changes, an earlier layout's
protections and red rows replaced); :mod:`google_sheets` reads what is there, sends these and
handles the answers.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from hsb_sheets.adapters.workbook import a1
from hsb_sheets.domain.layout import HIGHLIGHT, PROTECTION_NOTE, Dropdown, Highlight, Layout
from hsb_sheets.domain.presentation import TabView, arranged
from hsb_sheets.domain.tabs import TabSpec

NEW_TAB_ROWS = 5000  # so appends rarely need the grid to grow (two extra requests when they do)
LAYOUT_KEY = "hsb-sheets-layout"  # the developer metadata holding the applied layout's fingerprint


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


def layout_requests(
    layout: Layout, sheets: Mapping[str, Any], headers: Mapping[str, list[str]], editor: str | None
) -> list[dict[str, Any]]:
    """The dropdown, red-row and protection requests a layout still needs.

    ``editor`` is the only account that may edit protected system columns; with none, editing them
    only shows a warning.
    """
    requests_ = [_dropdown_request(sheets[d.tab], headers[d.tab], d) for d in layout.dropdowns]
    for highlight in layout.highlights:
        request = _highlight_request(sheets[highlight.tab], headers[highlight.tab], highlight)
        if request is not None:
            requests_.append(request)
    for spec in layout.protected:
        sheet = sheets[spec.name]
        system = [headers[spec.name].index(c) for c in spec.system if c in headers[spec.name]]
        requests_ += [_protect_request(sheet, start, end, editor) for start, end in _blocks(system)]
    return requests_


def _protect_request(sheet: Mapping[str, Any], start: int, end: int, editor: str | None) -> dict[str, Any]:
    """Protect a block of system columns: only the service account edits them (or a warning)."""
    protected: dict[str, Any] = {
        "range": {
            "sheetId": sheet["properties"]["sheetId"],
            "startColumnIndex": start,
            "endColumnIndex": end,
        },
        "description": PROTECTION_NOTE,
    }
    if editor:
        protected.update(warningOnly=False, editors={"users": [editor]})
    else:
        protected["warningOnly"] = True
    return {"addProtectedRange": {"protectedRange": protected}}


def first_requests(sheets: Mapping[str, Any], tab: str) -> list[dict[str, Any]]:
    """Make ``tab`` the leftmost tab, the one a coordinator sees first, unless it is already."""
    sheet = sheets.get(tab) if tab else None
    if sheet is None or sheet["properties"].get("index", 0) == 0:
        return []
    properties = {"sheetId": sheet["properties"]["sheetId"], "index": 0}
    return [{"updateSheetProperties": {"properties": properties, "fields": "index"}}]


def add_sheet_request(spec: TabSpec) -> dict[str, Any]:
    """A new tab with room for appends and its header row frozen."""
    grid = {"rowCount": NEW_TAB_ROWS, "columnCount": max(26, len(spec.header) + 5), "frozenRowCount": 1}
    return {"addSheet": {"properties": {"title": spec.name, "gridProperties": grid}}}


def _dropdown_request(sheet: Mapping[str, Any], header: list[str], dropdown: Dropdown) -> dict[str, Any]:
    """A strict list validation on one column below the header."""
    column = header.index(dropdown.column)
    return {
        "setDataValidation": {
            "range": {
                "sheetId": sheet["properties"]["sheetId"],
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


def _highlight_request(
    sheet: Mapping[str, Any], header: list[str], highlight: Highlight
) -> dict[str, Any] | None:
    """Red rows where one column holds a value; None if the tab has that rule already."""
    letter = a1.column_letters(header.index(highlight.column) + 1)
    formula = f'=${letter}2="{highlight.equals}"'
    existing = [
        v.get("userEnteredValue")
        for rule in sheet.get("conditionalFormats", [])
        for v in rule.get("booleanRule", {}).get("condition", {}).get("values", [])
    ]
    if formula in existing:
        return None
    area = {
        "sheetId": sheet["properties"]["sheetId"],
        "startRowIndex": 1,
        "startColumnIndex": 0,
        "endColumnIndex": len(header),
    }
    condition = {"type": "CUSTOM_FORMULA", "values": [{"userEnteredValue": formula}]}
    rule = {
        "ranges": [area],
        "booleanRule": {"condition": condition, "format": {"backgroundColor": _colour(HIGHLIGHT)}},
    }
    return {"addConditionalFormatRule": {"index": 0, "rule": rule}}


def marker_requests(fingerprint: str, *, replace: bool) -> list[dict[str, Any]]:
    """Record the layout applied (replacing an older marker), so the same layout is not applied twice."""
    requests_: list[dict[str, Any]] = []
    if replace:
        lookup = {"developerMetadataLookup": {"metadataKey": LAYOUT_KEY}}
        requests_.append({"deleteDeveloperMetadata": {"dataFilter": lookup}})
    marker = {
        "metadataKey": LAYOUT_KEY,
        "metadataValue": fingerprint,
        "location": {"spreadsheet": True},
        "visibility": "DOCUMENT",
    }
    requests_.append({"createDeveloperMetadata": {"developerMetadata": marker}})
    return requests_


PIXELS_PER_CHARACTER = 7
_PATTERNS = {"date": ("DATE", "dd/mm/yyyy"), "date-time": ("DATE_TIME", "dd/mm/yyyy hh:mm")}


def moves(header: Sequence[str], target: Sequence[str]) -> list[tuple[int, int]]:
    """The (from, to) column moves, one at a time, that turn ``header`` into ``target``."""
    now, steps = list(header), []
    for position, name in enumerate(target):
        at = now.index(name)
        if at != position:
            steps.append((at, position))
            now.insert(position, now.pop(at))
    return steps


def view_requests(
    view: TabView, sheet: Mapping[str, Any], header: Sequence[str]
) -> tuple[list[dict[str, Any]], list[str]]:
    """The requests that lay one tab out for people, and its header once they are applied.

    Whole columns are moved (``moveDimension``: values, formats, dropdowns and coordinators' edits
    go with them); then the header and key columns are frozen, columns sized, a filter set on the
    tab, the technical columns grouped and collapsed, and the date columns given the one format.
    """
    sheet_id = sheet["properties"]["sheetId"]
    target = arranged(header, view)
    requests_: list[dict[str, Any]] = [_move(sheet_id, at, to) for at, to in moves(header, target)]
    frozen = sum(1 for name in target[: view.frozen] if name in view.order[: view.frozen])
    grid = {"frozenRowCount": 1, "frozenColumnCount": frozen}
    requests_.append(
        {
            "updateSheetProperties": {
                "properties": {"sheetId": sheet_id, "gridProperties": grid},
                "fields": "gridProperties.frozenRowCount,gridProperties.frozenColumnCount",
            }
        }
    )
    for index, name in enumerate(target):
        requests_.append(_width(sheet_id, index, view.width(name)))
    dates = dict(view.dates)
    for index, name in enumerate(target):
        if name in dates:
            requests_.append(_date_format(sheet_id, index, *_PATTERNS[dates[name]]))
    requests_.append({"setBasicFilter": {"filter": {"range": {"sheetId": sheet_id}}}})
    requests_ += _group_requests(sheet, [i for i, name in enumerate(target) if name in view.technical])
    return requests_, target


def _columns(sheet_id: int, start: int, end: int) -> dict[str, Any]:
    return {"sheetId": sheet_id, "dimension": "COLUMNS", "startIndex": start, "endIndex": end}


def _move(sheet_id: int, at: int, to: int) -> dict[str, Any]:
    # destinationIndex counts positions before the move: moving right lands before that column.
    destination = to if to < at else to + 1
    return {"moveDimension": {"source": _columns(sheet_id, at, at + 1), "destinationIndex": destination}}


def _width(sheet_id: int, index: int, characters: int) -> dict[str, Any]:
    return {
        "updateDimensionProperties": {
            "range": _columns(sheet_id, index, index + 1),
            "properties": {"pixelSize": characters * PIXELS_PER_CHARACTER + 16},
            "fields": "pixelSize",
        }
    }


def _date_format(sheet_id: int, index: int, kind: str, pattern: str) -> dict[str, Any]:
    area = {"sheetId": sheet_id, "startRowIndex": 1, "startColumnIndex": index, "endColumnIndex": index + 1}
    return {
        "repeatCell": {
            "range": area,
            "cell": {"userEnteredFormat": {"numberFormat": {"type": kind, "pattern": pattern}}},
            "fields": "userEnteredFormat.numberFormat",
        }
    }


def _group_requests(sheet: Mapping[str, Any], technical: Sequence[int]) -> list[dict[str, Any]]:
    """The technical columns in one collapsed group (groups an earlier layout made removed first)."""
    sheet_id = sheet["properties"]["sheetId"]
    requests_: list[dict[str, Any]] = [
        {"deleteDimensionGroup": {"range": group["range"]}} for group in sheet.get("columnGroups", [])
    ]
    if technical:
        span = _columns(sheet_id, min(technical), max(technical) + 1)
        requests_.append({"addDimensionGroup": {"range": span}})
        group = {"range": span, "depth": 1, "collapsed": True}
        requests_.append({"updateDimensionGroup": {"dimensionGroup": group, "fields": "collapsed"}})
    return requests_


def unprotect_requests(sheet: Mapping[str, Any]) -> list[dict[str, Any]]:
    """Remove the protections an earlier layout put on system columns (they are put on again)."""
    return [
        {"deleteProtectedRange": {"protectedRangeId": p["protectedRangeId"]}}
        for p in sheet.get("protectedRanges", [])
        if p.get("description") == PROTECTION_NOTE and "protectedRangeId" in p
    ]


def unhighlight_requests(sheet: Mapping[str, Any], layout: Layout, tab: str) -> list[dict[str, Any]]:
    """Remove an earlier layout's red-row rules on a tab whose columns move (highest index first)."""
    ends = tuple(f'2="{h.equals}"' for h in layout.highlights if h.tab == tab)
    found = (
        [
            index
            for index, rule in enumerate(sheet.get("conditionalFormats", []))
            if any(
                str(v.get("userEnteredValue", "")).endswith(ends)
                for v in rule.get("booleanRule", {}).get("condition", {}).get("values", [])
            )
        ]
        if ends
        else []
    )
    sheet_id = sheet["properties"]["sheetId"]
    return [{"deleteConditionalFormatRule": {"sheetId": sheet_id, "index": i}} for i in reversed(found)]
