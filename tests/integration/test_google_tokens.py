"""Token errors as Google's token endpoint gives them (a local fake, real google-auth service-account
credentials signing real JWTs): each Google adapter and command ends with one message naming the fix."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from click.testing import CliRunner
from google.auth.exceptions import RefreshError, TransportError

from hsb_sheets.adapters.calendar.base import MeetingEvent
from hsb_sheets.adapters.calendar.google import SCOPES as CALENDAR_SCOPES
from hsb_sheets.adapters.calendar.google import GoogleCalendar, calendar_service
from hsb_sheets.adapters.forms.google import SCOPES as FORMS_SCOPES
from hsb_sheets.adapters.google_api import execute
from hsb_sheets.adapters.google_auth_errors import TokenError, explain_token_error
from hsb_sheets.adapters.mail.base import Email
from hsb_sheets.adapters.mail.gmail import SCOPES as GMAIL_SCOPES
from hsb_sheets.adapters.mail.gmail import GmailMailer, gmail_service
from hsb_sheets.bootstrap import delegation, google_credentials
from hsb_sheets.cli import cli
from tests.fakes.gmail import FakeGmail
from tests.fakes.google_calendar import FakeCalendar
from tests.fakes.google_forms import FakeForms
from tests.fakes.google_token import CLIENT_ID, FakeTokenEndpoint, write_key

LONDON = ZoneInfo("Europe/London")
START = datetime(2026, 3, 30, 10, 0, tzinfo=LONDON)
USER = "hsb-service@example.gov.uk"
GROUP = "hsb-team@example.gov.uk"  # a Google group: not a user mailbox
EVENT = MeetingEvent("hsbtoken0001", "Strategy discussion", "x", START, START.replace(hour=11), (USER,))


@pytest.fixture
def token() -> Iterator[FakeTokenEndpoint]:
    endpoint = FakeTokenEndpoint(users={USER})
    endpoint.url = endpoint.start()  # type: ignore[attr-defined]
    yield endpoint
    endpoint.stop()


@pytest.fixture
def calendar_fake() -> Iterator[FakeCalendar]:
    fake = FakeCalendar()
    fake.url = fake.start()  # type: ignore[attr-defined]
    yield fake
    fake.stop()


def calendar_as(key: Path, subject: str, fake: FakeCalendar) -> GoogleCalendar:
    credentials = google_credentials(str(key), subject, CALENDAR_SCOPES)
    service = calendar_service(credentials, fake.url)  # type: ignore[attr-defined]
    return GoogleCalendar(
        service,
        USER,
        LONDON,
        retries=1,
        sleep=lambda _: None,
        delegation=delegation(str(key), subject, CALENDAR_SCOPES),
    )


def test_scopes_the_admin_did_not_delegate_name_the_console_page_client_id_and_scopes(
    token: FakeTokenEndpoint, calendar_fake: FakeCalendar, tmp_path: Path
) -> None:
    token.delegated = {CALENDAR_SCOPES[0]}  # the admin added only calendar.events
    key = write_key(tmp_path / "key.json", token.url)  # type: ignore[attr-defined]
    with pytest.raises(TokenError) as raised:
        calendar_as(key, USER, calendar_fake).ensure(EVENT)
    message = str(raised.value)
    assert "unauthorized_client" in message and "Manage Domain Wide Delegation" in message
    assert CLIENT_ID in message and all(scope in message for scope in CALENDAR_SCOPES)
    assert raised.value.transient is False
    assert len(token.grants) == 1 and calendar_fake.server.requests == []  # not retried, nothing sent


def test_a_group_as_the_delegated_user_says_it_must_be_a_user_mailbox(
    token: FakeTokenEndpoint, tmp_path: Path
) -> None:
    fake = FakeGmail()
    url = fake.start()
    key = write_key(tmp_path / "key.json", token.url)  # type: ignore[attr-defined]
    mailer = GmailMailer(
        gmail_service(google_credentials(str(key), GROUP, GMAIL_SCOPES), url),
        retries=1,
        delegation=delegation(str(key), GROUP, GMAIL_SCOPES),
    )
    try:
        with pytest.raises(TokenError, match=r"invalid_grant.*Invalid email or User ID") as raised:
            mailer.send(Email("k1", USER, ("w@example.gov.uk",), "Subject", "Body"))
        assert GROUP in str(raised.value) and "not a group" in str(raised.value)
        assert fake.sent == [] and fake.drafts == {}
    finally:
        fake.stop()


def test_a_delegated_user_gets_a_token_and_the_api_sees_whom_it_acts_for(
    token: FakeTokenEndpoint, calendar_fake: FakeCalendar, tmp_path: Path
) -> None:
    key = write_key(tmp_path / "key.json", token.url)  # type: ignore[attr-defined]
    made = calendar_as(key, USER, calendar_fake).ensure(EVENT)
    assert made.event_id == EVENT.event_id and token.grants[0]["sub"] == USER
    assert set(token.grants[0]["scope"].split()) == set(CALENDAR_SCOPES)


def test_an_unreachable_token_endpoint_is_retried_then_a_transient_token_error(
    calendar_fake: FakeCalendar, tmp_path: Path
) -> None:
    with socket.socket() as free:
        free.bind(("127.0.0.1", 0))
        port = free.getsockname()[1]
    key = write_key(tmp_path / "key.json", f"http://127.0.0.1:{port}/token")  # nothing listens there
    sleeps: list[float] = []
    calendar = calendar_as(key, USER, calendar_fake)
    calendar.sleep = sleeps.append
    with pytest.raises(TokenError, match=r"token endpoint could not be reached \(TransportError\)") as raised:
        calendar.get("hsbtoken0001")
    assert raised.value.transient is True and len(sleeps) == 1  # retried like a 5xx (retries=1)


class FlakyRequest:
    """A request whose credentials' refresh fails at the transport level once, then succeeds."""

    def __init__(self, failures: list[Exception]) -> None:
        self.failures = failures
        self.calls = 0

    def execute(self, num_retries: int = 0) -> dict[str, str]:
        self.calls += 1
        if self.failures:
            raise self.failures.pop(0)
        return {"ok": "yes"}


def test_a_transport_level_refresh_failure_mid_run_is_retried_and_a_refused_one_is_not() -> None:
    sleeps: list[float] = []
    flaky = FlakyRequest([TransportError("connection reset"), RefreshError("server_error", retryable=True)])
    assert execute(flaky, api="Calendar", doing="read an event", retries=3, sleep=sleeps.append) == {
        "ok": "yes"
    }
    assert flaky.calls == 3 and len(sleeps) == 2
    refused = FlakyRequest(
        [RefreshError("invalid_grant: Invalid email or User ID", {"error": "invalid_grant"})]
    )
    with pytest.raises(RefreshError):
        execute(refused, api="Calendar", doing="read an event", retries=3, sleep=sleeps.append)
    assert refused.calls == 1


def test_explained_as_google_auth_raises_them() -> None:
    # google.oauth2._client._handle_error_response: RefreshError("<error>: <description>", <answer JSON>)
    unauthorized = RefreshError(
        "unauthorized_client: Client is unauthorized to retrieve access tokens using this method, or "
        "client not authorized for any of the scopes requested.",
        {"error": "unauthorized_client", "error_description": "Client is unauthorized ..."},
    )
    explained = explain_token_error(unauthorized)
    assert "client_id from the key file" in str(explained) and "Domain Wide Delegation" in str(explained)
    assert "invalid_grant" in str(explain_token_error(RefreshError("invalid_grant: Bad", None)))
    assert explain_token_error(TransportError("boom")).transient is True


def test_form_publish_ends_with_the_message_not_a_traceback(token: FakeTokenEndpoint, tmp_path: Path) -> None:
    forms = FakeForms()
    url = forms.start()
    token.delegated = set()  # nothing delegated yet
    key = write_key(tmp_path / "key.json", token.url)  # type: ignore[attr-defined]
    (tmp_path / "hsb-sheets.toml").write_text(
        f'[forms]\nkey_file = "{key}"\ndelegated_user = "{USER}"\nendpoint = "{url}"\nretries = 0\n'
    )
    try:
        result = CliRunner().invoke(cli, ["--config", str(tmp_path / "hsb-sheets.toml"), "form", "publish"])
    finally:
        forms.stop()
    assert result.exit_code == 1 and "Traceback" not in result.output
    assert "unauthorized_client" in result.output and all(s in result.output for s in FORMS_SCOPES)
    assert forms.forms == {}


def test_a_token_error_no_adapter_explained_still_ends_with_the_message(
    token: FakeTokenEndpoint, tmp_path: Path
) -> None:
    """The register (Sheets) side: setup on a Google register whose delegated user is a group."""
    key = write_key(tmp_path / "key.json", token.url)  # type: ignore[attr-defined]
    (tmp_path / "hsb-sheets.toml").write_text(
        f'[workbook]\nbackend = "google"\nspreadsheet_id = "1AbC"\nkey_file = "{key}"\n'
        f'delegated_user = "{GROUP}"\nendpoint = "http://127.0.0.1:9/"\nretries = 0\n'
    )
    result = CliRunner().invoke(cli, ["--config", str(tmp_path / "hsb-sheets.toml"), "setup"])
    assert result.exit_code == 1 and "Traceback" not in result.output
    assert "invalid_grant" in result.output and "user mailbox" in result.output


def test_the_worker_logs_a_token_error_and_goes_on(
    memory_context: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    from hsb_sheets.scheduler import Turns
    from hsb_sheets.services import runner

    def refused(ctx: Any, dry_run: bool = False) -> None:
        raise RefreshError("invalid_grant: Invalid email or User ID", {"error": "invalid_grant"})

    monkeypatch.setitem(runner.JOBS, "digest", refused)
    with pytest.raises(runner.JobFailed, match="invalid_grant") as failed:
        runner.run_job(memory_context, "digest")
    assert isinstance(failed.value.__cause__, TokenError)
    # the scheduled run: logged, no exception escapes to APScheduler
    Turns(memory_context, lease_wait=0, gather=0).tick("digest")
