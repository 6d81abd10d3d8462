"""Meetings as iCalendar invitations (RFC 5545/5546) sent by mail and kept as ``.ics`` files.

Each meeting has one file, named by its deterministic event id, holding its latest state. An
invitation is mailed before the file is written, so a crash in between resends the same
invitation (same UID and SEQUENCE, same Message-ID) rather than losing it. The folder is checked
before anything is mailed: an ``ics_folder`` that is a file stops the run with a ConfigError, and
no invitation goes out that could not then be recorded.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Sequence
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from icalendar import Calendar as ICalendar
from icalendar import Event, Timezone, vCalAddress, vText

from hsb_sheets.adapters.calendar.base import CalendarError, FreeBusy, MeetingEvent
from hsb_sheets.adapters.folders import writable_folder
from hsb_sheets.adapters.mail.base import Attachment, Email, Mailer
from hsb_sheets.errors import MailError

UID_DOMAIN = "hsb-sheets"
# The usual compact rules for UK time (BST from the last Sunday of March, GMT from the last Sunday
# of October), which every calendar program understands; other zones get a generated VTIMEZONE.
LONDON = """BEGIN:VTIMEZONE
TZID:Europe/London
BEGIN:DAYLIGHT
TZOFFSETFROM:+0000
TZOFFSETTO:+0100
TZNAME:BST
DTSTART:19810329T010000
RRULE:FREQ=YEARLY;BYMONTH=3;BYDAY=-1SU
END:DAYLIGHT
BEGIN:STANDARD
TZOFFSETFROM:+0100
TZOFFSETTO:+0000
TZNAME:GMT
DTSTART:19961027T020000
RRULE:FREQ=YEARLY;BYMONTH=10;BYDAY=-1SU
END:STANDARD
END:VTIMEZONE
"""


def to_ical(
    event: MeetingEvent, method: str, organizer: str, organizer_name: str, timezone: ZoneInfo
) -> bytes:
    """A VCALENDAR with one VEVENT and the VTIMEZONE it uses."""
    calendar = ICalendar()
    calendar.add("prodid", "-//hsb-sheets//HSB referral service//EN")
    calendar.add("version", "2.0")
    calendar.add("method", method)
    vevent = Event()
    vevent.add("uid", f"{event.event_id}@{UID_DOMAIN}")
    vevent.add("sequence", event.sequence)
    vevent.add("dtstamp", datetime.now(UTC))
    vevent.add("dtstart", event.start.astimezone(timezone))
    vevent.add("dtend", event.end.astimezone(timezone))
    vevent.add("summary", event.summary)
    vevent.add("description", event.description)
    vevent.add("status", "CANCELLED" if method == "CANCEL" else "CONFIRMED")
    vevent.add("transp", "OPAQUE")
    boss = vCalAddress(f"mailto:{organizer}")
    boss.params["CN"] = vText(organizer_name)
    vevent["organizer"] = boss
    for address in event.attendees:
        attendee = vCalAddress(f"mailto:{address}")
        attendee.params.update(
            {"CUTYPE": "INDIVIDUAL", "ROLE": "REQ-PARTICIPANT", "PARTSTAT": "NEEDS-ACTION", "RSVP": "TRUE"}
        )
        vevent.add("attendee", attendee, encode=False)
    if timezone.key == "Europe/London":
        calendar.add_component(Timezone.from_ical(LONDON.replace("\n", "\r\n")))
    calendar.add_component(vevent)
    calendar.add_missing_timezones()
    return calendar.to_ical()


def from_ical(content: bytes) -> MeetingEvent:
    """The meeting a stored .ics file describes."""
    calendar = ICalendar.from_ical(content)
    vevent = next(iter(calendar.walk("VEVENT")))
    attendees = vevent.get("attendee", [])
    if not isinstance(attendees, list):
        attendees = [attendees]
    return MeetingEvent(
        event_id=str(vevent["uid"]).split("@", 1)[0],
        summary=str(vevent.get("summary", "")),
        description=str(vevent.get("description", "")),
        start=vevent.decoded("dtstart"),
        end=vevent.decoded("dtend"),
        attendees=tuple(str(a).removeprefix("mailto:").removeprefix("MAILTO:") for a in attendees),
        sequence=int(vevent.get("sequence", 0)),
        cancelled=str(vevent.get("status", "")).upper() == "CANCELLED",
    )


class IcsCalendar:
    """Invitations sent through the mail port; the latest state of each kept in ``folder``."""

    def __init__(
        self, folder: Path, mailer: Mailer, organizer: str, organizer_name: str, timezone: ZoneInfo
    ) -> None:
        self.folder = Path(folder)
        self.mailer = mailer
        self.organizer = organizer
        self.organizer_name = organizer_name
        self.timezone = timezone

    def path(self, event_id: str) -> Path:
        """Where the meeting's .ics file lives."""
        return self.folder / f"{event_id}.ics"

    def get(self, event_id: str) -> MeetingEvent | None:
        """The stored meeting, if an invitation was ever completed."""
        path = self.path(event_id)
        return from_ical(path.read_bytes()) if path.exists() else None

    def _send(self, event: MeetingEvent, method: str) -> None:
        content = to_ical(event, method, self.organizer, self.organizer_name, self.timezone)
        prefix = "Cancelled: " if method == "CANCEL" else ("Moved: " if event.sequence else "")
        email = Email(
            key=f"invite|{event.event_id}|{event.sequence}|{method}",
            sender=self.organizer,
            to=event.attendees,
            subject=prefix + event.summary,
            text=event.description,
            calendar=(method, content),
            attachments=(Attachment("invite.ics", "application", "ics", content),),
        )
        writable_folder(self.folder, "[calendar] ics_folder")  # before the send: never sent but unrecorded
        try:
            self.mailer.send(email)
        except MailError as problem:
            raise CalendarError(str(problem), transient=problem.transient) from None
        prefix = f".ics-{event.event_id}-"
        for leftover in self.folder.glob(f"{prefix}*"):  # a killed earlier attempt at this same event
            with contextlib.suppress(OSError):
                leftover.unlink()
        try:
            fd, temporary = tempfile.mkstemp(prefix=prefix, dir=self.folder)
            with os.fdopen(fd, "wb") as fh:
                fh.write(content)
                fh.flush()
                os.fsync(fh.fileno())
            os.replace(temporary, self.path(event.event_id))
        except OSError as problem:  # the next run sends the same invitation again (the same Message-ID)
            raise CalendarError(
                f"The invitation was sent but cannot be kept in {self.folder}: {problem.strerror}.",
                transient=True,
            ) from None

    def ensure(self, event: MeetingEvent) -> MeetingEvent:
        """Invite unless an invitation for this event was already completed."""
        stored = self.get(event.event_id)
        if stored is not None:
            return stored
        self._send(event, "REQUEST")
        return event

    def move(self, event: MeetingEvent) -> MeetingEvent:
        """Send an updated invitation (a higher SEQUENCE) unless the meeting is already at that time."""
        stored = self.get(event.event_id)
        if stored is not None and stored.already_at(event):
            return stored
        moved = replace(event, sequence=max(event.sequence, (stored.sequence + 1) if stored else 0))
        self._send(moved, "REQUEST")
        return moved

    def cancel(self, event: MeetingEvent) -> MeetingEvent:
        """Send a cancellation of the event as given (a higher SEQUENCE) unless one was already sent."""
        stored = self.get(event.event_id)
        if stored is not None and stored.cancelled:
            return stored
        revision = max(event.sequence, stored.sequence + 1) if stored else event.sequence
        cancelled = replace(event, sequence=revision, cancelled=True)
        self._send(cancelled, "CANCEL")
        return cancelled

    def busy(self, attendees: Sequence[str], start: datetime, end: datetime) -> FreeBusy:
        """Invitations by mail cannot see anyone's calendar: the Meetings tab is the only source."""
        return FreeBusy()
