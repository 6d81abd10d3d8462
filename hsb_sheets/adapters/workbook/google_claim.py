"""A claim row put at the top of a tab in one atomic request, and whether the tab changed meanwhile (no I/O).

The run lease on Google is such a claim: one ``spreadsheets.batchUpdate`` inserts the claim as the first
row below the header, anchors it, deletes claims older than the last :data:`KEEP`, and returns the
tab as it stands after. Requests to one spreadsheet are applied one at a time, so each claim sees
exactly the claims made before it, below it: a run has the lease when no claim below its own is
still live. No read is needed first, and two runs claiming at the same instant cannot both win.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from hsb_sheets.adapters.workbook.google_grid import ANCHOR_KEY, Grid

KEEP = 10  # claims kept on the tab (the newest); older ones are deleted by the next claim


def claim_requests(grid: Grid, values: Mapping[str, str], keep: int = KEEP) -> list[dict[str, Any]]:
    """Insert a row under the header holding ``values`` (as typed), anchor it, trim the oldest rows.

    ``grid`` is the tab as last read; rows others added since only lengthen it, so the trim stays
    inside the grid.
    """
    header = grid.table.header
    for column in values:
        grid.table.index(column)  # WorkbookError naming the missing column
    sheet = grid.sheet_id

    def span(start: int, end: int) -> dict[str, Any]:
        return {"sheetId": sheet, "dimension": "ROWS", "startIndex": start, "endIndex": end}

    cells = [{"userEnteredValue": {"stringValue": values.get(c, "")}} for c in header]
    metadata = {
        "metadataKey": ANCHOR_KEY,
        "location": {"dimensionRange": span(1, 2)},
        "visibility": "DOCUMENT",
    }
    requests_: list[dict[str, Any]] = [
        {"insertDimension": {"range": span(1, 2), "inheritFromBefore": False}},
        {
            "updateCells": {
                "rows": [{"values": cells}],
                "fields": "userEnteredValue",
                "start": {"sheetId": sheet, "rowIndex": 1, "columnIndex": 0},
            }
        },
        {"createDeveloperMetadata": {"developerMetadata": metadata}},
    ]
    end = min(len(grid.table.rows) + 2, grid.row_count + 1)
    if end > keep + 1:
        requests_.append({"deleteDimension": {"range": span(keep + 1, end)}})
    return requests_


def unchanged(before: Grid, after: Grid, keep: int = KEEP) -> bool:
    """True when the rows below the new claim are the rows as read before (trimmed): nobody wrote between."""
    kept = before.table.rows[: keep - 1]
    return after.table.header == before.table.header and after.table.rows[1:] == kept
