"""The command line over a local register that LibreOffice holds open, or that a stale copy was saved
over: `run` still does the work, `status` says so, and every email on disk is the one recorded."""

from __future__ import annotations

import email
import os
import time
from datetime import UTC, datetime
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from hsb_sheets.adapters.journal.sqlite import SqliteJournal
from hsb_sheets.adapters.workbook.base import Table
from hsb_sheets.adapters.workbook.xlsx import XlsxWorkbook
from hsb_sheets.bootstrap import build_context
from hsb_sheets.cli import cli
from hsb_sheets.config import load_settings
from hsb_sheets.domain.tabs import OUTBOX, REFERRALS, OutboxTab, ReferralsTab
from hsb_sheets.services.submissions import submission_for
from tests.conftest import valid_answers


def hsb(ws: Path, *args: str) -> Result:
    return CliRunner().invoke(cli, ["--config", str(ws / "hsb-sheets.toml"), *args])


@pytest.fixture
def ws(tmp_path: Path) -> Path:
    folder = tmp_path / "ws"
    assert CliRunner().invoke(cli, ["init", str(folder)]).exit_code == 0
    return folder


def refer(ws: Path, n: int) -> None:
    """A referral made on the web form: stored in the journal, as the form does."""
    ctx = build_context(load_settings(ws / "hsb-sheets.toml"))
    answers = valid_answers(child_first_name=f"Child{n}", referrer_email=f"referrer{n}@example.org")
    received = datetime(2026, 3, 12, 9, 0, n, tzinfo=UTC)
    ctx.journal.add_submission(submission_for(ctx, f"S{n}", received, answers))


def read(ws: Path) -> dict[str, Table]:
    return XlsxWorkbook(ws / "register.xlsx").read([REFERRALS, OUTBOX])


def mail_on_disk(ws: Path) -> dict[str, str]:
    """Each acknowledgement file in the outbox: its case id (from the subject) and its recipient."""
    found = {}
    for path in (ws / "outbox").glob("acknowledgement-*.eml"):
        message = email.message_from_bytes(path.read_bytes())
        case = next(word for word in str(message["Subject"]).split() if word.startswith("HSB-"))
        found[case.strip(".,:;()")] = str(message["To"])
    return found


def test_a_stale_copy_saved_over_the_register_costs_nothing(ws: Path) -> None:
    register = ws / "register.xlsx"
    refer(ws, 1)
    assert "registered 1 referral(s)" in hsb(ws, "run", "--job", "intake").output
    stale = register.read_bytes()
    refer(ws, 2)
    assert "registered 1 referral(s)" in hsb(ws, "run", "--job", "intake").output
    register.write_bytes(stale)  # the coordinator's program saves the copy it had open

    dry = hsb(ws, "run", "--job", "intake", "--dry-run")
    assert dry.exit_code == 0 and "would register 0 referral(s)" in dry.output
    assert register.read_bytes() == stale  # a dry run restores nothing

    refer(ws, 3)
    run = hsb(ws, "run", "--job", "intake")
    assert run.exit_code == 0 and "registered 1 referral(s)" in run.output
    tabs = read(ws)
    assert tabs[REFERRALS].column(ReferralsTab.CASE_ID) == ["HSB-2026-0001", "HSB-2026-0002", "HSB-2026-0003"]
    recorded = {r[OutboxTab.CASE_ID]: r[OutboxTab.RECIPIENT] for r in tabs[OUTBOX].records()}
    assert {r[OutboxTab.STATE] for r in tabs[OUTBOX].records()} == {"sent"}
    assert mail_on_disk(ws) == recorded  # what each referrer was sent is what the Outbox records
    assert recorded["HSB-2026-0003"] == "referrer3@example.org"


def test_run_and_status_while_libreoffice_holds_the_register(ws: Path) -> None:
    register = ws / "register.xlsx"
    refer(ws, 1)
    lock = ws / ".~lock.register.xlsx#"
    lock.write_text(",Jo Bloggs,desk-17,12.03.2026 09:49,file:///home/jo/.config/libreoffice/4;")
    two_hours_ago = time.time() - 7200
    os.utime(lock, (two_hours_ago, two_hours_ago))
    untouched = register.read_bytes()

    run = hsb(ws, "run", "--job", "intake")
    assert run.exit_code == 0, run.output
    assert "registered 1 referral(s)" in run.output and "1 sent" in run.output
    assert register.read_bytes() == untouched
    status = hsb(ws, "status")
    assert "The register is open in LibreOffice (since " in status.output.replace("\n", " ")
    assert "Jo Bloggs" not in status.output + run.output  # the lock file's content names the person

    lock.unlink()
    assert "registered 0 referral(s)" in hsb(ws, "run", "--job", "intake").output
    tabs = read(ws)
    assert tabs[REFERRALS].column(ReferralsTab.CASE_ID) == ["HSB-2026-0001"]
    assert [r[OutboxTab.STATE] for r in tabs[OUTBOX].records()] == ["sent"]
    assert SqliteJournal(ws / ".hsb-state" / "journal.sqlite3").queued_writes() == []
    assert "open in LibreOffice" not in hsb(ws, "status").output
