"""The one write path: a batch of appends and keyed updates, resolved against tabs as read.

:func:`plan_writes` finds every row by its key and places every appended row, checking the whole
batch (unknown tab or column, a key on no row or on two rows) before anything is written; each
backend then only does its own I/O with the plan. :func:`apply_plan` brings tables held in memory
in step with a plan, and :func:`table_from_values` turns raw cell rows into a :class:`Table`.
Rows and columns in a plan are sheet numbers, counted from 1 (the header is row 1).

Registers saved by desktop programs hold empty formatted rows: they read as no rows, appends go
after the last row holding a value, and a row whose key cell is empty is not a keyed row, so an
update for an empty key (a job echoing such a row back) addresses nothing and is left out.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from operator import itemgetter
from typing import Any

from hsb_sheets.adapters.workbook.base import Key, Table, WriteBatch
from hsb_sheets.errors import WorkbookError


@dataclass(frozen=True)
class CellChange:
    """One value an update writes, at a sheet row and column."""

    row: int
    column: int
    value: str


@dataclass(frozen=True)
class NewRow:
    """An appended row: its sheet row, its full values, and the columns the append gave."""

    row: int
    values: list[str]
    given: tuple[int, ...]

    def cells(self) -> dict[tuple[int, int], str]:
        """Only the cells the append gave a value for (the rest of the row is left as it is)."""
        return {(self.row, column): self.values[column - 1] for column in self.given}


@dataclass
class TabPlan:
    """Everything a batch writes to one tab, in batch order."""

    tab: str
    width: int
    updates: list[CellChange] = field(default_factory=list)
    appends: list[NewRow] = field(default_factory=list)
    end_row: int = 1  # the last sheet row in use once the appends are written

    def cells(self) -> dict[tuple[int, int], str]:
        """Every cell the plan sets, by (row, column): the updates, then the appends' given values."""
        changes = {(c.row, c.column): c.value for c in self.updates}
        for new in self.appends:
            changes.update(new.cells())
        return changes


KeyIndexer = Callable[[Table, Key], "KeyIndex"]  # a tab's rows by key, as check_unique_keys gives them


def plan_writes(
    tables: Mapping[str, Table], batch: WriteBatch, key_index: KeyIndexer | None = None
) -> dict[str, TabPlan]:
    """Resolve a batch against the tabs it touches; WorkbookError (and no plan) if any part is wrong.

    ``key_index`` gives a tab's rows by key (a backend may keep them while its tables stay unchanged);
    by default they are found afresh (:func:`check_unique_keys`).
    """
    index_of = check_unique_keys if key_index is None else key_index
    plans: dict[str, TabPlan] = {}

    def plan_for(name: str) -> TabPlan:
        if name not in plans:
            table = _table(tables, name)
            plans[name] = TabPlan(name, len(table.header), end_row=last_used_row(table))
        return plans[name]

    indexes: dict[tuple[str, Key], KeyIndex] = {}
    for update in batch.updates:
        table, plan = _table(tables, update.tab), plan_for(update.tab)
        if _blank(update.key):
            continue
        if (update.tab, update.key_column) not in indexes:
            indexes[(update.tab, update.key_column)] = index_of(table, update.key_column)
        row = indexes[(update.tab, update.key_column)].position(update.key_column, update.key) + 2
        changes = [CellChange(row, table.index(c) + 1, v) for c, v in update.values.items()]
        plan.updates.extend(changes)
    for append in batch.appends:
        table, plan = _table(tables, append.tab), plan_for(append.tab)
        values = [""] * len(table.header)
        given = []
        for column, value in append.values.items():
            values[table.index(column)] = value
            given.append(table.index(column) + 1)
        plan.end_row += 1
        plan.appends.append(NewRow(plan.end_row, values, tuple(given)))
    return plans


def apply_plan(tables: Mapping[str, Table], plans: Mapping[str, TabPlan]) -> None:
    """Make tables held in memory match what a plan writes (appends fill blank rows or extend the tab)."""
    for name, plan in plans.items():
        rows = tables[name].rows
        for change in plan.updates:
            rows[change.row - 2][change.column - 1] = change.value
        for new in plan.appends:
            position = new.row - 2
            while len(rows) < position:
                rows.append([""] * plan.width)
            rows[position : position + 1] = [list(new.values)]


def trim_header(cells: list[str]) -> list[str]:
    """A header row without the blank cells after its last column name."""
    header = list(cells)
    while header and not header[-1]:
        header.pop()
    return header


def table_from_values(name: str, rows: list[list[str]]) -> Table:
    """A tab from its cell rows as stored (row 1 the header): every row padded or cut to the header.

    Empty rows after the last row holding a value in the header's columns are left out.
    """
    header = trim_header(rows[0]) if rows else []
    width = len(header)
    table = Table(name, header, [(r + [""] * width)[:width] for r in rows[1:]])
    del table.rows[last_used_row(table) - 1 :]
    return table


def last_used_row(table: Table) -> int:
    """The sheet row of the last row holding any value (blank rows at the end are reused by appends)."""
    row = len(table.rows)
    while row > 0 and not any(table.rows[row - 1]):
        row -= 1
    return row + 1


def _blank(key: Key) -> bool:
    return not (key.strip() if isinstance(key, str) else any(part.strip() for part in key))


def row_key(table: Table, key_column: Key) -> Callable[[list[str]], Key]:
    """A function giving a row's key (stripped) for a key of one or several columns."""
    if isinstance(key_column, str):
        i = table.index(key_column)
        return lambda row: row[i].strip()
    indexes = [table.index(c) for c in key_column]
    return lambda row: tuple(row[i].strip() for i in indexes)


def check_unique_keys(table: Table, key_column: Key) -> KeyIndex:
    """Map each key to its row position, remembering keys found on more than one row."""
    keys: list[Any]
    blank: Key
    if isinstance(key_column, str):  # the usual key: its cells stripped at C speed (50,000 rows)
        keys, blank = list(map(str.strip, map(itemgetter(table.index(key_column)), table.rows))), ""
    else:
        key_of = row_key(table, key_column)
        keys, blank = [key_of(row) for row in table.rows], ("",) * len(key_column)
    positions: dict[Key, int] = dict(zip(keys, range(len(keys)), strict=True))  # on several rows: the last
    positions.pop(blank, None)
    repeated: set[Key] = set()
    if len(positions) < len(keys) - keys.count(blank):  # some key is on two rows: which ones
        seen: set[Key] = set()
        for key in keys:
            if key in seen:
                repeated.add(key)
            seen.add(key)
        repeated.discard(blank)
    return KeyIndex(table.name, positions, repeated)


@dataclass
class KeyIndex:
    """Row positions by key. A key on two rows is never written: nobody can tell which is meant."""

    tab: str
    positions: dict[Key, int] = field(default_factory=dict)
    repeated: set[Key] = field(default_factory=set)

    def position(self, key_column: Key, key: Key) -> int:
        """Where the row with this key is; WorkbookError if there is none, or more than one."""
        shown = key if isinstance(key, str) else " / ".join(key)
        if key in self.repeated:
            raise WorkbookError(
                f"The '{self.tab}' tab has '{shown}' on two rows; remove one so jobs know which to update."
            )
        if key not in self.positions:
            raise WorkbookError(f"The '{self.tab}' tab has no row with {key_column} {shown!r}.")
        return self.positions[key]


def _table(tables: Mapping[str, Table], name: str) -> Table:
    if name not in tables:
        raise WorkbookError(f"The register has no '{name}' tab. Run 'hsb-sheets setup' to create it.")
    return tables[name]
