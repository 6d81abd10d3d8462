"""The workbook port: read tabs, and write appends and keyed updates in one batch.

Rows are addressed by the value of a key column (a case id, a response id), never by a row number,
because coordinators sort, filter and insert rows while jobs run. Every value is text: a form
answer such as ``=HYPERLINK(...)`` is stored as the characters typed, never as a formula.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from typing import Protocol

from hsb_sheets.domain.layout import Layout
from hsb_sheets.domain.tabs import TabSpec
from hsb_sheets.errors import WorkbookError


@dataclass
class Table:
    """A tab as read: its header and its rows, every row padded to the header's width."""

    name: str
    header: list[str]
    rows: list[list[str]]

    def index(self, column: str) -> int:
        """Position of a column; WorkbookError if the header lacks it."""
        try:
            return self.header.index(column)
        except ValueError:
            raise WorkbookError(
                f"The '{self.name}' tab has no '{column}' column. Run 'hsb-sheets setup' to repair it."
            ) from None

    def column(self, name: str) -> list[str]:
        """Every value of one column, top to bottom."""
        i = self.index(name)
        return [row[i] for row in self.rows]

    def records(self) -> Iterator[dict[str, str]]:
        """Each row as a mapping of header to value."""
        for row in self.rows:
            yield dict(zip(self.header, row, strict=False))


@dataclass(frozen=True)
class Append:
    """A new row at the bottom of a tab; columns not given are left blank."""

    tab: str
    values: Mapping[str, str]


Key = str | tuple[str, ...]


@dataclass(frozen=True)
class Update:
    """New values for some columns of the one row whose ``key_column`` holds ``key``.

    A key may span several columns (a tuple of column names and a tuple of values), for tabs whose
    rows coordinators add by hand, such as Interventions (case, intervention and start date).
    """

    tab: str
    key_column: Key
    key: Key
    values: Mapping[str, str]


@dataclass
class WriteBatch:
    """Everything one step of a job writes, applied all together or not at all."""

    appends: list[Append] = field(default_factory=list)
    updates: list[Update] = field(default_factory=list)

    def __bool__(self) -> bool:
        return bool(self.appends or self.updates)

    def extend(self, other: WriteBatch) -> None:
        """Add another batch's writes after this one's."""
        self.appends.extend(other.appends)
        self.updates.extend(other.updates)


class Workbook(Protocol):
    """The register. Implementations: ``xlsx`` (local file), ``memory`` (tests)."""

    def session(self) -> AbstractContextManager[None]:
        """Hold the register exclusively for a job run, so two runs never interleave."""
        ...

    def ensure_tabs(self, specs: Sequence[TabSpec]) -> list[str]:
        """Create missing tabs and add missing header columns; say what was changed."""
        ...

    def apply_layout(self, layout: Layout) -> list[str]:
        """Apply dropdowns, highlighted rows and protected system columns; say what changed.

        Applying the same layout twice changes nothing the second time.
        """
        ...

    def read(self, tabs: Sequence[str]) -> dict[str, Table]:
        """Read whole tabs; WorkbookError if one is missing."""
        ...

    def write(self, batch: WriteBatch) -> None:
        """Apply a batch atomically; WorkbookError (and nothing written) if a key or column is unknown."""
        ...


def row_key(table: Table, key_column: Key) -> Callable[[list[str]], Key]:
    """A function giving a row's key (stripped) for a key of one or several columns."""
    if isinstance(key_column, str):
        i = table.index(key_column)
        return lambda row: row[i].strip()
    indexes = [table.index(c) for c in key_column]
    return lambda row: tuple(row[i].strip() for i in indexes)


def check_unique_keys(table: Table, key_column: Key) -> KeyIndex:
    """Map each key to its row position, remembering keys found on more than one row."""
    index = KeyIndex(table.name)
    key_of = row_key(table, key_column)
    for position, row in enumerate(table.rows):
        key = key_of(row)
        if not key or key == ("",) * len(key):
            continue
        if key in index.positions:
            index.repeated.add(key)
        index.positions[key] = position
    return index


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


def apply_batch(tables: Mapping[str, Table], batch: WriteBatch) -> None:
    """Apply a batch to tables in memory, checking everything before changing anything.

    Shared by adapters that hold a whole workbook in memory (xlsx and the in-memory fake).
    """
    planned: list[tuple[Table, int, dict[int, str]]] = []
    key_positions: dict[tuple[str, Key], KeyIndex] = {}
    for update in batch.updates:
        table = _table(tables, update.tab)
        cache_key = (update.tab, update.key_column)
        if cache_key not in key_positions:
            key_positions[cache_key] = check_unique_keys(table, update.key_column)
        position = key_positions[cache_key].position(update.key_column, update.key)
        planned.append((table, position, {table.index(c): v for c, v in update.values.items()}))
    new_rows: list[tuple[Table, list[str]]] = []
    for append in batch.appends:
        table = _table(tables, append.tab)
        row = [""] * len(table.header)
        for column, value in append.values.items():
            row[table.index(column)] = value
        new_rows.append((table, row))
    for table, position, cells in planned:
        for index, value in cells.items():
            table.rows[position][index] = value
    for table, row in new_rows:
        table.rows.append(row)


def _table(tables: Mapping[str, Table], name: str) -> Table:
    if name not in tables:
        raise WorkbookError(f"The register has no '{name}' tab. Run 'hsb-sheets setup' to create it.")
    return tables[name]


def ensure_in_memory(tables: dict[str, Table], specs: Sequence[TabSpec]) -> list[str]:
    """Create missing tabs and append missing columns to headers; return what changed."""
    changes = []
    for spec in specs:
        table = tables.get(spec.name)
        if table is None:
            tables[spec.name] = Table(spec.name, list(spec.header), [])
            changes.append(f"created tab '{spec.name}'")
            continue
        for column in spec.header:
            if column not in table.header:
                table.header.append(column)
                for row in table.rows:
                    row.append("")
                changes.append(f"added column '{column}' to '{spec.name}'")
    return changes


def last_used_row(table: Table, rows: int | None = None) -> int:
    """The sheet row of the last row holding any value among the first ``rows`` rows (all by default).

    Blank rows at the end are reused by appends; the header is row 1.
    """
    row = len(table.rows) if rows is None else rows
    while row > 0 and not any(table.rows[row - 1]):
        row -= 1
    return row + 1
