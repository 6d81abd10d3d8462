"""The workbook port: read tabs, and write appends and keyed updates in one batch.

Rows are addressed by the value of a key column (a case id, a response id), never by a row number,
because coordinators sort, filter and insert rows while jobs run. Every value is text: a form
answer such as ``=HYPERLINK(...)`` is stored as the characters typed, never as a formula.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol

from hsb_sheets.domain.layout import Layout
from hsb_sheets.domain.tabs import TabSpec
from hsb_sheets.errors import WorkbookError


@dataclass(frozen=True)
class HeldOpen:
    """The register is open in a desktop program, which holds its owner lock file beside it.

    ``since`` is when the program took the lock (an aware time); ``stale`` says the lock is older
    than a working day allows, so it may have been left by a program that crashed. It is still
    respected: the jobs cannot tell a crashed program from a coordinator who left the file open.
    """

    program: str  # "Excel" or "LibreOffice"
    since: datetime
    lock_file: str  # the lock file's name, never its content (which names the person)
    stale: bool = False

    def describe(self, register: str) -> str:
        """One sentence for a person: which program, since when, and (if stale) what to check."""
        when = self.since.strftime("%Y-%m-%d %H:%M %Z").strip()
        text = f"{register} is open in {self.program} (since {when})"
        if self.stale:
            text += (
                f"; that is a long time: if nobody has it open ({self.program} may have crashed), "
                f"delete the lock file '{self.lock_file}' beside it"
            )
        return text + "."


class RegisterHeldOpen(WorkbookError):
    """A write refused, untouched, because a desktop program has the register open.

    That program's next save would silently undo anything written now. The jobs still do their
    work and bring the register up to date on the first run after the program closes it.
    """

    def __init__(self, register: str, held: HeldOpen) -> None:
        super().__init__(
            held.describe(register)
            + " Nothing was written to it, so that program's next save cannot undo the jobs' work;"
            " the jobs will bring the register up to date once it is closed."
        )
        self.held = held


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

    def records(self, columns: Iterable[str] | None = None) -> Iterator[dict[str, str]]:
        """Each row as a mapping of header to value; of the header's ``columns`` only, if given (a job
        reading a few columns of every case need not map all of them)."""
        if columns is None:
            for row in self.rows:
                yield dict(zip(self.header, row, strict=False))
            return
        at = {c: i for i, c in enumerate(self.header)}  # a name twice: the last, as records() has it
        wanted = [(c, at[c]) for c in dict.fromkeys(columns) if c in at]
        for row in self.rows:
            yield {c: row[i] for c, i in wanted}

    def keyed(self, column: str) -> Keyed:
        """The rows by one column's value (as it is; blanks left out, the last row of a value kept), each
        made a mapping only when asked for: a job that looks up a few cases need not map them all.
        A tab without the column has no rows by it."""
        at = {c: i for i, c in enumerate(self.header)}.get(column)  # a name twice: the last, as records()
        return Keyed(self, (lambda row: "") if at is None else (lambda row: row[at]))


class Keyed(Mapping[Any, dict[str, str]]):
    """A table's rows by a key made from each row, each made a mapping (a fresh dict) only when asked for.

    Indexing the key alone, not making every row a dict, keeps a lookup of a few cases in a 50,000-row
    tab quick, and the index is made only when first asked. A falsy key leaves its row out; a key on
    several rows gives the last, as a dict built from the rows would. The table is read as it is then:
    a table as read, which nobody changes.
    """

    def __init__(self, table: Table, key: Callable[[list[str]], Any]) -> None:
        self._table = table
        self._key = key
        self._index: dict[Any, int] | None = None

    @property
    def _at(self) -> dict[Any, int]:
        if self._index is None:
            key = self._key
            self._index = {k: i for i, row in enumerate(self._table.rows) if (k := key(row))}
        return self._index

    def __getitem__(self, key: object) -> dict[str, str]:
        return dict(zip(self._table.header, self._table.rows[self._at[key]], strict=False))

    def __contains__(self, key: object) -> bool:
        return key in self._at

    def __iter__(self) -> Iterator[Any]:
        return iter(self._at)

    def __len__(self) -> int:
        return len(self._at)


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

    def read_values(self, tab: str, column: str) -> list[str]:
        """One column's values as stored rather than as shown, row for row with ``read`` (header excluded).

        A date-time cell gives its value, whatever its number format shows: on Google the serial
        number (days since 30 December 1899 in the spreadsheet's time zone, with the fraction of a
        second), from the same request as ``read``; locally the text as read (a real date-time cell
        reads as ISO text with its microseconds). WorkbookError if the tab or column is missing.
        """
        ...

    def write(self, batch: WriteBatch) -> None:
        """Apply a batch atomically; WorkbookError (and nothing written) if a key or column is unknown.

        RegisterHeldOpen (and nothing written) while a desktop program has the register open.
        """
        ...

    def held_open(self) -> HeldOpen | None:
        """The desktop program holding the register open, if any (always None on Google)."""
        ...
