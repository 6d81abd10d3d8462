"""The register as one ``.xlsx`` workbook on disk (the local backend).

Writes go to a temporary file in the same folder that then replaces the workbook, under a file lock,
so two runs never interleave and a crash never leaves a half-written register. Every value is
written as a text cell, so nothing a form supplied can become a formula.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import io
import os
import tempfile
from collections.abc import Iterator, Sequence
from pathlib import Path

from filelock import FileLock, Timeout
from openpyxl import Workbook as OpenpyxlBook
from openpyxl import load_workbook
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.formatting.rule import FormulaRule
from openpyxl.styles import Font, PatternFill
from openpyxl.worksheet.datavalidation import DataValidation
from openpyxl.worksheet.worksheet import Worksheet

from hsb_sheets.adapters.workbook.base import (
    Key,
    KeyIndex,
    Table,
    WriteBatch,
    check_unique_keys,
    last_used_row,
)
from hsb_sheets.adapters.workbook.ooxml import Package, PackageError, column_letters
from hsb_sheets.domain.layout import HIGHLIGHT, Layout
from hsb_sheets.domain.tabs import TabSpec
from hsb_sheets.errors import WorkbookError

_BOLD = Font(bold=True)
LAYOUT_ROWS = 5000  # dropdowns and highlights cover this many rows


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
    """The register in an ``.xlsx`` file, locked for the length of a session.

    Structure (tabs, headers, formatting) is managed with openpyxl; the frequent data reads and
    writes go through :mod:`ooxml`, which patches only the sheets that change.
    """

    def __init__(self, path: Path, lock_timeout: float = 60.0) -> None:
        self.path = Path(path)
        self._lock = FileLock(str(self.path) + ".lock", timeout=lock_timeout)
        self._package: Package | None = None
        self._tables: dict[str, Table] = {}
        self._depth = 0

    @contextlib.contextmanager
    def session(self) -> Iterator[None]:
        """Hold the file lock, and keep what was read between reads and writes."""
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
                self._forget()
            self._lock.release()

    def _forget(self) -> None:
        self._package = None
        self._tables = {}

    def _load(self) -> Package:
        if self._package is not None:
            return self._package
        if not self.path.exists():
            raise WorkbookError(f"There is no register at {self.path}. Run 'hsb-sheets init' first.")
        try:
            self._package = Package(self.path.read_bytes())
        except PackageError:
            raise WorkbookError(
                f"{self.path.name} cannot be opened as a workbook; restore it from a backup."
            ) from None
        return self._package

    def _replace_file(self, content: bytes) -> None:
        """Write to a temporary file beside the register, flush it to disk, then rename over it."""
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd, temporary = tempfile.mkstemp(prefix=".register-", suffix=".xlsx", dir=self.path.parent)
        try:
            with os.fdopen(fd, "wb") as fh:
                fh.write(content)
                fh.flush()
                os.fsync(fh.fileno())
            os.replace(temporary, self.path)
        except BaseException:
            self._forget()  # what is in memory no longer matches the file
            with contextlib.suppress(FileNotFoundError):
                os.unlink(temporary)
            raise

    def ensure_tabs(self, specs: Sequence[TabSpec]) -> list[str]:
        """Create the file, missing tabs and missing header columns (with openpyxl)."""
        with self.session():
            if self.path.exists():
                try:
                    book = load_workbook(self.path)
                except Exception:  # openpyxl raises many kinds for a damaged file
                    raise WorkbookError(f"{self.path.name} cannot be opened as a workbook.") from None
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
                buffer = io.BytesIO()
                book.save(buffer)
                self._replace_file(buffer.getvalue())
            self._forget()
            return changes

    def apply_layout(self, layout: Layout) -> list[str]:
        """Dropdowns (data validation) and red rows (conditional formatting), as on Google."""
        with self.session():
            try:
                book = load_workbook(self.path)
            except Exception:  # openpyxl raises many kinds for a damaged file
                raise WorkbookError(f"{self.path.name} cannot be opened as a workbook.") from None
            changes = []
            for dropdown in layout.dropdowns:
                sheet = book[dropdown.tab]
                letter = _letter(sheet, dropdown.column)
                area = f"{letter}2:{letter}{LAYOUT_ROWS}"
                if any(str(dv.sqref) == area for dv in sheet.data_validations.dataValidation):
                    continue
                validation = DataValidation(
                    type="list",
                    formula1='"' + ",".join(dropdown.choices) + '"',
                    allow_blank=True,
                    showErrorMessage=True,
                    errorTitle="Not in the list",
                    error=f"Choose a value for {dropdown.column} from the list.",
                )
                validation.add(area)
                sheet.add_data_validation(validation)
                changes.append(f"dropdown on '{dropdown.tab}' {dropdown.column}")
            for highlight in layout.highlights:
                sheet = book[highlight.tab]
                letter = _letter(sheet, highlight.column)
                area = f"A2:{column_letters(max(sheet.max_column, 1))}{LAYOUT_ROWS}"
                if any(str(rule.sqref) == area for rule in sheet.conditional_formatting):
                    continue
                fill = PatternFill(start_color=HIGHLIGHT[1:], end_color=HIGHLIGHT[1:], fill_type="solid")
                sheet.conditional_formatting.add(
                    area, FormulaRule(formula=[f'${letter}2="{highlight.equals}"'], fill=fill)
                )
                changes.append(f"red rows on '{highlight.tab}' when {highlight.column} is {highlight.equals}")
            if changes:
                buffer = io.BytesIO()
                book.save(buffer)
                self._replace_file(buffer.getvalue())
            self._forget()
            return changes

    def _table(self, name: str) -> Table:
        if name not in self._tables:
            package = self._load()
            if name not in package.sheet_parts:
                raise WorkbookError(f"The register has no '{name}' tab. Run 'hsb-sheets setup' to create it.")
            rows = package.values(name)
            header = rows[0] if rows else []
            while header and not header[-1]:
                header.pop()
            width = len(header)
            body = [(r + [""] * width)[:width] for r in rows[1:]]
            self._tables[name] = Table(name, header, body)
        return self._tables[name]

    def read(self, tabs: Sequence[str]) -> dict[str, Table]:
        """Read whole tabs as text (copies: callers may change them freely)."""
        with self.session():
            result = {}
            for name in tabs:
                table = self._table(name)
                result[name] = Table(name, list(table.header), [row[:] for row in table.rows])
            return result

    def write(self, batch: WriteBatch) -> None:
        """Check the whole batch, patch the changed sheets and replace the file in one step."""
        if not batch:
            return
        with self.session():
            names = {w.tab for w in batch.appends} | {w.tab for w in batch.updates}
            staged = {name: self._table(name) for name in names}
            before = {name: len(table.rows) for name, table in staged.items()}
            cells: dict[str, dict[tuple[int, int], str]] = {name: {} for name in names}
            positions: dict[tuple[str, Key], KeyIndex] = {}
            for update in batch.updates:  # resolve every key before anything changes
                table = staged[update.tab]
                index_key = (update.tab, update.key_column)
                if index_key not in positions:
                    positions[index_key] = check_unique_keys(table, update.key_column)
                positions[index_key].position(update.key_column, update.key)
                for column in update.values:
                    table.index(column)
            for append in batch.appends:
                for column in append.values:
                    staged[append.tab].index(column)
            for update in batch.updates:
                position = positions[(update.tab, update.key_column)].position(update.key_column, update.key)
                table = staged[update.tab]
                for column, value in update.values.items():
                    cells[update.tab][(position + 2, table.index(column) + 1)] = value
            next_row = {name: last_used_row(staged[name], before[name]) + 1 for name in names}
            new_rows: list[tuple[Table, int, list[str]]] = []
            for append in batch.appends:
                table = staged[append.tab]
                row = next_row[append.tab]
                next_row[append.tab] += 1
                values = [""] * len(table.header)
                for column, value in append.values.items():
                    values[table.index(column)] = value
                    cells[append.tab][(row, table.index(column) + 1)] = value
                new_rows.append((table, row, values))
            package = self._load()
            try:
                for name, changes in cells.items():
                    package.set_cells(name, changes)
                self._replace_file(package.to_bytes())
            except BaseException:
                self._forget()
                raise
            # Keep the tables read in this session in step with the file, so nothing is parsed twice.
            for update in batch.updates:
                table = staged[update.tab]
                position = positions[(update.tab, update.key_column)].position(update.key_column, update.key)
                for column, value in update.values.items():
                    table.rows[position][table.index(column)] = value
            for table, row, values in new_rows:
                position = row - 2
                while len(table.rows) < position:
                    table.rows.append([""] * len(table.header))
                if position < len(table.rows):
                    table.rows[position] = values
                else:
                    table.rows.append(values)


def _letter(sheet: Worksheet, column: str) -> str:
    header = [cell_text(c.value) for c in sheet[1]]
    if column not in header:
        raise WorkbookError(
            f"The '{sheet.title}' tab has no '{column}' column. Run 'hsb-sheets setup' to repair it."
        )
    return column_letters(header.index(column) + 1)
