"""Anchoring the rows keyed updates mean before they are written by anchor (no I/O).

A row the jobs did not add (made by an earlier version, or typed by a coordinator) has no anchor
until a job first updates it. Anchors can only be created by row index, so an edit just before the
anchoring request (a sort, an inserted or deleted row) puts them on other rows; the request asks
for the tabs as it left them (``includeSpreadsheetInResponse``, atomic with the anchoring), and the
write then goes by the anchors that answer shows on the rows meant. Should a meant row still have
none, every row of its tab is anchored at the next try, whichever row lands where, and the second
anchors that leaves on rows are deleted by id (a data filter: no index involved). Rows already
anchored cost nothing here.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from hsb_sheets.adapters.workbook.base import Update
from hsb_sheets.adapters.workbook.google_grid import ANCHOR_KEY, Grid
from hsb_sheets.adapters.workbook.google_rows import shown

WIDE_SLACK = 10  # blank rows below a tab also anchored when anchoring every row (rows inserted meanwhile)


def unanchored(
    grids: Mapping[str, Grid], updates: Sequence[Update], wide: bool = False
) -> dict[str, list[int]]:
    """Sheet row indexes, by tab, to anchor before keyed updates are written by anchor.

    Normally the rows the updates mean that have no anchor yet. ``wide``: every row of those tabs
    (and a few blank rows below, for rows inserted meanwhile, within a grid that
    may meanwhile have lost as many rows), for when an edit keeps moving the rows
    between a read and the request anchoring them; every row then gets an anchor, whichever row
    lands where, and second anchors are deleted afterwards (:func:`anchor_requests`).
    """
    found: dict[str, set[int]] = {}
    for update in updates:
        grid = grids[update.tab]
        position = grid.key_index(update.key_column).positions.get(update.key)
        if position is not None and grid.anchors[position] is None:
            found.setdefault(update.tab, set()).add(position + 1)
    if wide:
        for tab in found:
            grid = grids[tab]
            found[tab] = set(
                range(1, min(grid.row_count - WIDE_SLACK, len(grid.table.rows) + 1 + WIDE_SLACK))
            )
    return {tab: sorted(rows) for tab, rows in found.items()}


def still_there(grids: Mapping[str, Grid], updates: Sequence[Update]) -> tuple[list[Update], list[str]]:
    """The updates whose row is still in its tab, and the rows (shown) a coordinator deleted meanwhile."""
    kept: list[Update] = []
    gone: list[str] = []
    for update in updates:
        if update.key in grids[update.tab].key_index(update.key_column).positions:
            kept.append(update)
        else:
            gone.append(shown(update))
    return kept, gone


def anchor_requests(grids: Mapping[str, Grid], rows: Mapping[str, Sequence[int]]) -> list[dict[str, Any]]:
    """batchUpdate requests anchoring these rows and deleting every second anchor (found by its id)."""
    requests_: list[dict[str, Any]] = []
    for tab, indexes in sorted(rows.items()):
        for index in indexes:
            span = {
                "sheetId": grids[tab].sheet_id,
                "dimension": "ROWS",
                "startIndex": index,
                "endIndex": index + 1,
            }
            metadata = {
                "metadataKey": ANCHOR_KEY,
                "location": {"dimensionRange": span},
                "visibility": "DOCUMENT",
            }
            requests_.append({"createDeveloperMetadata": {"developerMetadata": metadata}})
    for grid in grids.values():
        for extra in grid.extra:
            lookup = {"developerMetadataLookup": {"metadataId": extra}}
            requests_.append({"deleteDeveloperMetadata": {"dataFilter": lookup}})
    return requests_
