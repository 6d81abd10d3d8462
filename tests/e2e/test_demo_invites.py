"""Every invitation the demo produces: valid iCalendar, sent by the mail port, with no child's details."""

from __future__ import annotations

import email
from pathlib import Path

import openpyxl
import pytest
from click.testing import CliRunner
from icalendar import Calendar

from hsb_sheets.cli import cli
from hsb_sheets.domain.dates import parse_date
from hsb_sheets.domain.tabs import MEETINGS, REFERRALS, MeetingsTab
from tests.conftest import form_column


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("demo") / "ws"
    result = CliRunner().invoke(cli, ["demo", str(folder)], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    assert "Invites:" in result.output
    return folder


def children(folder: Path) -> list[str]:
    """The demo children's names and dates of birth, in the forms they could appear."""
    book = openpyxl.load_workbook(folder / "register.xlsx", read_only=True)
    rows = list(book[REFERRALS].iter_rows(values_only=True))
    header = list(rows[0])
    secrets: set[str] = set()
    for row in rows[1:]:
        record = dict(zip(header, row, strict=False))
        first, last = form_column("child_first_name"), form_column("child_last_name")
        secrets.update({str(record[first]), str(record[last])})
        born = parse_date(str(record[form_column("child_dob")]))
        secrets.update({born.isoformat(), born.strftime("%d/%m/%Y"), born.strftime("%Y%m%d")})
    return sorted(secrets)


def invitation_emails(folder: Path) -> list[email.message.Message]:
    found = []
    for path in (folder / "outbox").glob("invite-*.eml"):
        found.append(email.message_from_bytes(path.read_bytes()))
    return found


def test_every_invite_is_a_valid_request_with_a_stable_uid(demo: Path) -> None:
    files = sorted((demo / "outbox" / "invites").glob("*.ics"))
    book = openpyxl.load_workbook(demo / "register.xlsx", read_only=True)
    rows = list(book[MEETINGS].iter_rows(values_only=True))
    invited = [
        dict(zip(rows[0], r, strict=False))
        for r in rows[1:]
        if r[rows[0].index(MeetingsTab.STATUS)] in ("Invited", "Held")  # a held meeting keeps its invite
    ]
    assert invited and len(files) == len(invited)
    for path in files:
        calendar = Calendar.from_ical(path.read_bytes())
        assert calendar["method"] == "REQUEST"
        [timezone] = calendar.walk("VTIMEZONE")
        assert timezone["tzid"] == "Europe/London"
        [event] = calendar.walk("VEVENT")
        assert str(event["uid"]) == f"{path.stem}@hsb-sheets"
        assert event.decoded("sequence") == 0 and str(event["organizer"]).startswith("mailto:")
        attendees = event["attendee"] if isinstance(event["attendee"], list) else [event["attendee"]]
        assert attendees and all(a.params["RSVP"] == "TRUE" for a in attendees)
        assert event.decoded("dtstart").tzinfo is not None


def test_invites_are_mailed_as_text_calendar_requests(demo: Path) -> None:
    messages = invitation_emails(demo)
    assert messages
    for message in messages:
        parts = [p for p in message.walk() if p.get_content_type() == "text/calendar"]
        assert parts and parts[0].get_param("method") == "REQUEST"


def test_no_invite_carries_a_childs_name_or_date_of_birth(demo: Path) -> None:
    secrets = children(demo)
    assert len(secrets) > 40
    texts = [p.read_text() for p in (demo / "outbox" / "invites").glob("*.ics")]
    for message in invitation_emails(demo):
        for part in message.walk():
            payload = part.get_payload(decode=True)
            if isinstance(payload, bytes):
                texts.append(payload.decode("utf-8", "replace"))
        texts.append(str(message["Subject"]))
    assert texts
    leaks = {s for s in secrets for text in texts if s in text}
    assert leaks == set()


def test_the_demo_has_meetings_needing_scheduling_with_reasons(demo: Path) -> None:
    book = openpyxl.load_workbook(demo / "register.xlsx", read_only=True)
    rows = list(book[MEETINGS].iter_rows(values_only=True))
    header = list(rows[0])
    needs = [
        dict(zip(header, r, strict=False))
        for r in rows[1:]
        if r[header.index(MeetingsTab.STATUS)] == "Needs scheduling"
    ]
    assert needs and all(n[MeetingsTab.REASON] for n in needs)
