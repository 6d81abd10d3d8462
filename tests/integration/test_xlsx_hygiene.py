"""Replacing the register keeps its mode, owner and symlink and leaves no copy; bad paths are clear errors."""

from __future__ import annotations

import os
import re
import signal
import stat
import subprocess
import sys
import time
import zipfile
from pathlib import Path

import pytest

from hsb_sheets.adapters.workbook.base import Append, WriteBatch
from hsb_sheets.adapters.workbook.xlsx import XlsxWorkbook
from hsb_sheets.domain.tabs import TabSpec
from hsb_sheets.errors import WorkbookError
from tests.conftest import ROOT

TAB = TabSpec.plain("Cases", system=("Case ID", "Notes"), key="Case ID")


def add(case_id: str) -> WriteBatch:
    return WriteBatch(appends=[Append("Cases", {"Case ID": case_id})])


def make(path: Path) -> XlsxWorkbook:
    wb = XlsxWorkbook(path, lock_timeout=0.2)
    wb.ensure_tabs([TAB])
    return wb


def test_a_new_register_gets_the_usual_mode_and_a_write_keeps_mode_and_owner(tmp_path: Path) -> None:
    old = os.umask(0o027)
    try:
        wb = make(tmp_path / "register.xlsx")
    finally:
        os.umask(old)
    assert stat.S_IMODE(wb.path.stat().st_mode) == 0o640
    os.chmod(wb.path, 0o664)
    owner = (4321, 4321) if os.geteuid() == 0 else (os.getuid(), os.getgid())
    os.chown(wb.path, *owner)
    wb.write(add("HSB-2026-0001"))
    status = wb.path.stat()
    assert stat.S_IMODE(status.st_mode) == 0o664
    assert (status.st_uid, status.st_gid) == owner


def test_a_symlinked_register_stays_a_link_and_its_target_is_written(tmp_path: Path) -> None:
    (tmp_path / "share").mkdir()
    target = tmp_path / "share" / "register.xlsx"
    make(target)
    os.chmod(target, 0o660)
    link = tmp_path / "register.xlsx"
    link.symlink_to(target)
    wb = XlsxWorkbook(link, lock_timeout=0.2)
    wb.write(add("HSB-2026-0001"))
    wb.ensure_tabs([TAB, TabSpec.plain("More", system=("Time",))])  # openpyxl's save path too
    assert link.is_symlink() and link.resolve() == target
    assert stat.S_IMODE(target.stat().st_mode) == 0o660
    assert XlsxWorkbook(target).read(["Cases"])["Cases"].column("Case ID") == ["HSB-2026-0001"]
    assert not list(tmp_path.glob(".register-*")) and not list(target.parent.glob(".register-*"))


KILLED_WRITER = """
import os, sys, time
from pathlib import Path
from hsb_sheets.adapters.workbook import register_file
from hsb_sheets.adapters.workbook.base import Append, WriteBatch
from hsb_sheets.adapters.workbook.xlsx import XlsxWorkbook

def stuck(*args):
    print("temporary written", flush=True)
    time.sleep(60)

os.replace = stuck  # the run is killed after writing its temporary copy, before the rename
register_file.exchange = stuck  # (or before the atomic swap that stands for it)
XlsxWorkbook(Path(sys.argv[1])).write(WriteBatch(appends=[Append("Cases", {"Case ID": "HSB-2026-0002"})]))
"""


def test_a_copy_left_by_a_killed_run_is_removed_by_the_next_session(tmp_path: Path) -> None:
    wb = make(tmp_path / "register.xlsx")
    wb.write(add("HSB-2026-0001"))
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    writer = subprocess.Popen(
        [sys.executable, "-c", KILLED_WRITER, str(wb.path)], stdout=subprocess.PIPE, env=env, text=True
    )
    try:
        assert writer.stdout is not None and writer.stdout.readline() == "temporary written\n"
    finally:
        writer.send_signal(signal.SIGKILL)
        writer.wait()
    left = list(tmp_path.glob(".register-*.xlsx"))
    assert [p.name.startswith(".register-register-") for p in left] == [True]
    fresh = tmp_path / ".register-other-abc.xlsx"  # another register's write, under way this moment
    fresh.write_bytes(b"in progress")
    # This register's own copy goes at once (its writers all hold the lock we now hold); another
    # register's copy stays until it is too old to belong to a live writer.
    assert wb.read(["Cases"])["Cases"].column("Case ID") == ["HSB-2026-0001"]
    assert not left[0].exists() and fresh.exists()
    an_hour_ago = time.time() - 3600
    os.utime(fresh, (an_hour_ago, an_hour_ago))
    wb.read(["Cases"])
    assert not fresh.exists()


def test_a_folder_is_one_clear_error(tmp_path: Path) -> None:
    folder = tmp_path / "register.xlsx"
    folder.mkdir()
    wb = XlsxWorkbook(folder, lock_timeout=0.2)
    attempts = (lambda: wb.read(["Cases"]), lambda: wb.write(add("HSB-1")), lambda: wb.ensure_tabs([TAB]))
    for attempt in attempts:
        with pytest.raises(WorkbookError) as refused:
            attempt()
        assert str(refused.value) == (
            f"The register path {folder} is a folder, not a workbook. "
            "Set [workbook] path in hsb-sheets.toml to the register's .xlsx file."
        )


def test_damaged_sheet_xml_is_one_clear_error_naming_file_and_tab(tmp_path: Path) -> None:
    wb = make(tmp_path / "register.xlsx")
    wb.write(add("HSB-2026-0001"))
    with zipfile.ZipFile(wb.path) as archive:
        parts = {name: archive.read(name) for name in archive.namelist()}
    parts["xl/worksheets/sheet1.xml"] = parts["xl/worksheets/sheet1.xml"][:-40]  # cut off mid-way
    with zipfile.ZipFile(wb.path, "w") as archive:
        for name, content in parts.items():
            archive.writestr(name, content)
    with pytest.raises(WorkbookError) as refused:
        XlsxWorkbook(wb.path).read(["Cases"])
    assert str(refused.value) == (
        f"The 'Cases' tab of {wb.path} is damaged and cannot be read. Open the register in "
        "Excel or LibreOffice and save it again, or restore it from a backup."
    )


def test_a_file_that_is_not_a_zip_is_one_clear_error(tmp_path: Path) -> None:
    path = tmp_path / "register.xlsx"
    path.write_text("Case ID,Notes\nHSB-1,x\n")  # a CSV saved under the register's name
    wb = XlsxWorkbook(path)
    for attempt in (lambda: wb.read(["Cases"]), lambda: wb.ensure_tabs([TAB])):
        with pytest.raises(WorkbookError, match=re.escape(f"{path} cannot be opened as a workbook")):
            attempt()
