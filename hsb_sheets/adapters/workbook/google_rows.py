"""Writes anchored to the rows they mean, and the check that proves where they landed (no I/O).

Every row a job writes on Google carries an *anchor*: row developer metadata (key ``hsb-row``) created
in the same atomic ``spreadsheets.batchUpdate`` that inserts the row, or, for a row the jobs did not
add (made by an earlier version, or typed by a coordinator), created where the row was read. Google
keeps metadata with its row as rows are inserted, deleted or moved ("it will remain associated at
those locations as they move around and the spreadsheet is edited ... If the associated object is
deleted then its metadata is deleted too":
https://developers.google.com/workspace/sheets/api/reference/rest/v4/spreadsheets.developerMetadata).
Values are then written with ``values:batchUpdateByDataFilter``, each row found by its anchor's id at
the moment the write is applied, so a sort or an inserted or deleted row at any instant changes
nothing about which row a value lands on.

Columns cannot be anchored the same way (a data filter selects one row *or* one column, never their
crossing), so the same request also writes nothing into each tab's header row and, with
``includeValuesInResponse``, returns the header and every written row as they were when the write
was applied. :func:`check` compares them with what was planned: a column inserted just before the
write, or an anchor created on a row that moved before it was created, shows there, and the check
returns the repairs (the overwritten cells' earlier values, and the intended values again) for the
next attempt. Appended rows are inserted with ``insertDimension``, so they never overwrite anything.

Limits, stated plainly. Each row the jobs add, or update for the first time, carries one developer
metadata entry (key ``hsb-row``, no value): at 50,000 cases, 50,000 on Referrals plus one per Outbox
message, meeting, next step and Audit log line. The reference pages (the DeveloperMetadata resource,
the metadata guide) state no cap on how many a sheet may carry; if Google ever refuses one, the
atomic batch inserting the rows fails whole and the run stops with a WorkbookError, nothing written.
Every read returns each row's anchor with its values (about 70 bytes more per anchored row). The
anchor-to-key map always comes from the latest read, so an anchor is only trusted for the moments
between a read and the write after it, and the key check covers even those: were a sort not to move
metadata, or a coordinator to cut and paste a row's cells, the check would see the row holding
another key and repair it. Repairs put cells back to their values as read, so a coordinator's edit
of those very cells in the same instant is lost. A column inserted before each of several consecutive
write requests (well under a second apart) makes the write stop with a clear error after
:data:`ATTEMPTS` tries; what its last try displaced then stays displaced (within the rows meant) and
the error says to check those tabs.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from hsb_sheets.adapters.workbook import a1, google_dates
from hsb_sheets.adapters.workbook.base import Append, Key, Update, WriteBatch
from hsb_sheets.adapters.workbook.google_grid import ANCHOR_KEY, Grid, grid_from_sheet
from hsb_sheets.adapters.workbook.plan import last_used_row, plan_writes, row_key

ATTEMPTS = 4  # write tries before giving up when the register keeps changing under the write


@dataclass(frozen=True)
class RowWrite:
    """Values for one row found by its anchor (a repair): ``full`` rows are the jobs' own, blank elsewhere."""

    tab: str
    anchor: int
    values: Mapping[str, str]
    full: bool = False
    clear: tuple[int, ...] = ()  # columns (from 0) without a header name to blank, if still unnamed


@dataclass
class Placed:
    """One row's write, resolved: which row (as read), its anchor if it has one, and why it is written."""

    tab: str
    row: int  # sheet row index from 0 (the header is 0), where a missing anchor is created
    values: dict[str, str]
    anchor: int | None = None
    new: bool = False  # an appended row: inserted, so every column not given is blank
    origin: Update | None = None  # the keyed update this write carries out, if any
    full: bool = False
    clear: tuple[int, ...] = ()


@dataclass
class WritePlan:
    """Rows to insert per tab (sheet row index, count), every row write, and the headers planned on."""

    inserts: dict[str, tuple[int, int]] = field(default_factory=dict)
    placed: list[Placed] = field(default_factory=list)
    headers: dict[str, list[str]] = field(default_factory=dict)

    def tabs(self) -> list[str]:
        """The tabs this plan writes to."""
        return sorted({p.tab for p in self.placed})


def plan_rows(
    grids: Mapping[str, Grid], appends: Sequence[Append], updates: Sequence[Update], fixes: Sequence[RowWrite]
) -> WritePlan:
    """Resolve appends, keyed updates and repairs against the tabs as read; WorkbookError if any is wrong.

    Appends go below the last row holding a value (rows are inserted there, never overwritten).
    A repair whose anchor is no longer in the tab (its row was deleted) is dropped.
    """
    tables = {name: grid.table for name, grid in grids.items()}
    batch = WriteBatch(list(appends), list(updates))
    plan_writes(tables, batch, lambda table, key: grids[table.name].key_index(key))  # the shared checks
    plan = WritePlan(headers={name: list(tables[name].header) for name in grids})
    for update in updates:
        position = grids[update.tab].key_index(update.key_column).position(update.key_column, update.key)
        anchor = grids[update.tab].anchors[position]
        plan.placed.append(Placed(update.tab, position + 1, dict(update.values), anchor, origin=update))
    where = {name: grid.positions() for name, grid in grids.items()}
    for fix in fixes:
        for column in fix.values:
            tables[fix.tab].index(column)
        found = where[fix.tab].get(fix.anchor)
        header = tables[fix.tab].header
        clear = tuple(i for i in fix.clear if i < len(header) and not header[i])
        if found is not None:
            placed = Placed(fix.tab, found + 1, dict(fix.values), fix.anchor, full=fix.full, clear=clear)
            plan.placed.append(placed)
    for append in appends:
        start, count = plan.inserts.get(append.tab, (last_used_row(tables[append.tab]), 0))
        plan.inserts[append.tab] = (start, count + 1)
        plan.placed.append(Placed(append.tab, start + count, dict(append.values), new=True, full=True))
    return plan


def structural_requests(
    plan: WritePlan, grids: Mapping[str, Grid]
) -> tuple[list[dict[str, Any]], list[Placed]]:
    """The batchUpdate requests inserting appended rows with their values and anchoring every row.

    Returns the requests and the placed writes in the order of their createDeveloperMetadata replies.
    Inserts lie below every existing row written, so the rows read keep their indexes; an appended
    row's values are set in the same atomic request (``stringValue``: stored as typed, never a formula).
    """
    requests_: list[dict[str, Any]] = []
    for tab, (start, count) in sorted(plan.inserts.items()):
        span = {
            "sheetId": grids[tab].sheet_id,
            "dimension": "ROWS",
            "startIndex": start,
            "endIndex": start + count,
        }
        requests_.append({"insertDimension": {"range": span, "inheritFromBefore": True}})
    for placed in plan.placed:
        if placed.new:
            header, dates = plan.headers[placed.tab], grids[placed.tab].dates
            cells = [{"userEnteredValue": _entered(placed.values.get(c, ""), dates.get(c))} for c in header]
            start_at = {"sheetId": grids[placed.tab].sheet_id, "rowIndex": placed.row, "columnIndex": 0}
            update = {"rows": [{"values": cells}], "fields": "userEnteredValue", "start": start_at}
            requests_.append({"updateCells": update})
    requests_ += _date_formats(plan, grids)
    anchoring: list[Placed] = []
    made: set[tuple[str, int]] = set()
    for placed in plan.placed:
        if placed.anchor is not None or (placed.tab, placed.row) in made:
            continue
        made.add((placed.tab, placed.row))
        anchoring.append(placed)
        span = {
            "sheetId": grids[placed.tab].sheet_id,
            "dimension": "ROWS",
            "startIndex": placed.row,
            "endIndex": placed.row + 1,
        }
        metadata = {"metadataKey": ANCHOR_KEY, "location": {"dimensionRange": span}, "visibility": "DOCUMENT"}
        requests_.append({"createDeveloperMetadata": {"developerMetadata": metadata}})
    return requests_, anchoring


def _entered(text: str, kind: str | None) -> dict[str, Any]:
    """An appended cell's userEnteredValue: a date the jobs write as its number, else the text as typed."""
    number = google_dates.number_of(text, kind) if kind else None
    return {"stringValue": text} if number is None else {"numberValue": number}


def _date_formats(plan: WritePlan, grids: Mapping[str, Grid]) -> list[dict[str, Any]]:
    """The date format on the appended rows' date columns (a row inserted under the header would
    inherit none), one request per tab and column."""
    requests_ = []
    for tab, (start, count) in sorted(plan.inserts.items()):
        header = plan.headers[tab]
        for column, kind in grids[tab].dates.items():
            if column in header:
                span = (start, start + count)
                requests_.append(
                    google_dates.format_request(grids[tab].sheet_id, header.index(column), span, kind)
                )
    return requests_


def header_ranges(plan: WritePlan) -> list[str]:
    """The header rows to return with the structural batch: those of tabs getting new rows."""
    return [f"{a1.quote_tab(tab)}!1:1" for tab in sorted(plan.inserts)]


def headers_of(spreadsheet: Mapping[str, Any]) -> dict[str, list[str]]:
    """Header rows by tab, from a batchUpdate's ``updatedSpreadsheet`` (grid data of the header rows)."""
    return {
        sheet["properties"]["title"]: grid_from_sheet(sheet).table.header
        for sheet in spreadsheet.get("sheets", [])
    }


def give_anchors(plan: WritePlan, anchoring: Sequence[Placed], replies: Sequence[Mapping[str, Any]]) -> None:
    """Record the ids Google gave the anchors just created (every write to the same row shares it)."""
    created = [
        r["createDeveloperMetadata"]["developerMetadata"]["metadataId"]
        for r in replies
        if "createDeveloperMetadata" in r
    ]
    ids = {(p.tab, p.row): int(i) for p, i in zip(anchoring, created, strict=True)}
    for placed in plan.placed:
        if placed.anchor is None:
            placed.anchor = ids[(placed.tab, placed.row)]


def value_ranges(plan: WritePlan, grids: Mapping[str, Grid]) -> list[dict[str, Any]]:
    """The values:batchUpdateByDataFilter data: a probe of each header row, then each row by its anchor
    (a date the jobs write goes as its number, see :mod:`google_dates`).

    A probe writes nothing (a null cell is skipped) but makes the answer carry the header as it was
    when the write was applied.
    """
    existing = [p for p in plan.placed if not p.new]
    data: list[dict[str, Any]] = [
        {"dataFilter": {"a1Range": f"{a1.quote_tab(tab)}!1:1"}, "majorDimension": "ROWS", "values": [[None]]}
        for tab in sorted({p.tab for p in existing})
    ]
    for placed in existing:
        header, dates = plan.headers[placed.tab], grids[placed.tab].dates
        row: list[str | float | None] = [""] * len(header) if placed.full else [None] * len(header)
        for column, value in placed.values.items():
            number = google_dates.number_of(value, dates[column]) if column in dates else None
            row[header.index(column)] = value if number is None else number  # RAW: a number stays one
        for i in placed.clear:
            row[i] = ""
        while row and row[-1] is None:
            row.pop()
        lookup = {"developerMetadataLookup": {"metadataId": placed.anchor}}
        data.append({"dataFilter": lookup, "majorDimension": "ROWS", "values": [row]})
    return data


@dataclass
class Outcome:
    """What a write's answer showed: what to write again, and keyed rows deleted before the write."""

    updates: list[Update] = field(default_factory=list)
    fixes: list[RowWrite] = field(default_factory=list)
    gone: list[str] = field(default_factory=list)

    @property
    def done(self) -> bool:
        """True when every value landed where it was meant to."""
        return not (self.updates or self.fixes)


def check(
    plan: WritePlan,
    grids: Mapping[str, Grid],
    headers: Mapping[str, list[str]],
    rows: Mapping[int, list[str]],
    inserted: Mapping[str, list[str]],
) -> Outcome:
    """Compare each header and anchored row, as the write left them, with the plan; the repairs needed.

    A row written under a header that moved gets its overwritten cells back (their values as read,
    blank in a new column) and its values again at the right columns; a row that turns out to hold
    another key gets its cells back and the keyed update is planned afresh. Appended rows are checked
    against ``inserted``, the headers returned by the request that inserted them.
    """
    outcome = Outcome()
    for placed in plan.placed:
        assert placed.anchor is not None
        if placed.new:
            planned, seen = plan.headers[placed.tab], inserted.get(placed.tab, [])
            if any(_at(seen, i) != name for i, name in enumerate(planned)):
                outcome.fixes.append(RowWrite(placed.tab, placed.anchor, placed.values, full=True))
            continue
        if placed.anchor not in rows:
            if placed.origin is not None:
                outcome.gone.append(shown(placed.origin))
            continue
        planned, seen, row = plan.headers[placed.tab], headers.get(placed.tab, []), rows[placed.anchor]
        written = list(range(len(planned))) if placed.full else [planned.index(c) for c in placed.values]
        moved = [i for i in written if _at(seen, i) != planned[i]]
        origin = placed.origin
        hit = {_at(seen, i) for i in written}
        before: list[str] | None = None
        if origin is None:
            right_row = True
        elif hit & set(
            _columns(origin.key_column)
        ):  # the write landed on the key itself: ask the row as read
            before = _before(placed, grids[placed.tab], seen, row, hit)
            key_of = row_key(grids[placed.tab].table, origin.key_column)
            right_row = before is not None and _norm(key_of(before)) == _norm(origin.key)
        else:
            right_row = _key(seen, row, origin.key_column) == _norm(origin.key)
        if not moved and right_row:
            continue
        if before is None:
            before = _before(placed, grids[placed.tab], seen, row, hit)
        restore: dict[str, str] = {}
        clear: list[int] = []
        for i in moved if right_row else written:
            name = _at(seen, i)
            if right_row and name in placed.values:
                continue  # written again, at its place
            if not name:
                clear.append(i)  # a column inserted without a name yet
            elif name in planned and before is not None:
                restore[name] = before[planned.index(name)]
            else:
                restore[name] = ""
        if right_row:
            values = {**restore, **placed.values}
            outcome.fixes.append(RowWrite(placed.tab, placed.anchor, values, placed.full, tuple(clear)))
        else:
            assert origin is not None
            outcome.updates.append(origin)
            outcome.fixes.append(RowWrite(placed.tab, placed.anchor, restore, clear=tuple(clear)))
    return outcome


def _before(placed: Placed, grid: Grid, seen: list[str], row: list[str], hit: set[str]) -> list[str] | None:
    """The row's values as read before the write: by its anchor if it had one then; otherwise by the
    key it holds, or (the key itself overwritten) by the one row as read matching every cell not written."""
    if placed.new or placed.full:
        return None
    position = grid.position(placed.anchor) if placed.anchor is not None else None
    if position is not None:
        return grid.table.rows[position]
    planned = grid.table.header
    if placed.origin is not None and not hit & set(_columns(placed.origin.key_column)):
        holds = _key(seen, row, placed.origin.key_column)
        key_of = row_key(grid.table, placed.origin.key_column)
        matches = [r for r in grid.table.rows if _norm(key_of(r)) == holds]
    else:
        kept = [
            (planned.index(n), _at(row, i)) for i, n in enumerate(seen) if n and n not in hit and n in planned
        ]
        matches = [r for r in grid.table.rows if all(r[j] == value for j, value in kept)]
    return matches[0] if len(matches) == 1 else None


def _columns(key_column: Key) -> tuple[str, ...]:
    return (key_column,) if isinstance(key_column, str) else key_column


def _at(header: list[str], i: int) -> str:
    return header[i] if i < len(header) else ""


def _norm(key: Key) -> tuple[str, ...]:
    return (key.strip(),) if isinstance(key, str) else tuple(k.strip() for k in key)


def _key(header: list[str], row: list[str], key_column: Key) -> tuple[str, ...] | None:
    columns = _columns(key_column)
    if any(c not in header for c in columns):
        return None
    return tuple((row[header.index(c)] if header.index(c) < len(row) else "").strip() for c in columns)


def shown(update: Update) -> str:
    """A keyed update's row, as a message names it."""
    key = update.key if isinstance(update.key, str) else " / ".join(update.key)
    return f"'{update.tab}' row {key}"


def read_answer(answer: Mapping[str, Any]) -> tuple[dict[str, list[str]], dict[int, list[str]]]:
    """Headers by tab and rows by anchor id, from a values:batchUpdateByDataFilter answer."""
    headers: dict[str, list[str]] = {}
    rows: dict[int, list[str]] = {}
    for response in answer.get("responses", []):
        found = response.get("dataFilter", {})
        values = [[str(v) for v in r] for r in response.get("updatedData", {}).get("values", [])]
        first = values[0] if values else []
        if "a1Range" in found:
            headers[a1.tab_of(found["a1Range"])] = first
        elif "metadataId" in found.get("developerMetadataLookup", {}):
            rows[int(found["developerMetadataLookup"]["metadataId"])] = first
    return headers, rows


def remember(grids: Mapping[str, Grid], plan: WritePlan) -> None:
    """Bring tabs held in memory in step with a write that landed as planned.

    A row written is replaced by a new list, never changed in place: tables read earlier in the
    session share the rows they were given (see ``SheetsWorkbook.read``) and keep them as read.
    RAW text is stored as written, so a cell written is stored as it is shown from then on.
    """
    for tab, (start, count) in plan.inserts.items():
        grid = grids[tab]
        width = len(grid.table.header)
        grid.table.rows[start - 1 : start - 1] = [[""] * width for _ in range(count)]
        grid.anchors[start - 1 : start - 1] = [None] * count
        grid.effective[start - 1 : start - 1] = [None] * count
        grid.row_count += count
        grid.keys.clear()
    for placed in plan.placed:
        grid, position = grids[placed.tab], placed.row - 1  # rows are inserted below every row written
        grid.keys.clear()  # a key may have changed
        if grid.anchors[position] is None:
            grid.anchors[position] = placed.anchor
        grid.table.rows[position] = _written(grid, grid.table.rows[position], placed)
        held = grid.effective[position]
        if held is not None:
            columns = {grid.table.index(c) for c in placed.values}
            kept = {} if placed.full else {i: cell for i, cell in held.items() if i not in columns}
            grid.effective[position] = kept or None


def _written(grid: Grid, row: list[str], placed: Placed) -> list[str]:
    """A copy of a row with a write's values in it."""
    new = [""] * len(row) if placed.full else list(row)
    for column, value in placed.values.items():
        new[grid.table.index(column)] = value
    return new
