"""The referral form in Google Forms (fake Forms API over HTTP, bodies checked against the discovery
document): published from the YAML, updated in place, and its responses ingested once."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from pathlib import Path

import pytest
from google.auth.credentials import AnonymousCredentials

from hsb_sheets.adapters.calendar.memory import MemoryCalendar
from hsb_sheets.adapters.forms.google import GoogleForms, forms_service
from hsb_sheets.adapters.mail.memory import MemoryMailer
from hsb_sheets.adapters.workbook.memory import MemoryWorkbook
from hsb_sheets.bootstrap import build_context, load_form
from hsb_sheets.config import Settings
from hsb_sheets.domain.form import FormDefinition
from hsb_sheets.domain.tabs import FORM_RESPONSES
from hsb_sheets.services.google_form import publish, pull_responses
from hsb_sheets.services.runner import run_job
from hsb_sheets.services.setup import setup_register
from tests.conftest import FixedClock, valid_answers
from tests.fakes.google_forms import FakeForms


@pytest.fixture
def fake() -> Iterator[tuple[FakeForms, GoogleForms]]:
    server = FakeForms()
    url = server.start()
    yield server, GoogleForms(forms_service(AnonymousCredentials(), url), retries=1)
    server.stop()


def question_ids(fake: FakeForms, form_id: str) -> dict[str, str]:
    return {i["title"]: i["questionItem"]["question"]["questionId"] for i in fake.forms[form_id]["items"]}


def test_publish_builds_every_question(fake: tuple[FakeForms, GoogleForms], tmp_path: Path) -> None:
    server, forms = fake
    form = load_form()
    published = publish(form, forms, tmp_path / "state.json")
    assert published.created and len(published.items) == len(form.fields)
    items = server.forms[published.form_id]["items"]
    assert [i["title"] for i in items] == [f.title for f in form.fields]
    area = next(i for i in items if i["title"] == form.field("child_area").title)
    assert area["questionItem"]["question"]["required"] is True
    assert [o["value"] for o in area["questionItem"]["question"]["choiceQuestion"]["options"]] == [
        "Cambridgeshire",
        "Peterborough",
    ]
    services = next(i for i in items if i["title"] == form.field("open_to_services").title)
    assert services["questionItem"]["question"]["choiceQuestion"]["type"] == "CHECKBOX"
    dob = next(i for i in items if i["title"] == form.field("child_dob").title)
    assert (
        "dateQuestion" in dob["questionItem"]["question"]
        and dob["description"] == form.field("child_dob").help
    )
    assert server.forms[published.form_id]["info"]["description"] == form.description


def test_a_changed_definition_updates_the_same_form_in_place(
    fake: tuple[FakeForms, GoogleForms], tmp_path: Path
) -> None:
    server, forms = fake
    form = load_form()
    first = publish(form, forms, tmp_path / "state.json")
    before = question_ids(server, first.form_id)
    renamed = dataclasses.replace(
        form.field("school_or_setting"), title="Name of the child's school or setting"
    )
    fields = [renamed if f.id == "school_or_setting" else f for f in form.fields if f.id != "referrer_phone"]
    fields.insert(3, fields.pop(fields.index(next(f for f in fields if f.id == "child_area"))))
    changed = FormDefinition(form.title, form.description, tuple(fields))
    second = publish(changed, forms, tmp_path / "state.json")
    assert second.form_id == first.form_id and not second.created and len(server.forms) == 1
    after = question_ids(server, first.form_id)
    assert [i["title"] for i in server.forms[first.form_id]["items"]] == [f.title for f in changed.fields]
    assert after["Name of the child's school or setting"] == before[form.field("school_or_setting").title]
    assert after[form.field("child_area").title] == before[form.field("child_area").title]
    assert form.field("referrer_phone").title not in after
    third = publish(changed, forms, tmp_path / "state.json")  # nothing changed: ids stay
    assert question_ids(server, third.form_id) == after


def test_responses_read_by_api_are_ingested_once(
    fake: tuple[FakeForms, GoogleForms], tmp_path: Path, clock: FixedClock
) -> None:
    server, forms = fake
    ctx = build_context(
        Settings(base_dir=tmp_path),
        workbook=MemoryWorkbook(),
        mailer=MemoryMailer(),
        calendar=MemoryCalendar(),
        clock=clock,
    )
    setup_register(ctx)
    published = publish(ctx.form, forms, tmp_path / "state.json")
    for n, stamp in enumerate(("2026-03-10T09:00:00.123Z", "2026-03-10T09:05:00Z")):
        answers = valid_answers(
            referrer_email=f"r{n}@example.org",
            child_dob="2012-06-15",
            incident_date="2026-03-01",
            traffic_light="Amber",
        )
        by_title: dict[str, str | list[str]] = {f.title: answers[f.id] for f in ctx.form.fields}
        by_title[ctx.form.field("open_to_services").title] = ["Early Help", "Children's Social Care"]
        server.submit(published.form_id, by_title, stamp)
    ctx.pull_responses = lambda c: pull_responses(c, forms, published.form_id)
    outcome = run_job(ctx, "intake")
    assert outcome.counts["registered"] == 2
    rows = list(ctx.workbook.read([FORM_RESPONSES])[FORM_RESPONSES].records())
    assert rows[0]["Timestamp"] == "10/03/2026 09:00:00"
    assert rows[0][ctx.form.field("open_to_services").title] == "Early Help, Children's Social Care"
    again = run_job(ctx, "intake")
    assert (
        again.counts["registered"] == 0 and len(ctx.workbook.read([FORM_RESPONSES])[FORM_RESPONSES].rows) == 2
    )
