"""Google Calendar where it differs from the obvious (tests/fakes/google_calendar.py cites each): deleted
events are kept and their ids never reused, service accounts cannot invite without delegation, free/busy
reports per-calendar errors, and refusals keep Google's reason."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from google.auth.credentials import AnonymousCredentials

from hsb_sheets.adapters.calendar.base import CalendarError, MeetingEvent
from hsb_sheets.adapters.calendar.google import SCOPES, GoogleCalendar, calendar_service
from hsb_sheets.adapters.mail.memory import MemoryMailer
from hsb_sheets.adapters.workbook.memory import MemoryWorkbook
from hsb_sheets.bootstrap import build_context, google_credentials
from hsb_sheets.config import Settings
from hsb_sheets.domain.meetings import event_id
from hsb_sheets.domain.tabs import MEETINGS
from hsb_sheets.resources import shipped
from hsb_sheets.services.context import Context
from hsb_sheets.services.intake import run_intake
from hsb_sheets.services.meetings import run_meetings
from hsb_sheets.services.rule_source import read_rule_csv
from hsb_sheets.services.setup import setup_register
from tests.conftest import FixedClock, valid_answers
from tests.fakes.google_calendar import FakeCalendar
from tests.fakes.google_token import FakeTokenEndpoint, write_key
from tests.unit.test_intake_service import submit

LONDON = ZoneInfo("Europe/London")
CALENDAR = "hsb-service@example.gov.uk"
START = datetime(2026, 3, 30, 10, 0, tzinfo=LONDON)
EVENT = MeetingEvent(
    "hsbdeleted0001", "Strategy discussion", "x", START, START.replace(hour=11), ("police@example.gov.uk",)
)


@pytest.fixture
def fake() -> Iterator[FakeCalendar]:
    server = FakeCalendar()
    server.url = server.start()  # type: ignore[attr-defined]
    yield server
    server.stop()


def adapter(fake: FakeCalendar, retries: int = 1) -> GoogleCalendar:
    service = calendar_service(AnonymousCredentials(), endpoint=fake.url)  # type: ignore[attr-defined]
    return GoogleCalendar(service, CALENDAR, LONDON, retries=retries, sleep=lambda _: None)


def context(fake: FakeCalendar, clock: FixedClock, tmp_path: Path, spreadsheet: str = "") -> Context:
    settings = Settings(base_dir=tmp_path)
    if spreadsheet:
        workbook = settings.workbook.model_copy(update={"backend": "google", "spreadsheet_id": spreadsheet})
        settings = settings.model_copy(update={"workbook": workbook})
    ctx = build_context(
        settings, workbook=MemoryWorkbook(), mailer=MemoryMailer(), calendar=adapter(fake, 3), clock=clock
    )
    setup_register(ctx, directory_seed=read_rule_csv(shipped("config/directory.example.csv")))
    submit(ctx, ("10/03/2026 09:00:00", valid_answers(traffic_light="Red")))
    run_intake(ctx)
    return ctx


def meeting_row(ctx: Context) -> dict[str, str]:
    return next(ctx.workbook.read([MEETINGS])[MEETINGS].records())


def test_a_deleted_event_is_restored_and_attendees_invited_again_not_taken_as_made(
    fake: FakeCalendar,
) -> None:
    calendar = adapter(fake)
    made = calendar.ensure(EVENT)
    calendar.cancel(made)  # deleted: Google keeps it, cancelled, under the same id
    restored = calendar.ensure(EVENT)
    assert not restored.cancelled and [e["id"] for e in fake.live(CALENDAR)] == [EVENT.event_id]
    patch = fake.server.requests[-1]
    assert (
        patch.method == "PATCH"
        and patch.query["sendUpdates"] == ["all"]
        and patch.body["status"] == "confirmed"
    )
    assert [r.status for r in fake.server.requests if r.method == "POST"] == [200]  # never inserted again


def test_an_insert_refused_409_for_a_deleted_id_restores_it(fake: FakeCalendar) -> None:
    calendar = adapter(fake)
    calendar.cancel(calendar.ensure(EVENT))
    real_get = calendar.get
    looks = {"n": 0}

    def stale_get(event_id: str) -> MeetingEvent | None:
        looks["n"] += 1
        return None if looks["n"] == 1 else real_get(event_id)

    calendar.get = stale_get  # type: ignore[method-assign]
    restored = calendar.ensure(EVENT)  # the first look missed it: insert answers 409
    assert [r.status for r in fake.server.requests if r.method == "POST"] == [200, 409]
    assert not restored.cancelled and len(fake.live(CALENDAR)) == 1


def test_without_delegation_the_invitation_error_says_what_to_configure(
    fake: FakeCalendar, clock: FixedClock, tmp_path: Path
) -> None:
    token = FakeTokenEndpoint()
    token_uri = token.start()
    try:
        key = write_key(tmp_path / "key.json", token_uri)
        credentials = google_credentials(str(key), "", SCOPES)  # the service account acting as itself
        calendar = GoogleCalendar(
            calendar_service(credentials, fake.url),  # type: ignore[attr-defined]
            CALENDAR,
            LONDON,
            retries=1,
        )
        with pytest.raises(CalendarError) as raised:
            calendar.ensure(EVENT)
    finally:
        token.stop()
    message = str(raised.value)
    assert "(HTTP 403 forbiddenForServiceAccounts)" in message and "delegated_user" in message
    assert raised.value.transient is False and fake.live(CALENDAR) == []


def test_the_meetings_reason_keeps_googles_reason_and_the_fix(
    fake: FakeCalendar, clock: FixedClock, tmp_path: Path
) -> None:
    fake.delegated = False
    ctx = context(fake, clock, tmp_path)
    run_meetings(ctx)
    row = meeting_row(ctx)
    assert row["Status"] == "Needs scheduling"
    assert "forbiddenForServiceAccounts" in row["Reason"] and "domain-wide delegation" in row["Reason"]


def test_a_calendar_free_busy_cannot_read_is_not_free_and_the_reason_names_whose(
    fake: FakeCalendar, clock: FixedClock, tmp_path: Path
) -> None:
    found = adapter(fake).busy(("police@example.gov.uk", "a@example.org"), START, START.replace(hour=17))
    assert found.unknown == () and set(found) == {"police@example.gov.uk", "a@example.org"}
    fake.unreadable.add("caiu.cambs@example.gov.uk")
    ctx = context(fake, clock, tmp_path)
    run_meetings(ctx)
    row = meeting_row(ctx)
    assert row["Status"] == "Invited" and row["Event ID"]
    assert "free/busy unknown for caiu.cambs@example.gov.uk" in row["Reason"]


@pytest.mark.parametrize(
    ("reason", "status", "fix", "transient"),
    [
        ("accessNotConfigured", 403, "enable the Calendar API", False),
        ("forbidden", 403, "share calendar_id", False),
        ("quotaExceeded", 403, "usage limit", True),  # Calendar usage limits: not retried now, later yes
        ("rateLimitExceeded", 429, "rate limit", True),
    ],
)
def test_refusals_keep_googles_reason_and_name_the_fix(
    fake: FakeCalendar, reason: str, status: int, fix: str, transient: bool
) -> None:
    fake.server.fault_reason = reason
    fake.server.faults.extend([status] * 3)
    with pytest.raises(CalendarError) as raised:
        adapter(fake, retries=1).get("hsbnothing0001")
    assert f"(HTTP {status} {reason})" in str(raised.value) and fix in str(raised.value)
    assert raised.value.transient is transient


def test_event_ids_carry_the_registers_identity_and_recorded_ones_are_kept(
    fake: FakeCalendar, clock: FixedClock, tmp_path: Path
) -> None:
    assert event_id("HSB-2026-0001", 1, "") != event_id("HSB-2026-0001", 1, "abc")
    assert event_id("HSB-2026-0001", 1, "abc") != event_id("HSB-2026-0001", 1, "abd")
    first = context(fake, clock, tmp_path / "one")
    trial = context(fake, clock, tmp_path / "two")  # a second register: its own Register ID
    run_meetings(first)
    run_meetings(trial)
    assert meeting_row(first)["Event ID"] != meeting_row(trial)["Event ID"]
    assert len(fake.live(CALENDAR)) == 2  # the trial run did not take over the real meeting
    google = context(fake, clock, tmp_path / "three", spreadsheet="1AbCsheet")
    assert google.register_id == "1AbCsheet"
    run_meetings(google)
    assert meeting_row(google)["Event ID"] == event_id(meeting_row(google)["Case ID"], 1, "1AbCsheet")


def test_an_event_id_already_in_the_meetings_row_is_kept(
    fake: FakeCalendar, clock: FixedClock, tmp_path: Path
) -> None:
    from hsb_sheets.adapters.workbook.base import Update, WriteBatch

    ctx = context(fake, clock, tmp_path)
    run_meetings(ctx)
    row = meeting_row(ctx)
    old_id = event_id(row["Case ID"], 1, "")  # made before registers had an identity
    fake.events[CALENDAR][old_id] = {**fake.events[CALENDAR].pop(row["Event ID"]), "id": old_id}
    ctx.workbook.write(
        WriteBatch(
            updates=[Update(MEETINGS, "Meeting", row["Meeting"], {"Event ID": old_id, "Status": "Cancelled"})]
        )
    )
    run_meetings(ctx)
    assert [r.path.rsplit("/", 1)[1] for r in fake.server.requests if r.method == "DELETE"] == [old_id]
