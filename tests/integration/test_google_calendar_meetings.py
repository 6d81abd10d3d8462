"""The meetings job on Google Calendar: a local fake Calendar v3 server over HTTP, real client library."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from google.auth.credentials import AnonymousCredentials

from hsb_sheets.adapters.calendar.google import SCOPES, GoogleCalendar, calendar_service
from hsb_sheets.adapters.mail.memory import MemoryMailer
from hsb_sheets.adapters.workbook.base import WriteBatch
from hsb_sheets.adapters.workbook.memory import MemoryWorkbook
from hsb_sheets.bootstrap import build_context, google_credentials
from hsb_sheets.config import Settings
from hsb_sheets.domain.tabs import MEETINGS
from hsb_sheets.errors import ConfigError
from hsb_sheets.resources import shipped
from hsb_sheets.services.context import Context
from hsb_sheets.services.intake import run_intake
from hsb_sheets.services.meetings import run_meetings
from hsb_sheets.services.rule_source import read_rule_csv
from hsb_sheets.services.setup import setup_register
from tests.conftest import FixedClock, valid_answers
from tests.fakes.google_calendar import FakeCalendar
from tests.unit.test_intake_service import submit

LONDON = ZoneInfo("Europe/London")


@pytest.fixture
def fake() -> Iterator[FakeCalendar]:
    server = FakeCalendar()
    server.url = server.start()  # type: ignore[attr-defined]
    yield server
    server.stop()


@pytest.fixture
def ctx(fake: FakeCalendar, clock: FixedClock, tmp_path: Path) -> Context:
    service = calendar_service(AnonymousCredentials(), endpoint=fake.url)  # type: ignore[attr-defined]
    context = build_context(
        Settings(base_dir=tmp_path),
        workbook=MemoryWorkbook(),
        mailer=MemoryMailer(),
        calendar=GoogleCalendar(
            service, "hsb-service@example.gov.uk", LONDON, retries=3, sleep=lambda _: None
        ),
        clock=clock,
    )
    setup_register(context, directory_seed=read_rule_csv(shipped("config/directory.example.csv")))
    submit(context, ("10/03/2026 09:00:00", valid_answers(traffic_light="Red")))
    run_intake(context)
    return context


def inserts(fake: FakeCalendar) -> list[int]:
    return [r.status for r in fake.server.requests if r.method == "POST" and r.path.endswith("/events")]


def test_an_event_with_attendees_is_inserted_once(ctx: Context, fake: FakeCalendar) -> None:
    run_meetings(ctx)
    run_meetings(ctx)
    [event] = fake.live("hsb-service@example.gov.uk")
    row = next(ctx.workbook.read([MEETINGS])[MEETINGS].records())
    assert event["id"] == row["Event ID"] and event["start"]["timeZone"] == "Europe/London"
    assert {a["email"] for a in event["attendees"]} == {
        "csc.cambs@example.gov.uk",
        "caiu.cambs@example.gov.uk",
        "hsb.cambs@example.gov.uk",
    }
    assert inserts(fake) == [200]
    insert = next(r for r in fake.server.requests if r.method == "POST" and r.path.endswith("/events"))
    assert insert.query["sendUpdates"] == ["all"]
    assert "Robin" not in json.dumps(event) and "Testwood" not in json.dumps(event)


def test_free_busy_moves_the_slot(ctx: Context, fake: FakeCalendar) -> None:
    fake.busy["caiu.cambs@example.gov.uk"] = [("2026-03-12T11:00:00Z", "2026-03-12T14:30:00Z")]
    run_meetings(ctx)
    row = next(ctx.workbook.read([MEETINGS])[MEETINGS].records())
    assert row["Event start"] == "2026-03-12 14:30"
    assert any(r.path.endswith("/freeBusy") for r in fake.server.requests)


def test_a_crash_before_the_event_id_is_written_makes_no_second_event(
    ctx: Context, fake: FakeCalendar, clock: FixedClock
) -> None:
    assert isinstance(ctx.workbook, MemoryWorkbook)
    real_write = ctx.workbook.write

    writes: list[WriteBatch] = []

    def crash(batch: WriteBatch) -> None:
        writes.append(batch)
        if len(writes) == 2:  # 1: the invitation about to be sent; 2: what the calendar made
            raise KeyboardInterrupt("crash after the event was created")
        real_write(batch)

    ctx.workbook.write = crash  # type: ignore[method-assign]
    with pytest.raises(KeyboardInterrupt):
        run_meetings(ctx)
    ctx.workbook.write = real_write  # type: ignore[method-assign]
    assert len(fake.live("hsb-service@example.gov.uk")) == 1

    clock.now = datetime(2026, 3, 12, 13, 0, tzinfo=LONDON)  # free/busy now shows the first event as busy
    run_meetings(ctx)
    [event] = fake.live("hsb-service@example.gov.uk")
    row = next(ctx.workbook.read([MEETINGS])[MEETINGS].records())
    assert row["Event ID"] == event["id"] and row["Event start"] == "2026-03-12 12:00"
    assert inserts(fake) == [200]  # the rerun found the event with a get; it never inserted again


def test_reschedule_and_cancel_follow_the_sheet(ctx: Context, fake: FakeCalendar) -> None:
    from hsb_sheets.adapters.workbook.base import Update

    run_meetings(ctx)
    meeting = next(ctx.workbook.read([MEETINGS])[MEETINGS].records())["Meeting"]
    ctx.workbook.write(
        WriteBatch(updates=[Update(MEETINGS, "Meeting", meeting, {"Agreed start": "13/03/2026 15:00"})])
    )
    run_meetings(ctx)
    [event] = fake.live("hsb-service@example.gov.uk")
    assert event["start"]["dateTime"].startswith("2026-03-13T15:00:00") and event["sequence"] == 1
    ctx.workbook.write(WriteBatch(updates=[Update(MEETINGS, "Meeting", meeting, {"Status": "Cancelled"})]))
    run_meetings(ctx)
    run_meetings(ctx)
    assert fake.live("hsb-service@example.gov.uk") == []
    deletes = [r for r in fake.server.requests if r.method == "DELETE"]
    assert [r.status for r in deletes] == [204] and deletes[0].query["sendUpdates"] == ["all"]


def test_transient_errors_are_retried(ctx: Context, fake: FakeCalendar) -> None:
    fake.server.faults.extend([503, 429])
    report = run_meetings(ctx, sleep=lambda _: None)
    assert report.invited and len(fake.live("hsb-service@example.gov.uk")) == 1


def test_service_account_key_and_delegation(tmp_path: Path) -> None:
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import rsa

    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    pem = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    path = tmp_path / "key.json"
    path.write_text(
        json.dumps(
            {
                "type": "service_account",
                "project_id": "example",
                "private_key_id": "1",
                "private_key": pem.decode(),
                "client_email": "hsb-sheets@example.iam.gserviceaccount.com",
                "client_id": "1",
                "token_uri": "https://oauth2.googleapis.com/token",
            }
        )
    )
    credentials = google_credentials(str(path), "hsb-service@example.gov.uk", SCOPES)
    assert credentials._subject == "hsb-service@example.gov.uk"  # type: ignore[attr-defined]
    assert set(credentials._scopes) == set(SCOPES)  # type: ignore[attr-defined]
    with pytest.raises(ConfigError, match="does not exist"):
        google_credentials(str(tmp_path / "missing.json"), "", SCOPES)
    (tmp_path / "bad.json").write_text("{}")
    with pytest.raises(ConfigError, match="not a service-account key"):
        google_credentials(str(tmp_path / "bad.json"), "", SCOPES)


def test_an_insert_answered_409_is_taken_as_already_made(fake: FakeCalendar) -> None:
    from hsb_sheets.adapters.calendar.base import MeetingEvent

    url: str = fake.url  # type: ignore[attr-defined]
    calendar = GoogleCalendar(
        calendar_service(AnonymousCredentials(), endpoint=url), "primary", LONDON, retries=1
    )
    start = datetime(2026, 3, 30, 10, 0, tzinfo=LONDON)
    event = MeetingEvent(
        "hsbraced0001",
        "Strategy discussion: HSB-2026-0001",
        "x",
        start,
        start.replace(hour=11),
        ("police@example.gov.uk",),
    )
    calendar.ensure(event)  # an earlier attempt made it, but its answer was lost
    real_get = calendar.get
    calls = {"n": 0}

    def stale_get(event_id: str) -> MeetingEvent | None:
        calls["n"] += 1
        return None if calls["n"] == 1 else real_get(event_id)  # the first look misses it

    calendar.get = stale_get  # type: ignore[method-assign]
    made = calendar.ensure(event)
    assert made.event_id == "hsbraced0001" and [
        r.status for r in fake.server.requests if r.method == "POST"
    ] == [200, 409]
    assert len(fake.live("primary")) == 1
