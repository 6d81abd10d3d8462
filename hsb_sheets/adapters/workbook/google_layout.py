"""The spreadsheets.batchUpdate requests that give a Google register its tabs and layout (no I/O).

Dropdowns, red rows, protected system columns, frozen headers and the marker recording which layout
was applied; :mod:`google_sheets` reads what is there, sends these and handles the answers.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from hsb_sheets.adapters.workbook import a1
from hsb_sheets.domain.layout import HIGHLIGHT, PROTECTION_NOTE, Dropdown, Highlight, Layout
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
        if any(p.get("description") == PROTECTION_NOTE for p in sheet.get("protectedRanges", [])):
            continue
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


def freeze_request(sheet: Mapping[str, Any]) -> dict[str, Any]:
    """Keep a tab's header row in view."""
    return {
        "updateSheetProperties": {
            "properties": {
                "sheetId": sheet["properties"]["sheetId"],
                "gridProperties": {"frozenRowCount": 1},
            },
            "fields": "gridProperties.frozenRowCount",
        }
    }


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
