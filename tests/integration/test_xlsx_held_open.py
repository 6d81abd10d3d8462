"""While Excel or LibreOffice has the register open, the jobs never write into it."""

from __future__ import annotations

import datetime as dt
import os
import time
from pathlib import Path

import pytest

from hsb_sheets.adapters.workbook.base import Append, HeldOpen, RegisterHeldOpen, Update, WriteBatch
from hsb_sheets.adapters.workbook.memory import MemoryWorkbook
from hsb_sheets.adapters.workbook.ooxml import Package
from hsb_sheets.adapters.workbook.xlsx import XlsxWorkbook
from hsb_sheets.domain.tabs import TabSpec

TAB = TabSpec.plain("Cases", system=("Case ID", "Notes"), key="Case ID")
MORE = TabSpec.plain("More", system=("Time",))
PERSON = "Jo Bloggs"  # fictional; the lock file names whoever has the register open
# The exact line LibreOffice 7.4 writes (seen beside a file a headless soffice had open).
LIBREOFFICE_LOCK = f",{PERSON},desk-17,01.12.2026 09:49,file:///home/jo/.config/libreoffice/4;"
ADD = WriteBatch(appends=[Append("Cases", {"Case ID": "HSB-2026-0002"})])


@pytest.fixture
def register(tmp_path: Path) -> XlsxWorkbook:
    wb = XlsxWorkbook(tmp_path / "register.xlsx", lock_timeout=0.2)
    wb.ensure_tabs([TAB])
    wb.write(WriteBatch(appends=[Append("Cases", {"Case ID": "HSB-2026-0001"})]))
    return wb


def hold(register: Path, program: str, age: dt.timedelta = dt.timedelta(0)) -> Path:
    if program == "LibreOffice":
        lock = register.parent / f".~lock.{register.name}#"
        lock.write_text(LIBREOFFICE_LOCK, encoding="utf-8")
    else:
        lock = register.parent / f"~${register.name}"
        lock.write_bytes(bytes([len(PERSON)]) + PERSON.encode() + b" " * (54 - len(PERSON)) + b"\0" * 110)
    stamp = time.time() - age.total_seconds()
    os.utime(lock, (stamp, stamp))
    return lock


def files(folder: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in folder.iterdir() if p.is_file()}


@pytest.mark.parametrize("program", ["LibreOffice", "Excel"])
def test_a_write_is_refused_untouched_while_a_desktop_program_holds_the_register(
    register: XlsxWorkbook, program: str
) -> None:
    lock = hold(register.path, program, age=dt.timedelta(minutes=5))
    before = files(register.path.parent)
    with pytest.raises(RegisterHeldOpen) as refused:
        register.write(ADD)
    assert files(register.path.parent) == before  # nothing written, no temporary copy
    with pytest.raises(RegisterHeldOpen):  # refused before the batch is even read or checked
        register.write(WriteBatch(appends=[Append("No such tab", {"Case ID": "HSB-2026-0003"})]))
    message = str(refused.value)
    assert f"register.xlsx is open in {program} (since " in message
    assert "the jobs will bring the register up to date once it is closed" in message
    assert PERSON not in message and "desk-17" not in message and "stale" not in message
    held = register.held_open()
    assert held is not None and held.program == program and not held.stale
    assert held.lock_file == lock.name
    assert abs((dt.datetime.now(dt.UTC) - held.since) - dt.timedelta(minutes=5)) < dt.timedelta(seconds=5)
    assert refused.value.held == held
    lock.unlink()
    assert register.held_open() is None
    register.write(ADD)
    assert register.read(["Cases"])["Cases"].column("Case ID") == ["HSB-2026-0001", "HSB-2026-0002"]


def test_a_stale_lock_is_reported_as_stale_and_still_respected(register: XlsxWorkbook) -> None:
    hold(register.path, "LibreOffice", age=dt.timedelta(hours=13))
    held = register.held_open()
    assert held is not None and held.stale
    with pytest.raises(RegisterHeldOpen, match=r"delete the lock file '\.~lock\.register\.xlsx#' beside it"):
        register.write(ADD)
    patient = XlsxWorkbook(register.path, stale_after=dt.timedelta(days=2))
    assert (patient_held := patient.held_open()) is not None and not patient_held.stale
    assert register.read(["Cases"])["Cases"].column("Case ID") == ["HSB-2026-0001"]


def test_a_program_opening_the_register_during_a_write_stops_the_rename(
    register: XlsxWorkbook, monkeypatch: pytest.MonkeyPatch
) -> None:
    before = register.path.read_bytes()
    serialise = Package.to_bytes

    def opened_meanwhile(package: Package) -> bytes:
        hold(register.path, "Excel")  # the coordinator opens the file while the job is writing
        return serialise(package)

    monkeypatch.setattr(Package, "to_bytes", opened_meanwhile)
    with pytest.raises(RegisterHeldOpen):
        register.write(WriteBatch(updates=[Update("Cases", "Case ID", "HSB-2026-0001", {"Notes": "x"})]))
    assert register.path.read_bytes() == before
    assert sorted(p.name for p in register.path.parent.iterdir()) == [
        "register.xlsx",
        "register.xlsx.lock",
        "~$register.xlsx",
    ]


def test_setup_changes_nothing_while_held_open_and_says_why(register: XlsxWorkbook) -> None:
    hold(register.path, "LibreOffice")
    assert register.ensure_tabs([TAB]) == []  # nothing to change: nothing refused
    before = register.path.read_bytes()
    with pytest.raises(RegisterHeldOpen):
        register.ensure_tabs([TAB, MORE])
    assert register.path.read_bytes() == before


def test_a_symlinked_register_is_held_open_through_its_target(tmp_path: Path) -> None:
    (tmp_path / "share").mkdir()
    target = tmp_path / "share" / "real.xlsx"
    XlsxWorkbook(target).ensure_tabs([TAB])
    link = tmp_path / "register.xlsx"
    link.symlink_to(target)
    hold(target, "LibreOffice")  # opened through the share, not the link
    with pytest.raises(RegisterHeldOpen, match=r"register\.xlsx is open in LibreOffice"):
        XlsxWorkbook(link).write(ADD)


def test_the_memory_register_plays_a_held_register_for_other_tests() -> None:
    wb = MemoryWorkbook()
    wb.ensure_tabs([TAB])
    wb.held = HeldOpen("Excel", dt.datetime(2026, 3, 2, 9, 0, tzinfo=dt.UTC), "~$register.xlsx")
    with pytest.raises(RegisterHeldOpen, match="The register is open in Excel"):
        wb.write(ADD)
    assert wb.read(["Cases"])["Cases"].rows == [] and wb.held_open() == wb.held
