"""Record before send: a run killed anywhere around an invitation, then a slot change, then a rerun.

Whatever the crash point (before the calendar call, after the mail went but before the .ics was
kept, after the calendar call but before the register was told) and whatever changed meanwhile (a
coordinator typed a new Agreed start, or the clock moved so another slot would be chosen), what
the attendees' mailbox holds is exactly what the register records: time, sequence and attendees.
"""

from __future__ import annotations

import email
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from email.message import Message
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from hsb_sheets.adapters.calendar.base import Calendar, FreeBusy, MeetingEvent
from hsb_sheets.adapters.calendar.ics import IcsCalendar, from_ical
from hsb_sheets.adapters.calendar.memory import MemoryCalendar
from hsb_sheets.adapters.mail.base import Email, Mailer
from hsb_sheets.adapters.mail.eml import EmlOutbox
from hsb_sheets.adapters.mail.memory import MemoryMailer
from hsb_sheets.adapters.workbook.base import WriteBatch
from hsb_sheets.adapters.workbook.memory import MemoryWorkbook
from hsb_sheets.resources import shipped
from hsb_sheets.services.context import Context
from hsb_sheets.services.meetings import run_meetings
from hsb_sheets.services.rule_source import read_rule_csv
from hsb_sheets.services.setup import setup_register
from tests.conftest import FixedClock
from tests.unit.test_meetings_service import edit, meetings, refer

LONDON = ZoneInfo("Europe/London")
Received = tuple[str, MeetingEvent]  # (method, event) as one attendee's mailbox holds it


class Killed(BaseException):
    """The process dies here (a BaseException, as a kill would be: nothing catches it)."""


class KillingMailer:
    """A mailer that, when armed, sends and then dies before the caller can record anything."""

    def __init__(self, inner: Mailer) -> None:
        self.inner = inner
        self.armed = False

    def send(self, message: Email) -> str:
        sent = self.inner.send(message)
        if self.armed:
            self.armed = False
            raise Killed("after the invitation email went")
        return sent


class KillingCalendar:
    """A calendar that, when armed, dies just before its next call, or just after it."""

    def __init__(self, inner: Calendar) -> None:
        self.inner = inner
        self.armed = ""  # "before" or "after"

    def _call(self, operation: Callable[[MeetingEvent], MeetingEvent], event: MeetingEvent) -> MeetingEvent:
        if self.armed == "before":
            self.armed = ""
            raise Killed("before the calendar was called")
        answer = operation(event)
        if self.armed == "after":
            self.armed = ""
            raise Killed("after the calendar sent")
        return answer

    def get(self, event_id: str) -> MeetingEvent | None:
        return self.inner.get(event_id)

    def ensure(self, event: MeetingEvent) -> MeetingEvent:
        return self._call(self.inner.ensure, event)

    def move(self, event: MeetingEvent) -> MeetingEvent:
        return self._call(self.inner.move, event)

    def cancel(self, event: MeetingEvent) -> MeetingEvent:
        return self._call(self.inner.cancel, event)

    def busy(self, attendees: Any, start: Any, end: Any) -> FreeBusy:
        return self.inner.busy(attendees, start, end)


@dataclass
class Harness:
    calendar: KillingCalendar
    mailer: KillingMailer | None  # the invitation mailer, for the iCalendar backends
    mailbox: Callable[[], list[Received]]  # every invitation attendees received, in any order


def _from_message(message: Message) -> Received:
    for part in message.walk():
        if part.get_content_type() == "text/calendar":
            method = part.get_param("method")
            payload = part.get_payload(decode=True)
            assert isinstance(method, str) and isinstance(payload, bytes)
            return method, from_ical(payload)
    raise AssertionError("an invitation without a calendar part")


@pytest.fixture
def ctx(memory_context: Context) -> Context:
    setup_register(memory_context, directory_seed=read_rule_csv(shipped("config/directory.example.csv")))
    return memory_context


@pytest.fixture(params=["memory", "ics+memory mailer", "ics+eml"])
def harness(request: pytest.FixtureRequest, ctx: Context, tmp_path: Path) -> Iterator[Harness]:
    if request.param == "memory":
        memory = MemoryCalendar()
        ctx.calendar = KillingCalendar(memory)
        yield Harness(ctx.calendar, None, lambda: list(memory.received))
        return
    outbox = tmp_path / "outbox"
    inner: Mailer = MemoryMailer() if request.param == "ics+memory mailer" else EmlOutbox(outbox)
    killing = KillingMailer(inner)
    ics = IcsCalendar(tmp_path / "invites", killing, "hsb@example.gov.uk", "HSB", LONDON)
    ctx.calendar = KillingCalendar(ics)

    def mailbox() -> list[Received]:
        if isinstance(inner, MemoryMailer):
            return [_from_message(e.to_mime()) for e in inner.sent]
        return [_from_message(email.message_from_bytes(p.read_bytes())) for p in sorted(outbox.glob("*.eml"))]

    yield Harness(ctx.calendar, killing, mailbox)


def assert_mailbox_is_the_register(ctx: Context, harness: Harness) -> None:
    """The latest invitation attendees hold, the calendar's copy and the register row all agree."""
    [row] = meetings(ctx)
    assert not row["Last sent"].startswith("Pending send")
    received = [(m, e) for m, e in harness.mailbox() if e.event_id == row["Event ID"]]
    versions = {(m, e.sequence) for m, e in received}
    assert len(versions) == len(received)  # one message per version: nothing contradicts what went
    method, latest = max(received, key=lambda r: r[1].sequence)
    when = latest.start.astimezone(LONDON).strftime("%Y-%m-%d %H:%M")
    held = (when, str(latest.sequence), latest.attendees)
    assert held == (row["Event start"], row["Sequence"], tuple(row["Attendees"].split(", ")))
    assert method == ("CANCEL" if row["Status"] == "Cancelled" else "REQUEST")
    stored = harness.calendar.get(row["Event ID"])
    assert stored is not None and (stored.start, stored.sequence) == (latest.start, latest.sequence)


def killed_run(ctx: Context, harness: Harness, point: str) -> None:
    """One meetings run that dies at ``point`` around its (first) calendar call."""
    assert isinstance(ctx.workbook, MemoryWorkbook)
    real_write = ctx.workbook.write
    writes: list[WriteBatch] = []

    def write(batch: WriteBatch) -> None:
        writes.append(batch)
        if point == "before confirm" and len(writes) == 2:
            raise Killed("before the register was told what went")
        real_write(batch)

    if point == "mail sent, .ics not kept":
        if harness.mailer is None:  # the memory calendar keeps what it sends at once
            harness.calendar.armed = "after"
        else:
            harness.mailer.armed = True
    elif point == "before send":
        harness.calendar.armed = "before"
    ctx.workbook.write = write  # type: ignore[method-assign]
    try:
        with pytest.raises(Killed):
            run_meetings(ctx)
    finally:
        ctx.workbook.write = real_write  # type: ignore[method-assign]
    [row] = meetings(ctx)
    assert row["Last sent"].startswith("Pending send:")  # recorded before anything was sent


POINTS = ["before send", "mail sent, .ics not kept", "before confirm"]
CHANGES = ["agreed start typed", "clock moved"]


def change_the_slot(ctx: Context, clock: FixedClock, change: str, agreed: str) -> None:
    if change == "agreed start typed":
        edit(ctx, meetings(ctx)[0]["Meeting"], Agreed_start=agreed)
    else:
        clock.now += timedelta(hours=3)  # a fresh plan would choose a later slot


@pytest.mark.parametrize("change", CHANGES)
@pytest.mark.parametrize("point", POINTS)
def test_a_killed_first_invitation_is_resent_as_recorded(
    ctx: Context, harness: Harness, clock: FixedClock, point: str, change: str
) -> None:
    refer(ctx, traffic_light="Red")
    killed_run(ctx, harness, point)
    recorded = meetings(ctx)[0]
    change_the_slot(ctx, clock, change, "16/03/2026 15:30")

    run_meetings(ctx)
    row = meetings(ctx)[0]
    assert (row["Event start"], row["Sequence"], row["Status"]) == (recorded["Event start"], "0", "Invited")
    assert_mailbox_is_the_register(ctx, harness)

    run_meetings(ctx)  # only now does the coordinator's change make the next version
    if change == "agreed start typed":
        assert (meetings(ctx)[0]["Event start"], meetings(ctx)[0]["Sequence"]) == ("2026-03-16 15:30", "1")
    assert_mailbox_is_the_register(ctx, harness)


@pytest.mark.parametrize("change", CHANGES)
@pytest.mark.parametrize("point", POINTS)
def test_a_killed_update_is_resent_as_recorded(
    ctx: Context, harness: Harness, clock: FixedClock, point: str, change: str
) -> None:
    refer(ctx, traffic_light="Red")
    run_meetings(ctx)
    first = datetime.strptime(meetings(ctx)[0]["Event start"], "%Y-%m-%d %H:%M")
    edit(ctx, meetings(ctx)[0]["Meeting"], Agreed_start="13/03/2026 14:30")
    killed_run(ctx, harness, point)
    change_the_slot(ctx, clock, change, "16/03/2026 15:30")

    run_meetings(ctx)
    row = meetings(ctx)[0]
    assert (row["Event start"], row["Sequence"], row["Status"]) == ("2026-03-13 14:30", "1", "Rescheduled")
    assert_mailbox_is_the_register(ctx, harness)
    # The resent update still names the old time, though Event start already held the new one.
    [update] = {e.description for m, e in harness.mailbox() if e.sequence == 1}
    assert update.startswith(
        f"This meeting has moved from {first:%A %d %B %Y, %H:%M} to Friday 13 March 2026, 14:30 (UK time)."
    )

    run_meetings(ctx)
    expected = ("2026-03-16 15:30", "2") if change == "agreed start typed" else ("2026-03-13 14:30", "1")
    assert (meetings(ctx)[0]["Event start"], meetings(ctx)[0]["Sequence"]) == expected
    assert_mailbox_is_the_register(ctx, harness)


@pytest.mark.parametrize("point", POINTS)
def test_a_killed_cancellation_is_resent_as_recorded(
    ctx: Context, harness: Harness, clock: FixedClock, point: str
) -> None:
    refer(ctx, traffic_light="Red")
    run_meetings(ctx)
    edit(ctx, meetings(ctx)[0]["Meeting"], Status="Cancelled")
    killed_run(ctx, harness, point)
    edit(ctx, meetings(ctx)[0]["Meeting"], Agreed_start="16/03/2026 15:30")  # too late: it is cancelled

    run_meetings(ctx)
    run_meetings(ctx)
    row = meetings(ctx)[0]
    assert (row["Sequence"], row["Status"]) == ("1", "Cancelled")
    assert row["Last sent"].startswith("Cancellation sent")
    assert_mailbox_is_the_register(ctx, harness)
    assert [m for m, _ in harness.mailbox()].count("CANCEL") == 1
