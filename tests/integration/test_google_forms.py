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


def test_a_form_the_api_creates_takes_no_responses_until_publish_publishes_it(
    fake: tuple[FakeForms, GoogleForms], tmp_path: Path
) -> None:
    server, forms = fake
    form = load_form()
    bare = forms.create(form.title)
    with pytest.raises(PermissionError):  # what a respondent meets: the form is not published
        server.submit(bare, {}, "2026-03-10T09:00:00Z")
    published = publish(form, forms, tmp_path / "state.json")
    assert published.published_now
    state = server.forms[published.form_id]["publishSettings"]["publishState"]
    assert state == {"isPublished": True, "isAcceptingResponses": True}
    [request] = [r for r in server.server.requests if r.path.endswith(":setPublishSettings")]
    assert request.body == {
        "publishSettings": {"publishState": {"isPublished": True, "isAcceptingResponses": True}},
        "updateMask": "publishState",
    }
    server.submit(published.form_id, {form.fields[0].title: "Pat"}, "2026-03-10T09:00:00Z")
    again = publish(form, forms, tmp_path / "state.json")
    assert not again.published_now and len(server.responses[published.form_id]) == 1


def test_republishing_an_unchanged_definition_keeps_every_question_id(
    fake: tuple[FakeForms, GoogleForms], tmp_path: Path
) -> None:
    server, forms = fake
    form = load_form()
    first = publish(form, forms, tmp_path / "state.json")
    before = question_ids(server, first.form_id)
    publish(form, forms, tmp_path / "state.json")
    assert question_ids(server, first.form_id) == before
    updates = [
        request["updateItem"]["item"]
        for r in server.server.requests
        if r.path.endswith(":batchUpdate")
        for request in r.body["requests"]
        if "updateItem" in request
    ]
    assert updates and all(u["questionItem"]["question"]["questionId"] for u in updates)


def test_google_calendar_and_the_forms_api_need_a_delegated_user(tmp_path: Path) -> None:
    from hsb_sheets.bootstrap import build_forms
    from hsb_sheets.config import load_settings
    from hsb_sheets.errors import ConfigError

    path = tmp_path / "hsb-sheets.toml"
    path.write_text('[calendar]\nbackend = "google"\n')
    with pytest.raises(ConfigError, match=r"calendar: delegated_user is empty.*\[calendar\] delegated_user"):
        load_settings(path, environ={})
    path.write_text('[forms]\nsource = "api"\n')
    with pytest.raises(ConfigError, match=r"forms: delegated_user is empty.*\[forms\] delegated_user"):
        load_settings(path, environ={})
    path.write_text('[calendar]\nbackend = "google"\ndelegated_user = "hsb-service@example.gov.uk"\n')
    settings = load_settings(path, environ={})
    with pytest.raises(ConfigError, match=r"\[forms\] delegated_user is empty"):
        build_forms(settings)  # `form publish`
