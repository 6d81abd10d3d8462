"""A tab as read from Google, and kept in step with the session's writes (no I/O).

``spreadsheets.get`` with grid data gives each cell as a JSON object: ``formattedValue`` (what it
shows) and, for a number, date-time or boolean, its ``effectiveValue``; and each row's developer
metadata, among it the row's anchor (key ``hsb-row``, see :mod:`google_rows`). :func:`grid_from_sheet`
turns one tab of that answer into a :class:`Grid`: its table of shown text (a date column the jobs
write read back as the text they wrote, :mod:`google_dates`), the cells holding an effectiveValue,
and each row's anchor. At 50,000 referrals that is several million cells, so the reading is done at
C speed where it can be (``map`` over the cells) and keeps no second copy of any row.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from itertools import compress, repeat
from typing import Any

from hsb_sheets.adapters.workbook import google_dates
from hsb_sheets.adapters.workbook.base import Key, Table
from hsb_sheets.adapters.workbook.plan import KeyIndex, check_unique_keys

ANCHOR_KEY = "hsb-row"


@dataclass
class Grid:
    """A tab as read from Google: its table, sheet id, grid size and each table row's anchor id."""

    table: Table
    sheet_id: int
    row_count: int
    anchors: list[int | None]  # one per table row
    extra: list[int] = field(default_factory=list)  # ids of second anchors on a row, to delete
    # Per table row, its cells holding an effectiveValue (a number, date-time or boolean) by column, or
    # None: the rest of a row is stored as shown (see :meth:`stored`).
    effective: list[dict[int, Mapping[str, Any]] | None] = field(default_factory=list)
    dates: Mapping[str, str] = field(default_factory=dict)  # date columns the jobs write, and how
    # The table's rows by key, per key column, found once while the table stays as it is (:func:`remember`
    # forgets them when it changes the table: nothing else does).
    keys: dict[Key, KeyIndex] = field(default_factory=dict, repr=False, compare=False)

    def key_index(self, key_column: Key) -> KeyIndex:
        """The table's rows by key (see :func:`check_unique_keys`), kept until the table changes."""
        if key_column not in self.keys:
            self.keys[key_column] = check_unique_keys(self.table, key_column)
        return self.keys[key_column]

    def position(self, anchor: int) -> int | None:
        """The table row holding an anchor, or None if that row is gone."""
        return self.positions().get(anchor)

    def positions(self) -> dict[int, int]:
        """Table row by anchor id."""
        return {held: i for i, held in enumerate(self.anchors) if held is not None}

    def stored(self, column: str) -> list[str]:
        """One column's values as stored, row for row: a cell's effectiveValue as text, else as shown.

        Only the few cells holding an effectiveValue are kept from the read (one column of one tab
        is ever asked for), so a 50,000-row tab costs no second copy of its rows.
        """
        at = self.table.index(column)
        return [
            row[at] if held is None or at not in held else _unformatted(held[at])
            for row, held in zip(self.table.rows, self.effective, strict=True)
        ]


def grid_from_sheet(sheet: Mapping[str, Any], dates: Mapping[str, Mapping[str, str]] | None = None) -> Grid:
    """A tab from spreadsheets.get with grid data: its values as shown (a date the jobs wrote as its
    text, see :mod:`google_dates`), and each row's anchor. ``dates``: per tab, the date columns the
    jobs write."""
    properties = sheet["properties"]
    data = (sheet.get("data") or [{}])[0]
    cells: list[list[dict[str, Any]]] = [r.get("values", []) for r in data.get("rowData", [])]
    values = [list(map(dict.get, r, _FORMATTED, _NOTHING)) for r in cells]  # C speed: 50,000 rows
    while values and not any(values[-1]):
        values.pop()
    header = values[0] if values else []
    while header and not header[-1]:
        header.pop()
    width = len(header)
    effective = [_effective(r, width) for r in cells[1 : len(values)]]
    written = {c: k for c, k in (dates or {}).get(properties["title"], {}).items() if c in header}
    for column, kind in written.items():
        _as_written(effective, values, header.index(column), kind)
    rows = [r if len(r) == width else (r + [""] * width)[:width] for r in values[1:]]  # r: a fresh list
    table = Table(properties["title"], header, rows)
    held = list(_anchors(data.get("rowMetadata", [])))
    anchors = [ids[0] if ids else None for ids in held[1 : len(table.rows) + 1]]
    anchors += [None] * (len(table.rows) - len(anchors))
    grid = properties.get("gridProperties", {})
    extra = [i for ids in held for i in ids[1:]]
    return Grid(
        table,
        int(properties["sheetId"]),
        int(grid.get("rowCount", 0)),
        anchors,
        extra=extra,
        effective=effective,
        dates=written,
    )


# Arguments for map(dict.get, ...) and map(dict.__contains__, ...): twice as fast as a methodcaller
_FORMATTED, _NOTHING, _EFFECTIVE = repeat("formattedValue"), repeat(""), repeat("effectiveValue")


def _effective(cells: list[dict[str, Any]], width: int) -> dict[int, Mapping[str, Any]] | None:
    """A row's cells within the header's width holding an effectiveValue, by column; None if none do."""
    kept = list(compress(range(width), map(dict.__contains__, cells, _EFFECTIVE)))  # stops at the shorter
    return {i: cells[i] for i in kept} if kept else None


def _as_written(
    effective: Sequence[Mapping[int, Mapping[str, Any]] | None], values: list[list[str]], at: int, kind: str
) -> None:
    """A date column's numbers read as the text the jobs wrote (what does not read as one is shown).

    Each number is read once per column: a column of dates holds the same days again and again.
    """
    texts: dict[float | str, str | None] = {}
    for row, held in zip(values[1:], effective, strict=True):
        if held is not None and at in held and "numberValue" in (value := held[at]["effectiveValue"]):
            number = value["numberValue"]
            if number not in texts:
                texts[number] = google_dates.cell_text(number, kind)
            if (text := texts[number]) is not None:
                row[at] = text


def _unformatted(cell: Mapping[str, Any]) -> str:
    """A cell's effectiveValue as text (a date-time as its serial number); its display if none came."""
    value = cell.get("effectiveValue", {})
    for kind in ("numberValue", "stringValue", "boolValue"):
        if kind in value:
            return str(value[kind]).upper() if kind == "boolValue" else str(value[kind])
    return str(cell.get("formattedValue", ""))


def _anchors(row_metadata: Sequence[Mapping[str, Any]]) -> Iterator[list[int]]:
    for row in row_metadata:
        held = row.get("developerMetadata") if row else None
        if not held:  # most rows beyond the table: no metadata at all
            yield []
        elif len(held) == 1:  # the usual row: its anchor alone
            yield [int(held[0]["metadataId"])] if held[0].get("metadataKey") == ANCHOR_KEY else []
        else:
            yield [int(m["metadataId"]) for m in held if m.get("metadataKey") == ANCHOR_KEY]
