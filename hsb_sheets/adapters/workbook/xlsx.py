"""The register as one ``.xlsx`` workbook on disk (the local backend).

Writes go to a temporary file in the same folder that then replaces the workbook, under a file lock,
so two runs never interleave and a crash never leaves a half-written register (see
:mod:`register_file`: mode, owner and a symlink are kept, no temporary copy is left). Every value is
written as a text cell, so nothing a form supplied can become a formula. While Excel or LibreOffice
has the register open (:mod:`desktop_locks`), nothing is written: :class:`RegisterHeldOpen`.

Excel and LibreOffice ignore the jobs' lock, so a coordinator may save the register between a job's
read and its write. A write therefore first checks that the file is still the one it read (its
modification time, size and inode) and, if not, reads it again and resolves its rows by key against
the fresh content, so only the job's own cells change; the check is repeated just before the rename.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import io
import logging
import os
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path

from filelock import FileLock, Timeout
from openpyxl import Workbook as OpenpyxlBook
from openpyxl import load_workbook
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.styles import Font
from openpyxl.worksheet.worksheet import Worksheet

from hsb_sheets.adapters.workbook import desktop_locks, register_file, xlsx_layout
from hsb_sheets.adapters.workbook.base import HeldOpen, RegisterHeldOpen, Table, WriteBatch
from hsb_sheets.adapters.workbook.numfmt import date_serial
from hsb_sheets.adapters.workbook.ooxml import Package, PackageError
from hsb_sheets.adapters.workbook.plan import apply_plan, plan_writes, table_from_values, trim_header
from hsb_sheets.domain.layout import Layout
from hsb_sheets.domain.tabs import TabSpec
from hsb_sheets.errors import WorkbookError
from hsb_sheets.logs import log

_BOLD = Font(bold=True)
LAYOUT_ROWS = ROWS = 5000  # dropdowns, highlights and filters cover this many rows


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

    def __init__(
        self,
        path: Path,
        lock_timeout: float = 60.0,
        stale_after: dt.timedelta = desktop_locks.STALE_AFTER,
        clock: Callable[[], dt.datetime] = lambda: dt.datetime.now(dt.UTC),
    ) -> None:
        self.path = Path(path)
        self._lock = FileLock(str(self.path) + ".lock", timeout=lock_timeout)
        self._package: Package | None = None
        self._stamp: tuple[int, int, int] | None = None  # the file the package was read from
        self._tables: dict[str, Table] = {}
        self._depth = 0
        self._stale_after = stale_after
        self._clock = clock

    @contextlib.contextmanager
    def session(self) -> Iterator[None]:
        """Hold the file lock, and keep what was read between reads and writes.

        A new session first removes temporary copies of the register that a killed run left behind.
        """
        try:
            self._lock.acquire()
        except Timeout:
            raise WorkbookError(
                f"Another run is using {self.path.name}; try again when it has finished."
            ) from None
        except OSError:
            raise WorkbookError(
                f"Cannot lock {self.path}: its folder is missing or not writable. "
                "Check [workbook] path in hsb-sheets.toml and the folder's permissions."
            ) from None
        if self._depth == 0 and (removed := register_file.remove_stale_temporaries(self.path)):
            log("removed temporary copies left by an interrupted run", logging.WARNING, files=len(removed))
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
        self._stamp = None
        self._tables = {}

    def _file_stamp(self) -> tuple[int, int, int] | None:
        """The register file's modification time, size and inode (None if it cannot be seen)."""
        try:
            return _stamp_of(register_file.target_of(self.path).stat())
        except OSError:
            return None

    def _forget_if_saved_since_read(self) -> None:
        """Drop what was read if someone (a desktop program, a copy) saved the file since."""
        if self._package is not None and self._file_stamp() != self._stamp:
            self._forget()

    def _refuse_if_changed_or_held_open(self) -> None:
        self._refuse_if_held_open()
        if self._file_stamp() != self._stamp:
            raise _SavedMeanwhile()

    def _refuse_if_not_what_was_read(self, replaced: os.stat_result) -> None:
        if _stamp_of(replaced) != self._stamp:  # saved in the instant before the rename
            raise _SavedMeanwhile()

    def held_open(self) -> HeldOpen | None:
        """Excel or LibreOffice holding the register open (its owner lock file), or None."""
        return desktop_locks.detect(self.path, self._clock(), self._stale_after)

    def _refuse_if_held_open(self) -> None:
        held = self.held_open()
        if held is not None:
            raise RegisterHeldOpen(self.path.name, held)

    def _check_is_file(self) -> None:
        if not self.path.exists():
            raise WorkbookError(f"There is no register at {self.path}. Run 'hsb-sheets init' first.")
        if self.path.is_dir():
            raise WorkbookError(
                f"The register path {self.path} is a folder, not a workbook. "
                "Set [workbook] path in hsb-sheets.toml to the register's .xlsx file."
            )

    def _load(self) -> Package:
        if self._package is not None:
            return self._package
        self._check_is_file()
        try:
            stamp = self._file_stamp()
            content = self.path.read_bytes()
        except OSError as problem:
            raise WorkbookError(
                f"The register {self.path} cannot be read ({problem.strerror or 'input/output error'}). "
                "Check the file's permissions."
            ) from None
        try:
            self._package = Package(content)
        except PackageError:
            raise WorkbookError(
                f"{self.path} cannot be opened as a workbook: it is not a valid .xlsx package. Restore "
                "the register from a backup, or set [workbook] path in hsb-sheets.toml to the right file."
            ) from None
        self._stamp = stamp if stamp == self._file_stamp() else None  # saved while being read: re-read
        return self._package

    def _replace_file(self, content: bytes, *, checked: bool = False) -> None:
        """Replace the register (its target, if a symlink) in one rename, unless it is held open.

        ``checked``: also refuse (``_SavedMeanwhile``) if the file is no longer the one read.
        """
        try:
            written = register_file.replace_file(
                self.path,
                content,
                before_rename=self._refuse_if_changed_or_held_open if checked else self._refuse_if_held_open,
                replaced=self._refuse_if_not_what_was_read if checked else None,
            )
        except BaseException:
            self._forget()  # what is in memory may no longer match the file
            raise
        self._stamp = _stamp_of(written)

    def _open_book(self) -> OpenpyxlBook:
        """The whole workbook through openpyxl, for changes to its structure."""
        self._check_is_file()
        try:
            return load_workbook(self.path)
        except Exception:  # openpyxl raises many kinds for a damaged file
            raise WorkbookError(
                f"{self.path} cannot be opened as a workbook; restore the register from a backup."
            ) from None

    def _save_book(self, book: OpenpyxlBook) -> None:
        buffer = io.BytesIO()
        book.save(buffer)
        self._replace_file(buffer.getvalue())

    def ensure_tabs(self, specs: Sequence[TabSpec]) -> list[str]:
        """Create the file, missing tabs and missing header columns (with openpyxl)."""
        with self.session():
            if self.path.exists():
                book = self._open_book()
            else:
                book = OpenpyxlBook()
                assert book.active is not None
                book.remove(book.active)
            changes = []
            for spec in specs:
                changes.extend(_ensure_tab(book, spec))
            if changes or not self.path.exists():
                self._save_book(book)
            self._forget()
            return changes

    def apply_layout(self, layout: Layout) -> list[str]:
        """Each tab laid out for people (:mod:`xlsx_layout`: columns moved into the view's order,
        frozen, sized, filtered, technical ones grouped, dates as dates), then dropdowns (data
        validation) and red rows (conditional formatting), as on Google."""
        with self.session():
            book = self._open_book()
            changes, laid_out = xlsx_layout.lay_out_tabs(book, layout.views, LAYOUT_ROWS)
            changes += xlsx_layout.put_first(book, layout.first)
            changes += [c for d in layout.dropdowns if (c := xlsx_layout.add_dropdown(book[d.tab], d, ROWS))]
            red = (xlsx_layout.add_highlight(book[h.tab], h, ROWS) for h in layout.highlights)
            changes += [c for c in red if c]
            if changes or laid_out:
                self._save_laid_out(book, layout)
            if laid_out and not changes:
                changes.append("laid out the tabs: frozen columns, widths, filters, grouped columns")
            self._forget()
            return changes

    def _save_laid_out(self, book: OpenpyxlBook, layout: Layout) -> None:
        """Save the book, with the dates and times the jobs wrote as text stored as date cells."""
        buffer = io.BytesIO()
        book.save(buffer)
        package = Package(buffer.getvalue())
        for view in layout.views:
            if view.tab not in package.sheet_parts or not view.written_dates:
                continue
            rows = package.values(view.tab)
            header = trim_header(rows[0]) if rows else []
            columns = [header.index(c) for c in view.written_dates if c in header]
            cells = {
                (number, column + 1): row[column]
                for number, row in enumerate(rows[1:], start=2)
                for column in columns
                if column < len(row) and date_serial(row[column])
            }
            package.set_cells(view.tab, cells)
        self._replace_file(package.to_bytes())

    def _table(self, name: str) -> Table:
        if name not in self._tables:
            package = self._load()
            if name not in package.sheet_parts:
                raise WorkbookError(f"The register has no '{name}' tab. Run 'hsb-sheets setup' to create it.")
            try:
                values = package.values(name)
            except PackageError:
                raise WorkbookError(
                    f"The '{name}' tab of {self.path} is damaged and cannot be read. Open the register in "
                    "Excel or LibreOffice and save it again, or restore it from a backup."
                ) from None
            self._tables[name] = table_from_values(name, values)
        return self._tables[name]

    def read(self, tabs: Sequence[str]) -> dict[str, Table]:
        """Read whole tabs as text (copies: callers may change them freely)."""
        with self.session():
            self._forget_if_saved_since_read()
            result = {}
            for name in tabs:
                table = self._table(name)
                result[name] = Table(name, list(table.header), [row[:] for row in table.rows])
            return result

    def read_values(self, tab: str, column: str) -> list[str]:
        """The column's cells as read: text as typed, a real date-time cell as ISO text to the microsecond."""
        return self.read([tab])[tab].column(column)

    def write(self, batch: WriteBatch) -> None:
        """Check the whole batch, patch the changed sheets and replace the file in one step.

        If the file was saved by someone else since it was read (or while this write was being
        made), it is read again and the batch resolved against it, so their edits are kept.
        """
        if not batch:
            return
        with self.session():
            self._refuse_if_held_open()  # before reading or planning: nothing is touched
            for _attempt in range(SAVED_MEANWHILE_ATTEMPTS):
                self._forget_if_saved_since_read()
                try:
                    self._write_once(batch)
                    return
                except _SavedMeanwhile:
                    log("the register was saved by someone else during a write; writing again")
            raise WorkbookError(
                f"{self.path.name} kept changing while the jobs wrote to it; nothing was written. "
                "Try again when nobody is saving it."
            )

    def _write_once(self, batch: WriteBatch) -> None:
        names = {w.tab for w in batch.appends} | {w.tab for w in batch.updates}
        staged = {name: self._table(name) for name in names}
        plans = plan_writes(staged, batch)
        package = self._load()
        try:
            for name, plan in plans.items():
                package.set_cells(name, plan.cells())
            self._replace_file(package.to_bytes(), checked=True)
        except BaseException:
            self._forget()
            raise
        apply_plan(staged, plans)  # the tables read in this session stay in step with the file


def _stamp_of(status: os.stat_result) -> tuple[int, int, int]:
    """What tells one saved file from another: modification time, size and inode."""
    return (status.st_mtime_ns, status.st_size, status.st_ino)


class _SavedMeanwhile(Exception):
    """The file changed between reading it and renaming the new copy over it (write again)."""


SAVED_MEANWHILE_ATTEMPTS = 5


def _ensure_tab(book: OpenpyxlBook, spec: TabSpec) -> list[str]:
    """Create one tab or add its missing header columns (bold, header frozen); say what changed."""
    changes = []
    created = spec.name not in book.sheetnames
    if created:
        sheet = book.create_sheet(spec.name)
        header: list[str] = []
        changes.append(f"created tab '{spec.name}'")
    else:
        sheet = book[spec.name]
        header = trim_header([cell_text(c.value) for c in sheet[1]])
    for column in spec.header:
        if column not in header:
            header.append(column)
            set_text(sheet, 1, len(header), column)
            sheet.cell(row=1, column=len(header)).font = _BOLD
            if not created:
                changes.append(f"added column '{column}' to '{spec.name}'")
    if created or sheet.freeze_panes is None:
        sheet.freeze_panes = "A2"
    return changes
