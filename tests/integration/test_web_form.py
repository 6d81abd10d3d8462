"""The local web form over real HTTP: CSRF, errors beside questions, every submission kept."""

from __future__ import annotations

import re
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests

from hsb_sheets.adapters.calendar.memory import MemoryCalendar
from hsb_sheets.adapters.mail.memory import MemoryMailer
from hsb_sheets.adapters.workbook.memory import MemoryWorkbook
from hsb_sheets.bootstrap import build_context
from hsb_sheets.config import Settings
from hsb_sheets.domain.tabs import FORM_RESPONSES, REFERRALS
from hsb_sheets.services.context import Context
from hsb_sheets.services.intake import run_intake
from hsb_sheets.services.setup import setup_register
from hsb_sheets.web.form_app import make_form_server
from tests.conftest import FixedClock, valid_answers


@pytest.fixture
def served(tmp_path: Path, clock: FixedClock) -> Iterator[tuple[Context, str]]:
    ctx = build_context(
        Settings(base_dir=tmp_path),
        workbook=MemoryWorkbook(),
        mailer=MemoryMailer(),
        calendar=MemoryCalendar(),
        clock=clock,
    )
    setup_register(ctx)
    server = make_form_server(ctx, "127.0.0.1", 0)
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    yield ctx, f"http://127.0.0.1:{server.server_port}/"
    server.shutdown()
    server.server_close()


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


def test_the_page_labels_every_question(served: tuple[Context, str]) -> None:
    ctx, url = served
    page = requests.get(url, timeout=10)
    for f in ctx.form.fields:
        assert (f'<label for="{f.id}">' in page.text) or (f'<fieldset id="{f.id}"' in page.text), f.id
    assert page.headers["X-Frame-Options"] == "DENY" and "SameSite=Strict" in page.headers["Set-Cookie"]


def test_a_post_without_the_token_is_refused(served: tuple[Context, str]) -> None:
    ctx, url = served
    answer = requests.post(url, data=as_post(valid_answers(), "forged"), timeout=10)
    assert answer.status_code == 403
    assert ctx.workbook.read([FORM_RESPONSES])[FORM_RESPONSES].rows == []


def test_errors_are_shown_and_the_submission_is_kept(served: tuple[Context, str]) -> None:
    ctx, url = served
    session = requests.Session()
    csrf = token(session, url)
    answer = session.post(
        url, data=as_post(valid_answers(child_last_name="", child_dob="31/02/2014"), csrf), timeout=10
    )
    assert "There is a problem" in answer.text
    assert '<a href="#child_last_name">' in answer.text and '<a href="#child_dob">' in answer.text
    assert 'id="child_dob-error"' in answer.text
    assert 'value="Robin"' in answer.text  # what was typed is kept for correction
    assert len(ctx.workbook.read([FORM_RESPONSES])[FORM_RESPONSES].rows) == 1


def test_a_valid_referral_reaches_the_register(served: tuple[Context, str]) -> None:
    ctx, url = served
    session = requests.Session()
    csrf = token(session, url)
    answers = valid_answers(
        open_to_services="Early Help, Children's Social Care",
        traffic_light="Amber",
        behaviour_description='=HYPERLINK("https://example.org") and more fictional text',
    )
    answer = session.post(url, data=as_post(answers, csrf), timeout=10)
    assert "Referral sent" in answer.text
    [row] = ctx.workbook.read([FORM_RESPONSES])[FORM_RESPONSES].records()
    assert row["Is the child open to any of these services?"] == "Early Help, Children's Social Care"
    assert re.fullmatch(r"\d\d/\d\d/\d{4} \d\d:\d\d:\d\d", row["Timestamp"])
    report = run_intake(ctx)
    assert report.registered == ["HSB-2026-0001"]
    [referral] = ctx.workbook.read([REFERRALS])[REFERRALS].records()
    assert referral["Route"] == "early_help" and referral["Behaviour description"].startswith("=HYPERLINK")
