"""The register as one ``.xlsx`` workbook on disk (the local backend).

Writes go to a temporary file in the same folder that then replaces the workbook, under a file lock,
so two runs never interleave and a crash never leaves a half-written register. Every value is
written as a text cell, so nothing a form supplied can become a formula.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import os
import tempfile
from collections.abc import Iterator, Sequence
from pathlib import Path

from filelock import FileLock, Timeout
from openpyxl import Workbook as OpenpyxlBook
from openpyxl import load_workbook
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.styles import Font
from openpyxl.worksheet.worksheet import Worksheet

from hsb_sheets.adapters.workbook.base import Table, WriteBatch, apply_batch, check_unique_keys
from hsb_sheets.domain.tabs import TabSpec
from hsb_sheets.errors import WorkbookError

_BOLD = Font(bold=True)


def cell_text(value: object) -> str:
    """A cell's value as the text the rest of the system sees."""
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, dt.datetime):
        return value.isoformat(sep=" ", timespec="seconds")
    if isinstance(value, dt.date):
        return value.isoformat()
    return str(value)


def set_text(sheet: Worksheet, row: int, column: int, value: str) -> None:
    """Store a value as a text cell (never a formula); blank text clears the cell."""
    cell = sheet.cell(row=row, column=column)
    if not value:
        cell.value = None
        return
    cell.value = ILLEGAL_CHARACTERS_RE.sub("", value)
    cell.data_type = "s"


class XlsxWorkbook:
    """The register in an ``.xlsx`` file, locked for the length of a session."""

    def __init__(self, path: Path, lock_timeout: float = 60.0) -> None:
        self.path = Path(path)
        self._lock = FileLock(str(self.path) + ".lock", timeout=lock_timeout)
        self._book: OpenpyxlBook | None = None
        self._depth = 0

    @contextlib.contextmanager
    def session(self) -> Iterator[None]:
        """Hold the file lock and keep the loaded workbook between reads and writes."""
        try:
            self._lock.acquire()
        except Timeout:
            raise WorkbookError(
                f"Another run is using {self.path.name}; try again when it has finished."
            ) from None
        self._depth += 1
        try:
            yield
        finally:
            self._depth -= 1
            if self._depth == 0:
                self._book = None
            self._lock.release()

    def _load(self) -> OpenpyxlBook:
        if self._book is not None:
            return self._book
        if not self.path.exists():
            raise WorkbookError(f"There is no register at {self.path}. Run 'hsb-sheets init' first.")
        try:
            book = load_workbook(self.path)
        except Exception as problem:  # openpyxl raises many kinds for a damaged file
            raise WorkbookError(
                f"{self.path.name} cannot be opened as a workbook ({type(problem).__name__})."
            ) from None
        if self._depth:
            self._book = book
        return book

    def _save(self, book: OpenpyxlBook) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd, temporary = tempfile.mkstemp(prefix=".register-", suffix=".xlsx", dir=self.path.parent)
        os.close(fd)
        try:
            book.save(temporary)
            with open(temporary, "rb") as fh:
                os.fsync(fh.fileno())
            os.replace(temporary, self.path)
        except BaseException:
            self._book = None  # the copy in memory no longer matches the file
            with contextlib.suppress(FileNotFoundError):
                os.unlink(temporary)
            raise

    def ensure_tabs(self, specs: Sequence[TabSpec]) -> list[str]:
        """Create the file, missing tabs and missing header columns."""
        with self.session():
            if self.path.exists():
                book = self._load()
            else:
                book = OpenpyxlBook()
                assert book.active is not None
                book.remove(book.active)
            changes = []
            for spec in specs:
                created = spec.name not in book.sheetnames
                if created:
                    sheet = book.create_sheet(spec.name)
                    header: list[str] = []
                    changes.append(f"created tab '{spec.name}'")
                else:
                    sheet = book[spec.name]
                    header = [cell_text(c.value) for c in sheet[1]]
                    while header and not header[-1]:
                        header.pop()
                for column in spec.header:
                    if column not in header:
                        header.append(column)
                        set_text(sheet, 1, len(header), column)
                        sheet.cell(row=1, column=len(header)).font = _BOLD
                        if not created:
                            changes.append(f"added column '{column}' to '{spec.name}'")
                sheet.freeze_panes = "A2"
            if changes or not self.path.exists():
                self._save(book)
            return changes

    def _table(self, book: OpenpyxlBook, name: str) -> Table:
        if name not in book.sheetnames:
            raise WorkbookError(f"The register has no '{name}' tab. Run 'hsb-sheets setup' to create it.")
        sheet = book[name]
        rows = [[cell_text(v) for v in row] for row in sheet.iter_rows(values_only=True)]
        header = rows[0] if rows else []
        while header and not header[-1]:
            header.pop()
        width = len(header)
        body = [(r + [""] * width)[:width] for r in rows[1:]]
        return Table(name, header, body)

    def read(self, tabs: Sequence[str]) -> dict[str, Table]:
        """Read whole tabs as text."""
        with self.session():
            book = self._load()
            return {name: self._table(book, name) for name in tabs}

    def write(self, batch: WriteBatch) -> None:
        """Check the whole batch, apply it to the workbook and replace the file in one step."""
        if not batch:
            return
        with self.session():
            book = self._load()
            names = {w.tab for w in batch.appends} | {w.tab for w in batch.updates}
            tables = {name: self._table(book, name) for name in names}
            apply_batch(tables, batch)  # raises before anything changes if a key or column is wrong
            for update in batch.updates:
                table = tables[update.tab]
                position = check_unique_keys(table, update.key_column)[update.key]
                for column, value in update.values.items():
                    set_text(book[update.tab], position + 2, table.index(column) + 1, value)
            for append in batch.appends:
                table = tables[append.tab]
                sheet = book[append.tab]
                row = _last_used_row(sheet) + 1
                for column, value in append.values.items():
                    set_text(sheet, row, table.index(column) + 1, value)
            self._save(book)


def _last_used_row(sheet: Worksheet) -> int:
    """The last row holding any value (openpyxl's max_row also counts formatted empty rows)."""
    row = sheet.max_row
    while row > 1 and all(c.value in (None, "") for c in sheet[row]):
        row -= 1
    return row
