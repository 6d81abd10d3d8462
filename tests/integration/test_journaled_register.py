"""The local register beside real programs: a stale copy saved over it, a desktop program holding it
open, and coordinators saving while a job writes. Nothing is lost, nothing is done twice.

Each test runs the real stack (an .xlsx register, the SQLite journal, the web form's submissions,
intake and delivery) with a mailer that counts every send it is asked to make.
"""

from __future__ import annotations

import os
import random
import threading
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from click.testing import CliRunner

from hsb_sheets.adapters.calendar.memory import MemoryCalendar
from hsb_sheets.adapters.journal.sqlite import SqliteJournal
from hsb_sheets.adapters.mail.base import Email
from hsb_sheets.adapters.workbook.base import Append, Table, Update, WriteBatch
from hsb_sheets.adapters.workbook.ooxml import Package
from hsb_sheets.adapters.workbook.xlsx import XlsxWorkbook
from hsb_sheets.bootstrap import build_context
from hsb_sheets.cli import cli
from hsb_sheets.config import load_settings
from hsb_sheets.domain.tabs import (
    AUDIT_LOG,
    FORM_RESPONSES,
    OUTBOX,
    REFERRALS,
    AuditLogTab,
    OutboxTab,
    ReferralsTab,
    TabSpec,
)
from hsb_sheets.services.context import Context
from hsb_sheets.services.intake import run_intake
from hsb_sheets.services.notifications import sent_digest
from hsb_sheets.services.status import read_status
from hsb_sheets.services.submissions import submission_for
from tests.conftest import FixedClock, valid_answers

NOW = datetime(2026, 3, 12, 10, 0, tzinfo=UTC)
LIBREOFFICE_LOCK = ",Jo Bloggs,desk-17,12.03.2026 09:49,file:///home/jo/.config/libreoffice/4;"


class CountingMailer:
    """Records every send it is asked to make, even a repeat (the real adapters hide repeats)."""

    def __init__(self) -> None:
        self.calls: list[Email] = []
        self._lock = threading.Lock()

    def send(self, email: Email) -> str:
        with self._lock:
            self.calls.append(email)
        return email.message_id

    def keys(self) -> list[str]:
        return [e.key for e in self.calls]


@pytest.fixture
def workspace(tmp_path: Path) -> Path:
    folder = tmp_path / "ws"
    assert CliRunner().invoke(cli, ["init", str(folder)]).exit_code == 0
    return folder


def context(workspace: Path, mailer: CountingMailer, clock: FixedClock | None = None) -> Context:
    settings = load_settings(workspace / "hsb-sheets.toml")
    return build_context(settings, mailer=mailer, calendar=MemoryCalendar(), clock=clock or FixedClock(NOW))


def submit(ctx: Context, n: int) -> str:
    """A web-form referral stored in the journal, as the form stores it; its referrer's address."""
    referrer = f"referrer{n}@example.org"
    answers = valid_answers(child_first_name=f"Child{n}", referrer_email=referrer)
    ctx.journal.add_submission(submission_for(ctx, f"S{n}", NOW + timedelta(seconds=n), answers))
    return referrer


def register_of(workspace: Path) -> Path:
    settings = load_settings(workspace / "hsb-sheets.toml")
    return settings.resolve(settings.workbook.path)


def tables(register: Path) -> dict[str, Table]:
    """The register as a fresh reader sees the file (no journal involved)."""
    return XlsxWorkbook(register).read([FORM_RESPONSES, REFERRALS, OUTBOX, AUDIT_LOG])


def case_ids(register: Path) -> list[str]:
    return tables(register)[REFERRALS].column(ReferralsTab.CASE_ID)


def outbox_states(register: Path) -> dict[str, str]:
    return {r[OutboxTab.KEY]: r[OutboxTab.STATE] for r in tables(register)[OUTBOX].records()}


def save_over(register: Path, content: bytes) -> None:
    """A program saving its copy over the register, as LibreOffice does: a new file renamed over it."""
    temporary = register.with_name("saving.tmp")
    temporary.write_bytes(content)
    os.replace(temporary, register)


def hold(register: Path, age: timedelta = timedelta(0)) -> Path:
    lock = register.parent / f".~lock.{register.name}#"
    lock.write_text(LIBREOFFICE_LOCK, encoding="utf-8")
    stamp = time.time() - age.total_seconds()
    os.utime(lock, (stamp, stamp))
    return lock


def test_a_stale_copy_saved_over_the_register_loses_nothing_and_no_case_id_is_reused(
    workspace: Path,
) -> None:
    mailer = CountingMailer()
    ctx = context(workspace, mailer)
    register = register_of(workspace)
    submit(ctx, 1)
    assert run_intake(ctx).registered == ["HSB-2026-0001"]
    stale = register.read_bytes()  # LibreOffice has the register open from here...
    submit(ctx, 2)
    assert run_intake(ctx).registered == ["HSB-2026-0002"]
    save_over(register, stale)  # ...and saves it: case 2, its response and its Outbox row are gone
    assert case_ids(register) == ["HSB-2026-0001"]

    third = submit(ctx, 3)
    assert run_intake(ctx).registered == ["HSB-2026-0003"]  # never 0002 again

    assert case_ids(register) == ["HSB-2026-0001", "HSB-2026-0002", "HSB-2026-0003"]
    acks = [f"acknowledgement|HSB-2026-000{n}" for n in (1, 2, 3)]
    assert outbox_states(register) == dict.fromkeys(acks, "sent")
    assert sorted(mailer.keys()) == acks  # case 2's acknowledgement was not sent again
    assert [e.to for e in mailer.calls if e.key == acks[2]] == [(third,)]
    journal = SqliteJournal(workspace / ".hsb-state" / "journal.sqlite3").outbox()
    assert {e.key: sent_digest(e) for e in mailer.calls} == {k: journal[k].digest for k in acks}
    assert len(tables(register)[FORM_RESPONSES].rows) == 3  # the lost response is back, once
    audit = list(tables(register)[AUDIT_LOG].records())
    restored = [a for a in audit if "restored after the register lost" in a[AuditLogTab.DETAIL]]
    assert {a[AuditLogTab.CASE_ID] for a in restored if a[AuditLogTab.ACTION] == "row restored"} == {
        "HSB-2026-0002"
    }
    assert [a[AuditLogTab.ACTION] for a in audit].count("referral registered") == 3
    assert not [a for a in restored if "Child2" in str(a) or "referrer2" in str(a)]  # no personal data

    before = {name: t.rows for name, t in tables(register).items() if name != AUDIT_LOG}
    run_intake(ctx)  # a further run finds nothing to restore
    assert {name: t.rows for name, t in tables(register).items() if name != AUDIT_LOG} == before
    assert sorted(mailer.keys()) == acks


def test_while_a_desktop_program_holds_the_register_the_jobs_work_and_write_once_it_closes(
    workspace: Path,
) -> None:
    mailer = CountingMailer()
    ctx = context(workspace, mailer)
    register = register_of(workspace)
    submit(ctx, 1)
    run_intake(ctx)
    lock = hold(register)
    untouched = register.read_bytes()
    referrers = {submit(ctx, 2), submit(ctx, 3)}

    report = run_intake(ctx)  # no error: the register is never written, the referrers are told
    assert report.registered == ["HSB-2026-0002", "HSB-2026-0003"]
    assert {e.to[0] for e in mailer.calls[1:]} == referrers and len(mailer.calls) == 3
    assert register.read_bytes() == untouched
    assert run_intake(ctx).registered == [] and len(mailer.calls) == 3  # the run sees its own work
    assert register.read_bytes() == untouched
    assert read_status(ctx).attention == []  # not yet long
    os.utime(lock, (time.time() - 7200, time.time() - 7200))
    ctx.clock = lambda: datetime.now(UTC)
    assert any("open in LibreOffice (since" in line for line in read_status(ctx).attention)

    lock.unlink()  # LibreOffice closed it, without saving
    assert run_intake(ctx).registered == []
    assert case_ids(register) == ["HSB-2026-0001", "HSB-2026-0002", "HSB-2026-0003"]
    assert set(outbox_states(register).values()) == {"sent"} and len(outbox_states(register)) == 3
    assert len(tables(register)[FORM_RESPONSES].rows) == 3
    actions = [a[AuditLogTab.ACTION] for a in tables(register)[AUDIT_LOG].records()]
    assert actions.count("referral registered") == 3 and actions.count("email sent") == 3
    assert not any("restored" in a for a in actions)  # written from the queue, not restored
    assert SqliteJournal(workspace / ".hsb-state" / "journal.sqlite3").queued_writes() == []
    rows = {name: t.rows for name, t in tables(register).items() if name != AUDIT_LOG}
    run_intake(ctx)
    assert {name: t.rows for name, t in tables(register).items() if name != AUDIT_LOG} == rows
    assert len(mailer.calls) == 3


CASES = TabSpec.plain("Cases", system=("Case ID", "State"), coordinator=("Notes",), key="Case ID")


def coordinator_edits(path: Path, notes: str, insert: str | None = None) -> None:
    """A coordinator's save: a note on case 2, and perhaps a row typed above it (new file, renamed)."""
    package = Package(path.read_bytes())
    rows = package.values("Cases")
    header = rows[0]
    cells = {}
    if insert is not None:  # every row moves down one: the jobs must find case 2 by its key
        for number, row in enumerate(rows[1:], start=2):
            for column, value in enumerate(row, start=1):
                cells[(number + 1, column)] = value
        cells[(2, 1)], cells[(2, header.index("Notes") + 1)] = insert, ""
        cells[(2, 2)] = ""
    moved = 1 if insert is not None else 0
    number = next(n for n, row in enumerate(rows) if row and row[0] == "HSB-2026-0002") + 1 + moved
    cells[(number, header.index("Notes") + 1)] = notes
    package.set_cells("Cases", cells)
    save_over(path, package.to_bytes())


@pytest.fixture
def cases(tmp_path: Path) -> XlsxWorkbook:
    register = XlsxWorkbook(tmp_path / "register.xlsx")
    register.ensure_tabs([CASES])
    register.write(
        WriteBatch(appends=[Append("Cases", {"Case ID": f"HSB-2026-000{n}", "State": "new"}) for n in (1, 2)])
    )
    return register


def job_writes() -> WriteBatch:
    return WriteBatch(
        appends=[Append("Cases", {"Case ID": "HSB-2026-0003", "State": "new"})],
        updates=[Update("Cases", "Case ID", "HSB-2026-0002", {"State": "sent"})],
    )


def test_a_coordinators_save_between_a_jobs_read_and_its_write_is_kept(cases: XlsxWorkbook) -> None:
    with cases.session():
        assert len(cases.read(["Cases"])["Cases"].rows) == 2  # the job has read the register
        coordinator_edits(cases.path, "call the school back", insert="HSB-2025-0099")
        cases.write(job_writes())
    rows = XlsxWorkbook(cases.path).read(["Cases"])["Cases"].rows
    assert rows == [
        ["HSB-2025-0099", "", ""],
        ["HSB-2026-0001", "new", ""],
        ["HSB-2026-0002", "sent", "call the school back"],
        ["HSB-2026-0003", "new", ""],
    ]


def test_a_coordinators_save_while_the_job_is_writing_is_kept(
    cases: XlsxWorkbook, monkeypatch: pytest.MonkeyPatch
) -> None:
    real = Package.to_bytes
    saved: list[bool] = []

    def save_during_the_write(package: Package) -> bytes:
        content = real(package)
        if not saved:  # the coordinator saves after the job has made its copy, before it renames it
            saved.append(True)
            coordinator_edits(cases.path, "urgent")
        return content

    monkeypatch.setattr(Package, "to_bytes", save_during_the_write)
    cases.write(job_writes())
    monkeypatch.undo()
    rows = XlsxWorkbook(cases.path).read(["Cases"])["Cases"].rows
    assert rows == [
        ["HSB-2026-0001", "new", ""],
        ["HSB-2026-0002", "sent", "urgent"],
        ["HSB-2026-0003", "new", ""],
    ]


def test_a_coordinators_save_in_the_instant_before_the_rename_is_kept(
    cases: XlsxWorkbook, monkeypatch: pytest.MonkeyPatch
) -> None:
    real = XlsxWorkbook._refuse_if_changed_or_held_open
    saved: list[bool] = []

    def save_after_the_last_check(register: XlsxWorkbook) -> None:
        real(register)
        if not saved:  # after the last look, before the rename: only an atomic swap can tell
            saved.append(True)
            coordinator_edits(cases.path, "seen by the swap")

    monkeypatch.setattr(XlsxWorkbook, "_refuse_if_changed_or_held_open", save_after_the_last_check)
    cases.write(job_writes())
    rows = XlsxWorkbook(cases.path).read(["Cases"])["Cases"].rows
    assert rows[1] == ["HSB-2026-0002", "sent", "seen by the swap"] and len(rows) == 3
    assert [p.name for p in cases.path.parent.iterdir() if p.name.startswith(".register-")] == []


class Saver(threading.Thread):
    """A coordinator saving the register at random moments while runs go on: each save adds a word to
    case 1's Notes, in the copy read just before (so a save may also undo what a job just wrote)."""

    def __init__(self, register: Path, saves: int) -> None:
        super().__init__(daemon=True)
        self.register, self.saves, self.made = register, saves, 0
        self.running = threading.Event()
        self.problem: BaseException | None = None
        self.random = random.Random(20261201)

    def run(self) -> None:
        try:
            while self.made < self.saves:
                if not self.running.wait(0.05):
                    continue
                time.sleep(self.random.uniform(0, 0.4))
                package = Package(self.register.read_bytes())
                rows = package.values(REFERRALS)
                header = rows[0]
                row = next(i for i, r in enumerate(rows) if r and r[0] == "HSB-2026-0001") + 1
                column = header.index(ReferralsTab.NOTES) + 1
                notes = (rows[row - 1] + [""] * len(header))[column - 1]
                package.set_cells(REFERRALS, {(row, column): f"{notes} n{self.made + 1}".strip()})
                temporary = self.register.with_name(f"saving-{self.made}.tmp")
                temporary.write_bytes(package.to_bytes())
                os.replace(temporary, self.register)
                self.made += 1
        except BaseException as problem:  # reported by the test
            self.problem = problem


def test_thirty_saves_made_during_runs_lose_nothing(workspace: Path) -> None:
    mailer = CountingMailer()
    ctx = context(workspace, mailer)
    register = register_of(workspace)
    submit(ctx, 1)
    run_intake(ctx)
    saver = Saver(register, 30)
    saver.start()
    submitted = 1
    while saver.made < saver.saves and submitted < 200 and saver.problem is None:
        submitted += 1
        submit(ctx, submitted)
        saver.running.set()
        run_intake(ctx)
        saver.running.clear()
    saver.join(10)
    assert saver.problem is None and saver.made == 30
    run_intake(ctx)  # the first run after the saves

    referrals = list(tables(register)[REFERRALS].records())
    assert referrals[0][ReferralsTab.NOTES] == " ".join(f"n{n}" for n in range(1, 31))  # every save kept
    ids = [r[ReferralsTab.CASE_ID] for r in referrals]
    assert sorted(ids) == [f"HSB-2026-{n:04d}" for n in range(1, submitted + 1)]  # once each, none reused
    assert sorted(mailer.keys()) == sorted(f"acknowledgement|{case}" for case in ids)  # each sent once
    assert set(outbox_states(register).values()) == {"sent"} and len(outbox_states(register)) == submitted
    assert len(tables(register)[FORM_RESPONSES].rows) == submitted
