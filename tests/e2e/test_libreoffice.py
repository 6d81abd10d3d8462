"""The jobs beside a real LibreOffice: a register it saved, a coordinator's edits, and the file held open.

Needs Debian's LibreOffice (``soffice``; `make test` installs libreoffice-calc-nogui). Each soffice
gets a private profile, so parallel runs never share one. LibreOffice edits are made without macros:
the register is converted to flat ODF, the cells a coordinator would type are changed there (a
note, a formula, real date cells), and LibreOffice converts it back and writes the .xlsx itself.
"""

from __future__ import annotations

import datetime as dt
import os
import re
import shutil
import signal
import subprocess
import time
import zipfile
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner, Result
from lxml import etree

from hsb_sheets.adapters.workbook.base import Append, RegisterHeldOpen, Table, WriteBatch
from hsb_sheets.adapters.workbook.xlsx import XlsxWorkbook
from hsb_sheets.cli import cli
from hsb_sheets.domain.tabs import (
    AUDIT_LOG,
    FORM_RESPONSES,
    INTERVENTIONS,
    MEETINGS,
    OUTBOX,
    REFERRALS,
    TabSpec,
)

SOFFICE = shutil.which("soffice") or shutil.which("libreoffice") or "soffice"
TABS = [FORM_RESPONSES, REFERRALS, MEETINGS, INTERVENTIONS, OUTBOX, AUDIT_LOG]
NS = {
    "table": "urn:oasis:names:tc:opendocument:xmlns:table:1.0",
    "office": "urn:oasis:names:tc:opendocument:xmlns:office:1.0",
    "text": "urn:oasis:names:tc:opendocument:xmlns:text:1.0",
    "style": "urn:oasis:names:tc:opendocument:xmlns:style:1.0",
    "number": "urn:oasis:names:tc:opendocument:xmlns:datastyle:1.0",
    "calcext": "urn:org:documentfoundation:names:experimental:calc:xmlns:calcext:1.0",
}
DATE_STYLES = f"""<styles xmlns:number="{NS["number"]}" xmlns:style="{NS["style"]}">
<number:date-style style:name="Nhsb1"><number:day number:style="long"/><number:text>/</number:text>
<number:month number:style="long"/><number:text>/</number:text><number:year number:style="long"/>
</number:date-style>
<number:date-style style:name="Nhsb2"><number:day number:style="long"/><number:text>/</number:text>
<number:month number:style="long"/><number:text>/</number:text><number:year number:style="long"/>
<number:text> </number:text><number:hours number:style="long"/><number:text>:</number:text>
<number:minutes number:style="long"/></number:date-style>
<style:style style:name="cehsb1" style:family="table-cell" style:data-style-name="Nhsb1"/>
<style:style style:name="cehsb2" style:family="table-cell" style:data-style-name="Nhsb2"/>
</styles>"""


def q(name: str) -> str:
    prefix, local = name.split(":")
    return f"{{{NS[prefix]}}}{local}"


@pytest.fixture(scope="module")
def profile(tmp_path_factory: pytest.TempPathFactory) -> str:
    return (tmp_path_factory.mktemp("soffice-profile")).as_uri()


def soffice(profile: str, *args: str) -> list[str]:
    return [SOFFICE, f"-env:UserInstallation={profile}", "--headless", "--norestore", *args]


def convert(profile: str, source: Path, to: str, out: Path) -> Path:
    """Have LibreOffice open ``source`` and save it as ``to`` (xlsx or fods) into ``out``."""
    out.mkdir(exist_ok=True)
    done = subprocess.run(
        soffice(profile, "--convert-to", to, "--outdir", str(out), str(source)),
        capture_output=True,
        text=True,
        timeout=180,
    )
    saved = out / f"{source.stem}.{to}"
    assert done.returncode == 0 and saved.exists(), done.stderr[-2000:]
    return saved


def resave(profile: str, register: Path, work: Path) -> None:
    """The register opened and saved in LibreOffice, as a coordinator's Ctrl+S would."""
    saved = convert(profile, register, "xlsx", work / "saved")
    shutil.move(saved, register)


def invoke(*args: str) -> Result:
    return CliRunner().invoke(cli, list(args), catch_exceptions=False)


def run_jobs(config: Path) -> str:
    result = invoke("--config", str(config), "run")
    assert result.exit_code == 0, result.output
    assert "job failed" not in result.output and "Error" not in result.output, result.output
    for job in ("intake", "meetings", "reminders", "digest"):
        assert f"job finished job={job} " in result.output
    assert "emails_failed=0" in result.output and "emails_failed=1" not in result.output
    return result.output


def read(register: Path) -> dict[str, Table]:
    return XlsxWorkbook(register).read(TABS)


def row(table: Table, column: str, key: str) -> dict[str, str]:
    return next(r for r in table.records() if r[column] == key)


# -- editing in LibreOffice's own format ----------------------------------------------------------


def cells_of(table_row: etree._Element) -> list[etree._Element]:
    """A row's cells one per column, splitting repeated ones (the first 64) so each can be changed alone."""
    repeat = q("table:number-columns-repeated")
    for cell in list(table_row):
        count = int(cell.get(repeat, "1"))
        if count > 1:
            del cell.attrib[repeat]
            singles = min(count, 64)
            copies = [etree.fromstring(etree.tostring(cell)) for _ in range(singles - 1)]
            if count > singles:
                copies.append(etree.fromstring(etree.tostring(cell)))
                copies[-1].set(repeat, str(count - singles))
            for copy in reversed(copies):
                cell.addnext(copy)
    return [c for c in table_row if c.tag in (q("table:table-cell"), q("table:covered-table-cell"))]


def text_of(cell: etree._Element) -> str:
    return "\n".join("".join(str(t) for t in p.itertext()) for p in cell.iterfind("text:p", NS))


def set_cell(
    document: etree._Element, tab: str, key: tuple[str, str], column: str, cell: dict[str, str], shown: str
) -> None:
    """Give one cell, found by its row's key and its header, new ODF attributes and shown text."""
    sheet = next(t for t in document.iter(q("table:table")) if t.get(q("table:name")) == tab)
    rows = list(sheet.iter(q("table:table-row")))
    header = [text_of(c) for c in cells_of(rows[0])]
    target = next(r for r in rows[1:] if text_of(cells_of(r)[header.index(key[0])]) == key[1])
    element = cells_of(target)[header.index(column)]
    for name in list(element.attrib):
        if name != q("table:content-validation-name"):
            del element.attrib[name]
    for child in list(element):
        element.remove(child)
    for name, value in cell.items():
        element.set(q(name), value)
    etree.SubElement(element, q("text:p")).text = shown


def edit_in_libreoffice(profile: str, register: Path, work: Path) -> None:
    """A coordinator's edits, typed in LibreOffice and saved as .xlsx by LibreOffice."""
    flat = convert(profile, register, "fods", work / "flat")
    tree = etree.parse(str(flat), etree.XMLParser(huge_tree=True))
    document = tree.getroot()
    styles = document.find("office:automatic-styles", NS)
    assert styles is not None
    styles.extend(list(etree.fromstring(DATE_STYLES)))
    text = {"office:value-type": "string", "calcext:value-type": "string"}
    set_cell(document, REFERRALS, ("Case ID", "HSB-2026-0001"), "Notes", text, "Called the school on Monday")
    formula = {"table:formula": 'of:="Call "&"back"', **text, "office:string-value": "Call back"}
    set_cell(document, REFERRALS, ("Case ID", "HSB-2026-0002"), "Notes", formula, "Call back")
    when = {"office:value-type": "date", "office:date-value": "2026-12-03T10:00:00"}
    set_cell(
        document,
        MEETINGS,
        ("Meeting", "HSB-2026-0001-1"),
        "Agreed start",
        {**when, "table:style-name": "cehsb2", "calcext:value-type": "date"},
        "03/12/2026 10:00",
    )
    day = {"office:value-type": "date", "office:date-value": "2026-11-30", "calcext:value-type": "date"}
    set_cell(
        document,
        INTERVENTIONS,
        ("Case ID", "HSB-2026-0002"),
        "End summary recorded",
        {**day, "table:style-name": "cehsb1"},
        "30/11/2026",
    )
    tree.write(str(flat), xml_declaration=True, encoding="UTF-8")
    saved = convert(profile, flat, "xlsx", work / "saved")
    shutil.move(saved, register)


# -- the tests ----------------------------------------------------------------------------------


@pytest.fixture
def workspace(tmp_path: Path) -> Path:
    result = invoke("demo", str(tmp_path / "ws"))
    assert result.exit_code == 0, result.output
    return tmp_path / "ws"


def emails(workspace: Path) -> set[str]:
    return {p.name for p in (workspace / "outbox").glob("*.eml")}


def outbox(tables: dict[str, Table]) -> dict[str, str]:
    return {r["Key"]: r["State"] for r in tables[OUTBOX].records()}


def test_every_job_runs_on_a_register_saved_and_edited_in_libreoffice(
    workspace: Path, profile: str, tmp_path: Path
) -> None:
    config, register = workspace / "hsb-sheets.toml", workspace / "register.xlsx"
    before, sent = read(register), emails(workspace)

    resave(profile, register, tmp_path)  # about a thousand empty formatted rows per tab, shared strings
    assert b"<Application>LibreOffice" in zipped(register, "docProps/app.xml")
    assert read(register) == before  # reads exactly like the jobs' own register
    output = run_jobs(config)
    assert "registered 0 referral(s), 0 intake issue(s)" in output and "0 new, 0 invited" in output
    after = read(register)
    assert {t: after[t].rows for t in TABS if t != AUDIT_LOG} == {
        t: before[t].rows for t in TABS if t != AUDIT_LOG
    }
    assert emails(workspace) == sent  # nothing re-sent

    edit_in_libreoffice(profile, register, tmp_path)
    edited = read(register)
    assert row(edited[MEETINGS], "Meeting", "HSB-2026-0001-1")["Agreed start"] == "2026-12-03 10:00:00"
    assert row(edited[INTERVENTIONS], "Case ID", "HSB-2026-0002")["End summary recorded"] == "2026-11-30"
    assert row(edited[REFERRALS], "Case ID", "HSB-2026-0002")["Notes"] == "Call back"
    output = run_jobs(config)
    assert "registered 0 referral(s)" in output and "1 rescheduled" in output

    final = read(register)
    meeting = row(final[MEETINGS], "Meeting", "HSB-2026-0001-1")
    assert (meeting["Status"], meeting["Event start"], meeting["Sequence"]) == (
        "Rescheduled",
        "2026-12-03 10:00",
        "1",
    )
    assert meeting["Agreed start"] == "2026-12-03 10:00:00"  # the coordinator's edit is intact
    assert row(final[INTERVENTIONS], "Case ID", "HSB-2026-0002")["Status"] == "Complete"
    notes = {r["Case ID"]: r["Notes"] for r in final[REFERRALS].records()}
    assert (notes["HSB-2026-0001"], notes["HSB-2026-0002"]) == ("Called the school on Monday", "Call back")
    assert [r["Case ID"] for r in final[REFERRALS].records()] == [
        r["Case ID"] for r in before[REFERRALS].records()
    ]
    assert final[FORM_RESPONSES].rows == before[FORM_RESPONSES].rows
    old, new = outbox(before), outbox(final)
    assert {k: new[k] for k in old} == old  # every message sent once, and still recorded as sent
    moved = f"invite|{meeting['Event ID']}|1|REQUEST"
    assert set(new) - set(old) == {moved}
    assert len(emails(workspace) - sent) == 1  # the new time, to the invitees, once


def zipped(register: Path, part: str) -> bytes:
    with zipfile.ZipFile(register) as archive:
        return archive.read(part)


@pytest.fixture
def small_register(tmp_path: Path) -> Path:
    register = tmp_path / "register.xlsx"
    XlsxWorkbook(register).ensure_tabs([TabSpec.plain(AUDIT_LOG, system=("Time", "Action"))])
    return register


@pytest.fixture
def held_by_libreoffice(small_register: Path, profile: str) -> Iterator[subprocess.Popen[bytes]]:
    register = small_register
    office = subprocess.Popen(
        soffice(profile, str(register)),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,  # its own process group, so the test ends exactly what it started
    )
    try:
        lock = register.parent / ".~lock.register.xlsx#"
        deadline = time.monotonic() + 90
        while not lock.exists() and time.monotonic() < deadline and office.poll() is None:
            time.sleep(0.2)
        assert lock.exists(), "LibreOffice did not open the register"
        yield office
    finally:
        if office.poll() is None:
            os.killpg(office.pid, signal.SIGKILL)
        office.wait()


def test_a_register_open_in_libreoffice_is_never_written_even_after_it_crashed(
    small_register: Path, held_by_libreoffice: subprocess.Popen[bytes]
) -> None:
    register = small_register
    lock = register.parent / ".~lock.register.xlsx#"
    # The lock file is one line: ,user,host,DD.MM.YYYY HH:MM,profile url;  (its user name is never shown)
    content = lock.read_text(encoding="utf-8", errors="replace")
    assert re.fullmatch(r",[^,]*,[^,]*,\d\d\.\d\d\.\d{4} \d\d:\d\d,file://[^;]*;\s*", content)
    before = register.read_bytes()
    wb = XlsxWorkbook(register, lock_timeout=5)
    batch = WriteBatch(appends=[Append(AUDIT_LOG, {"Action": "test"})])
    with pytest.raises(RegisterHeldOpen, match=r"register\.xlsx is open in LibreOffice \(since "):
        wb.write(batch)
    held = wb.held_open()
    assert held is not None and held.program == "LibreOffice" and not held.stale

    os.killpg(held_by_libreoffice.pid, signal.SIGKILL)  # LibreOffice crashes: its lock file stays
    held_by_libreoffice.wait()
    assert lock.exists()
    crashed = XlsxWorkbook(register, stale_after=dt.timedelta(0))
    assert (stale := crashed.held_open()) is not None and stale.stale
    with pytest.raises(RegisterHeldOpen, match="LibreOffice may have crashed"):
        crashed.write(batch)
    assert register.read_bytes() == before

    lock.unlink()  # the IT officer checked nobody has it open, and deleted the lock file
    crashed.write(batch)
    assert XlsxWorkbook(register).read([AUDIT_LOG])[AUDIT_LOG].column("Action") == ["test"]
