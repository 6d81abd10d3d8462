"""What coordinators do to the register between (and around) the jobs' runs, for the fault harness.

Each action edits ``register.xlsx`` the way a desktop program would leave it: with openpyxl (sorting a
tab, inserting and deleting rows, typing values, pasting responses from a CSV export), through a real
LibreOffice (opened and saved), by holding it open (the owner lock file beside it), or by saving a
stale copy over the jobs' work. Rows are found by their header names, so the actions keep working
when columns move.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import subprocess
import tempfile
from collections.abc import Callable, Iterator, Sequence
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

import openpyxl
from openpyxl.worksheet.worksheet import Worksheet

from benchmarks.fault_checks import canonical

SOFFICE = shutil.which("soffice") or shutil.which("libreoffice")
LIBREOFFICE_LOCK = ".~lock.{name}#"


class ActionError(Exception):
    """A coordinator action that could not be done (the register is unreadable, LibreOffice failed)."""


@contextlib.contextmanager
def register_open(path: Path) -> Iterator[openpyxl.Workbook]:
    """The register loaded for editing, saved back when the block ends without an error."""
    try:
        book = openpyxl.load_workbook(path)
    except Exception as problem:
        raise ActionError(f"{type(problem).__name__} opening the register") from None
    yield book
    book.save(path)


def header(sheet: Worksheet) -> list[str]:
    """The tab's header row as text."""
    return [canonical(c.value) for c in sheet[1]]


def data_rows(sheet: Worksheet) -> list[int]:
    """Row numbers below the header that hold any value."""
    return [
        int(row[0].row or 0)
        for row in sheet.iter_rows(min_row=2)
        if any(c.value not in (None, "") for c in row)
    ]


def find_rows(sheet: Worksheet, key: Sequence[tuple[str, str]]) -> list[int]:
    """Rows whose key columns hold these values (compared as :func:`canonical` text)."""
    names = header(sheet)
    spots = [(names.index(c), v) for c, v in key if c in names]
    if len(spots) != len(key):
        return []
    return [n for n in data_rows(sheet) if all(canonical(sheet.cell(n, i + 1).value) == v for i, v in spots)]


def sort_tab(path: Path, tab: str, column: str, descending: bool) -> bool:
    """Sort a tab's rows by one column, blank rows last, as a coordinator's Data > Sort does."""
    with register_open(path) as book:
        if tab not in book.sheetnames:
            return False
        sheet = book[tab]
        names = header(sheet)
        if column not in names:
            return False
        at = names.index(column)
        numbers = data_rows(sheet)
        rows = [[c.value for c in sheet[n]][: len(names)] for n in numbers]
        rows.sort(key=lambda r: canonical(r[at]) if at < len(r) else "", reverse=descending)
        for n, values in zip(numbers, rows, strict=True):
            for i, value in enumerate(values, start=1):
                sheet.cell(n, i).value = value
        return True


def insert_blank_row(path: Path, tab: str) -> bool:
    """Insert an empty row just under the header."""
    with register_open(path) as book:
        if tab not in book.sheetnames:
            return False
        book[tab].insert_rows(2)
        return True


def delete_row(path: Path, tab: str, pick: Callable[[list[dict[str, str]]], int | None]) -> dict[str, str]:
    """Delete the data row ``pick`` chooses (an index into the tab's records); the deleted record or {}."""
    with register_open(path) as book:
        if tab not in book.sheetnames:
            return {}
        sheet = book[tab]
        names = header(sheet)
        numbers = data_rows(sheet)
        records = [dict(zip(names, (canonical(c.value) for c in sheet[n]), strict=False)) for n in numbers]
        chosen = pick(records)
        if chosen is None:
            return {}
        sheet.delete_rows(numbers[chosen])
        return records[chosen]


def type_values(path: Path, tab: str, key: Sequence[tuple[str, str]], values: dict[str, Any]) -> bool:
    """Type values into the coordinator columns of the row found by key; False if it is not there."""
    with register_open(path) as book:
        if tab not in book.sheetnames:
            return False
        sheet = book[tab]
        names = header(sheet)
        rows = find_rows(sheet, key)
        if not rows or any(c not in names for c in values):
            return False
        for column, value in values.items():
            cell = sheet.cell(rows[0], names.index(column) + 1)
            cell.value = value
            if isinstance(value, datetime):
                cell.number_format = "dd/mm/yyyy hh:mm"
            elif isinstance(value, date):
                cell.number_format = "dd/mm/yyyy"
        return True


def reformat_column(path: Path, tab: str, column: str, number_format: str) -> bool:
    """Give a column's cells another number format (their values stay), as Format > Cells does."""
    with register_open(path) as book:
        if tab not in book.sheetnames or column not in header(book[tab]):
            return False
        sheet = book[tab]
        at = header(sheet).index(column) + 1
        for n in data_rows(sheet):
            sheet.cell(n, at).number_format = number_format
        return True


def append_rows(path: Path, tab: str, records: Sequence[dict[str, Any]]) -> int:
    """Add rows under the last row holding a value (a paste, or a coordinator's new row); how many."""
    with register_open(path) as book:
        if tab not in book.sheetnames:
            return 0
        sheet = book[tab]
        names = header(sheet)
        numbers = data_rows(sheet)
        at = (numbers[-1] if numbers else 1) + 1
        for offset, record in enumerate(records):
            for column, value in record.items():
                if column in names:
                    cell = sheet.cell(at + offset, names.index(column) + 1)
                    cell.value = value
                    if isinstance(value, datetime):
                        cell.number_format = "dd/mm/yyyy hh:mm:ss"
        return len(records)


def libreoffice_save(path: Path, profile: Path) -> None:
    """Open the register in a headless LibreOffice and save it as .xlsx over itself."""
    if SOFFICE is None:
        raise ActionError("LibreOffice (soffice) is not installed")
    with tempfile.TemporaryDirectory(prefix="hsb-harness-lo-") as out:
        command = [
            SOFFICE,
            f"-env:UserInstallation={profile.as_uri()}",
            "--headless",
            "--norestore",
            "--convert-to",
            "xlsx",
            "--outdir",
            out,
            str(path),
        ]
        done = subprocess.run(command, capture_output=True, timeout=180, check=False)
        saved = Path(out) / path.name
        if done.returncode != 0 or not saved.exists():
            raise ActionError(f"LibreOffice could not save the register (exit {done.returncode})")
        shutil.copyfile(saved, path)  # in place, as LibreOffice saves: the file keeps its mode


def hold_open(path: Path) -> Path:
    """Make LibreOffice's owner lock file beside the register, as an open window would; its path."""
    lock = path.parent / LIBREOFFICE_LOCK.format(name=path.name)
    stamp = datetime.now().strftime("%d.%m.%Y %H:%M")
    lock.write_text(
        f",Harness Coordinator,harness-host,{stamp},file:///tmp/harness-profile;", encoding="utf-8"
    )
    return lock


def release(lock: Path) -> None:
    """Close the program: its lock file goes."""
    with contextlib.suppress(FileNotFoundError):
        lock.unlink()


def save_aside(path: Path, aside: Path) -> None:
    """Keep a copy of the register as a program that opened it now would hold it."""
    shutil.copyfile(path, aside)


def save_back(aside: Path, path: Path) -> None:
    """That program's save: the copy it held written over the register, in place."""
    shutil.copyfile(aside, path)
    os.utime(path)


def next_working_time(today: date, days_ahead: int, hour: int, minute: int) -> datetime:
    """A time on a weekday at least ``days_ahead`` days from today."""
    day = today + timedelta(days=days_ahead)
    while day.weekday() >= 5:
        day += timedelta(days=1)
    return datetime(day.year, day.month, day.day, hour, minute)
