"""A practitioner fills in the local web form in a real headless Chromium; intake then finds the case.
The form follows the GOV.UK Design System's error patterns, passes axe-core with no violations, and
holds its limits (body size, rate, escaping) in the browser too.

Needs Debian's chromium (`make test` and `.ci/run` install it), the playwright package, and axe-core
from npm (`make test` runs `npm ci`, which puts it in node_modules/).
"""

from __future__ import annotations

import contextlib
import os
import shutil
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import openpyxl
import pytest
from click.testing import CliRunner
from playwright.sync_api import Browser, Dialog, Page, Playwright, expect, sync_playwright

from hsb_sheets.adapters.journal.memory import MemoryJournal
from hsb_sheets.bootstrap import build_context, load_form
from hsb_sheets.cli import cli
from hsb_sheets.config import WebSettings, load_settings
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


AXE = Path(__file__).resolve().parents[2] / "node_modules" / "axe-core" / "axe.min.js"
# WCAG 2.2 A and AA (1.3.5 autocomplete, 2.5.8 target size among them) and axe's best practices.
AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22a", "wcag22aa", "best-practice"]


@contextlib.contextmanager
def serving(ctx: Context, web: WebSettings | None = None) -> Iterator[str]:
    server = make_form_server(ctx, "127.0.0.1", 0, web)
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
            assert summary.is_visible() and "Enter the child's last name" in summary.inner_text()
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


def axe_violations(page: Page) -> list[tuple[str, list[Any]]]:
    """What axe-core finds on the page as it stands (evaluated by the DevTools protocol, past the CSP)."""
    assert AXE.is_file(), "axe-core is missing: run 'make test' (it runs npm ci) or 'npm ci'"
    page.evaluate(AXE.read_text(encoding="utf-8"))
    result = page.evaluate("tags => axe.run(document, {runOnly: {type: 'tag', values: tags}})", AXE_TAGS)
    return [(v["id"], [n["target"] for n in v["nodes"]]) for v in result["violations"]]


def watch(page: Page) -> list[str]:
    """Console messages and dialogs: a CSP refusal or an alert() an answer smuggled in would show here."""
    seen: list[str] = []
    page.on("console", lambda message: seen.append(message.text))

    def dismiss(dialog: Dialog) -> None:
        seen.append("dialog: " + dialog.message)
        dialog.dismiss()

    page.on("dialog", dismiss)
    return seen


def active(page: Page) -> str:
    return str(page.evaluate("document.activeElement.id || document.activeElement.tagName"))


def test_the_form_and_its_errors_follow_gov_uk_patterns_and_pass_axe(workspace: tuple[Path, str]) -> None:
    _, url = workspace
    with sync_playwright() as playwright:
        browser = launch(playwright)
        try:
            page = browser.new_page()
            seen = watch(page)
            page.goto(url)
            assert axe_violations(page) == []
            page.fill("#referrer_email", "not an address")
            page.click("#submit")
            assert page.title().startswith("Error: ")
            expect(
                page.locator("#error-summary")
            ).to_be_focused()  # so it is announced (the script may still load)
            summary = page.locator("#error-summary")
            assert summary.locator("h2").inner_text() == "There is a problem"
            assert (
                "Enter an email address in the correct format, like name@example.org" in summary.inner_text()
            )
            border = "id => getComputedStyle(document.getElementById(id)).borderColor"
            assert page.evaluate(border, "referrer_name") == "rgb(212, 53, 28)"  # red: in error
            assert page.evaluate(border, "referrer_phone") == "rgb(11, 12, 12)"  # optional, not in error
            assert axe_violations(page) == []
            summary.get_by_role("link", name="Select your agency").click()
            assert active(page) == "referrer_agency"  # the first radio, not the page body
            legend = page.locator("fieldset:has(#referrer_agency) legend")
            in_view = (
                "e => { const r = e.getBoundingClientRect(); return r.top > -1 && r.bottom <= innerHeight; }"
            )
            assert legend.evaluate(in_view)  # the question is scrolled into view above its options
            summary.get_by_role("link", name="Enter your name").click()
            assert active(page) == "referrer_name"
            hidden = page.locator("#referrer_name-error .govuk-visually-hidden")
            assert hidden.evaluate("e => e.getBoundingClientRect().width") <= 1  # read out, not shown
            assert page.locator("#referrer_name").get_attribute("aria-describedby") == (
                "referrer_name-hint referrer_name-error"
            )
        finally:
            browser.close()
    assert [m for m in seen if "Content Security Policy" in m or m.startswith("dialog")] == []


def test_the_form_s_limits_hold_in_the_browser(tmp_path: Path) -> None:
    assert CliRunner().invoke(cli, ["init", str(tmp_path / "ws")]).exit_code == 0
    journal = MemoryJournal()
    ctx = build_context(load_settings(tmp_path / "ws" / "hsb-sheets.toml"), journal=journal)
    form = ctx.form
    kinds = (
        {f.id for f in form.fields if f.type == "checkboxes"},
        {f.id for f in form.fields if f.type == "choice"},
    )
    with serving(ctx, WebSettings(submissions_per_window=1)) as url, sync_playwright() as playwright:
        browser = launch(playwright)
        try:
            page = browser.new_page()
            seen = watch(page)
            page.goto(url)
            attack = '"><img src=x onerror=alert(1)><script>alert(2)</script>'
            fill(
                page,
                valid_answers(referrer_name=attack, behaviour_description=attack, child_last_name=""),
                *kinds,
            )
            page.click("#submit")
            assert page.locator("#error-summary").is_visible()
            assert page.locator("img").count() == 0 and page.input_value("#referrer_name") == attack
            page.fill("#behaviour_description", "x" * 150_000)
            page.click("#submit")
            assert page.locator("h1").inner_text() == "Your answers are too long to send"
            page.click("text=Go to the referral form")
            fill(page, valid_answers(), *kinds)
            page.click("#submit")
            assert page.locator("h1").inner_text() == "Referral sent"
            page.click("text=Make another referral")
            fill(page, valid_answers(child_first_name="Robyn"), *kinds)
            page.click("#submit")
            expect(page.locator("#error-summary")).to_be_focused()
            assert "Your network has sent 1 referrals" in page.locator("#error-summary").inner_text()
            assert page.input_value("#child_first_name") == "Robyn"  # kept, to send again later
            assert axe_violations(page) == []
        finally:
            browser.close()
    assert len(journal.state.submissions) == 1
    assert [m for m in seen if m.startswith("dialog")] == []
