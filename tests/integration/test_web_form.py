"""The local web form over real HTTP: CSRF, errors beside questions, and only accepted submissions
kept: in the journal before the browser is answered, then in "Form responses 1" exactly once."""

from __future__ import annotations

import contextlib
import re
import subprocess
import sys
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import openpyxl
import pytest
import requests
from click.testing import CliRunner

from hsb_sheets.adapters.calendar.memory import MemoryCalendar
from hsb_sheets.adapters.journal.memory import MemoryJournal
from hsb_sheets.adapters.journal.sqlite import SqliteJournal
from hsb_sheets.adapters.mail.memory import MemoryMailer
from hsb_sheets.adapters.workbook.memory import MemoryWorkbook
from hsb_sheets.bootstrap import JOURNAL_FILE, build_context
from hsb_sheets.cli import cli
from hsb_sheets.config import Settings, load_settings
from hsb_sheets.domain.dates import parse_timestamp
from hsb_sheets.domain.form import TIMESTAMP
from hsb_sheets.domain.outbox_keys import OutboxKey
from hsb_sheets.domain.tabs import (
    AUDIT_LOG,
    FORM_RESPONSES,
    INTAKE_ISSUES,
    REFERRALS,
    AuditLogTab,
    ReferralsTab,
)
from hsb_sheets.services.context import Context
from hsb_sheets.services.intake import run_intake
from hsb_sheets.services.setup import setup_register
from hsb_sheets.web.form_app import FormApp, make_form_server
from tests.conftest import FixedClock, form_column, valid_answers


@dataclass
class Served:
    ctx: Context
    url: str
    app: FormApp
    journal: MemoryJournal
    mailer: MemoryMailer

    def rows(self, tab: str = FORM_RESPONSES) -> list[dict[str, str]]:
        return list(self.ctx.workbook.read([tab])[tab].records())

    def post(self, answers: dict[str, str]) -> requests.Response:
        session = requests.Session()
        return session.post(self.url, data=as_post(answers, token(session, self.url)), timeout=10)


@contextlib.contextmanager
def serve(ctx: Context) -> Iterator[tuple[str, FormApp]]:
    server = make_form_server(ctx, "127.0.0.1", 0)
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    app = server.get_app()
    try:
        yield f"http://127.0.0.1:{server.server_port}/", app
    finally:
        server.shutdown()
        server.server_close()
        assert app.copier.wait(30)


@pytest.fixture
def served(tmp_path: Path, clock: FixedClock) -> Iterator[Served]:
    journal, mailer = MemoryJournal(), MemoryMailer()
    ctx = build_context(
        Settings(base_dir=tmp_path),
        workbook=MemoryWorkbook(),
        mailer=mailer,
        calendar=MemoryCalendar(),
        clock=clock,
        journal=journal,
    )
    setup_register(ctx)
    with serve(ctx) as (url, app):
        yield Served(ctx, url, app, journal, mailer)


def token(session: requests.Session, url: str) -> str:
    page = session.get(url, timeout=10)
    assert page.status_code == 200
    match = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
    assert match is not None
    return match.group(1)


def as_post(answers: dict[str, str], csrf: str) -> list[tuple[str, str]]:
    data = [("csrf_token", csrf)]
    for key, value in answers.items():
        if key == "open_to_services":
            data.extend((key, v.strip()) for v in value.split(","))
        else:
            data.append((key, value))
    return data


def test_the_page_labels_every_question(served: Served) -> None:
    page = requests.get(served.url, timeout=10)
    for f in served.ctx.form.fields:
        assert (f'<label for="{f.id}">' in page.text) or (f'<fieldset id="{f.id}"' in page.text), f.id
    assert page.headers["X-Frame-Options"] == "DENY" and "SameSite=Strict" in page.headers["Set-Cookie"]


def test_a_post_without_the_token_is_refused(served: Served) -> None:
    answer = requests.post(served.url, data=as_post(valid_answers(), "forged"), timeout=10)
    assert answer.status_code == 403
    assert served.rows() == [] and served.journal.state.submissions == {}


def test_errors_are_shown_and_nothing_is_stored(served: Served) -> None:
    answer = served.post(valid_answers(child_last_name="", child_dob="31/02/2014"))
    assert "There is a problem" in answer.text and "Referral sent" not in answer.text
    assert '<a href="#child_last_name">' in answer.text and '<a href="#child_dob">' in answer.text
    assert 'id="child_dob-error"' in answer.text
    assert 'value="Robin"' in answer.text  # what was typed is kept for correction
    assert served.app.copier.wait(10)
    assert served.rows() == [] and served.journal.state.submissions == {}
    assert [r[AuditLogTab.ACTION] for r in served.rows(AUDIT_LOG)] == ["register set up"]


def test_an_empty_submit_stores_nothing(served: Served) -> None:
    answer = served.post({})
    assert "There is a problem" in answer.text
    assert served.app.copier.wait(10)
    assert served.rows() == [] and served.journal.state.submissions == {}
    assert run_intake(served.ctx).issues == 0 and served.mailer.sent == []


def test_a_corrected_submission_is_one_referral_and_one_email(served: Served) -> None:
    assert "There is a problem" in served.post(valid_answers(child_dob="31/02/2012")).text
    assert "Referral sent" in served.post(valid_answers(child_dob="28/02/2012")).text
    report = run_intake(served.ctx)
    assert (report.registered, report.issues) == (["HSB-2026-0001"], 0)
    assert served.rows(INTAKE_ISSUES) == []
    assert [e.key for e in served.mailer.sent] == [str(OutboxKey.acknowledgement("HSB-2026-0001"))]


def test_a_valid_referral_is_journalled_then_reaches_the_register(served: Served) -> None:
    answers = valid_answers(
        open_to_services="Early Help, Children's Social Care",
        traffic_light="Amber",
        behaviour_description='=HYPERLINK("https://example.org") and more fictional text',
    )
    answer = served.post(answers)
    assert "Referral sent" in answer.text
    [kept] = served.journal.state.submissions.values()  # stored before the browser was answered
    assert served.app.copier.wait(10)
    assert served.journal.state.copied == {kept.id}
    [row] = served.rows()
    assert row[served.ctx.form.field("open_to_services").title] == "Early Help, Children's Social Care"
    assert re.fullmatch(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{6}", row[TIMESTAMP])
    local = kept.received.astimezone(served.ctx.timezone).replace(tzinfo=None)
    assert parse_timestamp(row[TIMESTAMP], "en-US") == parse_timestamp(row[TIMESTAMP], "en-GB") == local
    report = run_intake(served.ctx)
    assert report.registered == ["HSB-2026-0001"]
    [referral] = served.rows(REFERRALS)
    assert referral[ReferralsTab.ROUTE] == "early_help"
    assert referral[form_column("behaviour_description")].startswith("=HYPERLINK")
    again = run_intake(served.ctx)
    assert (again.registered, again.issues, len(served.rows())) == ([], 0, 1)


def test_two_referrals_in_the_same_instant_are_both_kept(served: Served) -> None:
    # The test clock stands still: the form still gives each submission its own instant.
    assert "Referral sent" in served.post(valid_answers(child_first_name="Robin")).text
    assert "Referral sent" in served.post(valid_answers(child_first_name="Robyn")).text
    assert run_intake(served.ctx).registered == ["HSB-2026-0001", "HSB-2026-0002"]
    assert len(served.rows()) == 2 and len({r[TIMESTAMP] for r in served.rows()}) == 2


def test_a_referral_the_journal_cannot_store_is_not_reported_as_sent(served: Served) -> None:
    served.journal.fail_next = 1  # as a full disk would
    answer = served.post(valid_answers())
    assert answer.status_code == 503 and "Referral sent" not in answer.text
    assert "could not be saved" in answer.text and 'value="Robin"' in answer.text
    assert served.app.copier.wait(10)
    assert served.rows() == [] and served.journal.state.submissions == {}
    assert "Referral sent" in served.post(valid_answers()).text  # sending again works


HOLD = """
import sys, time
from pathlib import Path
from hsb_sheets.adapters.workbook.xlsx import XlsxWorkbook
with XlsxWorkbook(Path(sys.argv[1])).session():
    print("held", flush=True)
    time.sleep(600)
"""


@pytest.fixture
def workspace(tmp_path: Path) -> Path:
    folder = tmp_path / "ws"
    assert CliRunner().invoke(cli, ["init", str(folder)]).exit_code == 0
    settings = folder / "hsb-sheets.toml"
    text = settings.read_text()
    assert "[workbook]" in text
    settings.write_text(text.replace("[workbook]", "[workbook]\nlock_timeout_seconds = 0.5", 1))
    return folder


def form_rows(register: Path) -> list[tuple[Any, ...]]:
    book = openpyxl.load_workbook(register, read_only=True)
    try:
        return [r for r in book[FORM_RESPONSES].iter_rows(min_row=2, values_only=True) if any(r)]
    finally:
        book.close()


def test_a_referral_made_while_another_program_holds_the_register_is_copied_once(
    workspace: Path, caplog: pytest.LogCaptureFixture
) -> None:
    settings = load_settings(workspace / "hsb-sheets.toml")
    register = settings.resolve(settings.workbook.path)
    holder = subprocess.Popen([sys.executable, "-c", HOLD, str(register)], stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "held"
        with serve(build_context(settings)) as (url, app):
            session = requests.Session()
            answer = session.post(url, data=as_post(valid_answers(), token(session, url)), timeout=10)
            assert "Referral sent" in answer.text
            assert app.copier.wait(30)  # it tried, found the register busy, and left the referral waiting
        assert "wait in the journal for the next intake run" in caplog.text
        assert "Testwood" not in caplog.text and "pat.example" not in caplog.text
        assert form_rows(register) == []
        assert len(SqliteJournal(settings.resolve(JOURNAL_FILE)).submissions_to_copy()) == 1
    finally:
        holder.terminate()
        holder.wait(10)
    config = ["--config", str(workspace / "hsb-sheets.toml"), "run", "--job", "intake"]
    first = CliRunner().invoke(cli, config)
    assert first.exit_code == 0, first.output
    assert "registered 1 referral(s), 0 intake issue(s)" in first.output
    second = CliRunner().invoke(cli, config)
    assert "registered 0 referral(s), 0 intake issue(s)" in second.output, second.output
    assert len(form_rows(register)) == 1
    assert SqliteJournal(settings.resolve(JOURNAL_FILE)).submissions_to_copy() == []
    book = openpyxl.load_workbook(register, read_only=True)
    [header, *cases] = [r for r in book[REFERRALS].iter_rows(values_only=True) if any(r)]
    book.close()
    assert [case[header.index(form_column("child_last_name"))] for case in cases] == ["Testwood"]
