"""A practitioner fills in the local web form in a real headless Chromium; intake then finds the case.

Needs Debian's chromium (`make test` and `.ci/run` install it) and the playwright package.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import threading
from collections.abc import Iterator
from pathlib import Path

import openpyxl
import pytest
from click.testing import CliRunner
from playwright.sync_api import Browser, Page, Playwright, sync_playwright

from hsb_sheets.adapters.journal.memory import MemoryJournal
from hsb_sheets.bootstrap import build_context, load_form
from hsb_sheets.cli import cli
from hsb_sheets.config import load_settings
from hsb_sheets.domain.tabs import FORM_RESPONSES, REFERRALS, ReferralsTab
from hsb_sheets.services.context import Context
from hsb_sheets.web.form_app import make_form_server
from tests.conftest import form_column, valid_answers

CHROMIUM = (
    os.environ.get("HSB_SHEETS_CHROMIUM") or shutil.which("chromium") or shutil.which("chromium-browser")
)
FLAGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-dev-shm-usage",
]


@contextlib.contextmanager
def serving(ctx: Context) -> Iterator[str]:
    server = make_form_server(ctx, "127.0.0.1", 0)
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}/"
    finally:
        server.shutdown()
        server.server_close()
        assert server.get_app().copier.wait(30)  # the form's background copy into the register


@pytest.fixture
def workspace(tmp_path: Path) -> Iterator[tuple[Path, str]]:
    assert CliRunner().invoke(cli, ["init", str(tmp_path / "ws")]).exit_code == 0
    settings = load_settings(tmp_path / "ws" / "hsb-sheets.toml")
    with serving(build_context(settings)) as url:
        yield tmp_path / "ws", url


@pytest.fixture
def failing_journal(tmp_path: Path) -> Iterator[tuple[MemoryJournal, str]]:
    assert CliRunner().invoke(cli, ["init", str(tmp_path / "ws")]).exit_code == 0
    journal = MemoryJournal()
    journal.fail_next = 1  # the first referral cannot be stored, as on a full disk
    with serving(build_context(load_settings(tmp_path / "ws" / "hsb-sheets.toml"), journal=journal)) as url:
        yield journal, url


def launch(playwright: Playwright) -> Browser:
    assert CHROMIUM, (
        "Chromium is missing: run 'make test' (it installs Debian's chromium) or set HSB_SHEETS_CHROMIUM"
    )
    return playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=FLAGS)


def fill(page: Page, answers: dict[str, str], checkbox_fields: set[str], choice_fields: set[str]) -> None:
    for field_id, value in answers.items():
        if not value:
            continue
        if field_id in checkbox_fields:
            for part in value.split(", "):
                page.check(f'input[name="{field_id}"][value="{part}"]')
        elif field_id in choice_fields:
            page.check(f'input[name="{field_id}"][value="{value}"]')
        else:
            page.fill(f"#{field_id}", value)


def test_a_referral_made_in_the_browser_reaches_the_register(
    workspace: tuple[Path, str], tmp_path: Path
) -> None:
    folder, url = workspace
    form = build_context(load_settings(folder / "hsb-sheets.toml")).form
    checkboxes = {f.id for f in form.fields if f.type == "checkboxes"}
    choices = {f.id for f in form.fields if f.type == "choice"}
    answers = valid_answers(
        traffic_light="Red",
        child_first_name="Rowan",
        child_last_name="Browserfield",
        school_or_setting="Example Academy",
        open_to_services="Early Help",
    )
    with sync_playwright() as playwright:
        browser = launch(playwright)
        try:
            page = browser.new_page()
            page.goto(url)
            assert page.title() == form.title
            fill(page, {**answers, "child_last_name": ""}, checkboxes, choices)
            page.click("#submit")
            summary = page.locator("#error-summary")
            assert summary.is_visible() and "this question needs an answer" in summary.inner_text()
            assert page.locator("#child_last_name-error").is_visible()
            page.screenshot(path=str(tmp_path / "form-with-errors.png"), full_page=True)
            page.fill("#child_last_name", "Browserfield")
            page.click("#submit")
            assert page.locator("h1").inner_text() == "Referral sent"
        finally:
            browser.close()
    result = CliRunner().invoke(cli, ["--config", str(folder / "hsb-sheets.toml"), "run", "--job", "intake"])
    assert result.exit_code == 0, result.output
    # The incomplete first try was shown back and stored nowhere: no intake issue, one response.
    assert "registered 1 referral(s), 0 intake issue(s)" in result.output
    book = openpyxl.load_workbook(folder / "register.xlsx", read_only=True)
    responses = [r for r in book[FORM_RESPONSES].iter_rows(min_row=2, values_only=True) if any(r)]
    rows = list(book[REFERRALS].iter_rows(values_only=True))
    book.close()
    assert len(responses) == 1
    header = list(rows[0])
    [case] = [dict(zip(header, r, strict=False)) for r in rows[1:]]
    assert (case[form_column("child_last_name")], case[ReferralsTab.ROUTE], case[ReferralsTab.CASE_ID]) == (
        "Browserfield",
        "strategy_discussion",
        "HSB-2026-0001",
    )


def test_a_referral_the_journal_cannot_store_is_not_reported_as_sent(
    failing_journal: tuple[MemoryJournal, str],
) -> None:
    journal, url = failing_journal
    with sync_playwright() as playwright:
        browser = launch(playwright)
        try:
            page = browser.new_page()
            page.goto(url)
            form = load_form()
            fill(
                page,
                valid_answers(),
                {f.id for f in form.fields if f.type == "checkboxes"},
                {f.id for f in form.fields if f.type == "choice"},
            )
            page.click("#submit")
            assert page.locator("h1").inner_text() != "Referral sent"
            summary = page.locator("#error-summary")
            assert summary.is_visible() and "could not be saved" in summary.inner_text()
            assert journal.state.submissions == {}
            page.click("#submit")  # the answers are still there: sending again works
            assert page.locator("h1").inner_text() == "Referral sent"
        finally:
            browser.close()
    assert len(journal.state.submissions) == 1
