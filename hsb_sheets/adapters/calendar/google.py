"""Meetings in Google Calendar (API v3, google-api-python-client).

Events are inserted with a deterministic id, so a rerun after a crash finds the event it already
made (get before insert, and a 409 answer means "already made"). Attendees are invited and told of
changes by Google (``sendUpdates=all``). Transient failures (429, 5xx, 403 rate limits, connection
errors) are retried by :func:`hsb_sheets.adapters.google_api.execute`, with bounded, jittered backoff.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import replace
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from google.auth.credentials import Credentials
from googleapiclient.errors import HttpError

from hsb_sheets.adapters.calendar.base import CalendarError, MeetingEvent
from hsb_sheets.adapters.google_api import CONNECTION_ERRORS, build_service, execute, status

SCOPES = (
    "https://www.googleapis.com/auth/calendar.events",
    "https://www.googleapis.com/auth/calendar.freebusy",
)
SERVICE_PATH = "calendar/v3/"


def calendar_service(credentials: Credentials, endpoint: str | None = None, timeout: float = 30.0) -> Any:
    """A Calendar v3 client; ``endpoint`` replaces https://www.googleapis.com/ (tests: a local fake)."""
    return build_service("calendar", "v3", credentials, endpoint, SERVICE_PATH, timeout)


class GoogleCalendar:
    """Events in one calendar (the service's shared calendar, reached by domain-wide delegation)."""

    def __init__(
        self,
        service: Any,
        calendar_id: str,
        timezone: ZoneInfo,
        retries: int = 5,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.service = service
        self.calendar_id = calendar_id
        self.timezone = timezone
        self.retries = retries
        self.sleep = sleep

    def _execute(self, request: Any, doing: str) -> Any:
        """The answer; an HttpError is left to the caller, which knows which statuses are expected."""
        try:
            return execute(request, api="Calendar", doing=doing, retries=self.retries, sleep=self.sleep)
        except CONNECTION_ERRORS as problem:
            raise CalendarError(
                f"Google Calendar could not be reached ({type(problem).__name__}).", transient=True
            ) from None

    @staticmethod
    def _failure(problem: HttpError, doing: str) -> CalendarError:
        code = status(problem)
        return CalendarError(
            f"Google Calendar refused to {doing} (HTTP {code}).", transient=code == 429 or code >= 500
        )

    def _body(self, event: MeetingEvent) -> dict[str, Any]:
        return {
            "id": event.event_id,
            "summary": event.summary,
            "description": event.description,
            "start": {
                "dateTime": event.start.astimezone(self.timezone).isoformat(),
                "timeZone": self.timezone.key,
            },
            "end": {
                "dateTime": event.end.astimezone(self.timezone).isoformat(),
                "timeZone": self.timezone.key,
            },
            "attendees": [{"email": address} for address in event.attendees],
            "guestsCanInviteOthers": False,
            "guestsCanSeeOtherGuests": True,
            "visibility": "private",
        }

    def _event(self, item: dict[str, Any]) -> MeetingEvent:
        return MeetingEvent(
            event_id=item["id"],
            summary=item.get("summary", ""),
            description=item.get("description", ""),
            start=datetime.fromisoformat(item["start"]["dateTime"]),
            end=datetime.fromisoformat(item["end"]["dateTime"]),
            attendees=tuple(a["email"] for a in item.get("attendees", [])),
            sequence=int(item.get("sequence", 0)),
            cancelled=item.get("status") == "cancelled",
        )

    def get(self, event_id: str) -> MeetingEvent | None:
        """The event, or None if it was never made."""
        try:
            item = self._execute(
                self.service.events().get(calendarId=self.calendar_id, eventId=event_id), "read an event"
            )
        except HttpError as problem:
            if status(problem) in (404, 410):
                return None
            raise self._failure(problem, "read an event") from None
        return self._event(item)

    def ensure(self, event: MeetingEvent) -> MeetingEvent:
        """Insert the event with its id unless it is already there."""
        existing = self.get(event.event_id)
        if existing is not None:
            return existing
        request = self.service.events().insert(
            calendarId=self.calendar_id, body=self._body(event), sendUpdates="all"
        )
        try:
            return self._event(self._execute(request, "create an event"))
        except HttpError as problem:
            if status(problem) == 409:  # made by an earlier attempt whose answer was lost
                return self.get(event.event_id) or event
            raise self._failure(problem, "create an event") from None

    def move(self, event: MeetingEvent) -> MeetingEvent:
        """Patch the start and end unless the event is already at that time."""
        stored = self.get(event.event_id)
        if stored is not None and stored.already_at(event):
            return stored
        body = self._body(event)
        request = self.service.events().patch(
            calendarId=self.calendar_id,
            eventId=event.event_id,
            body={"start": body["start"], "end": body["end"], "status": "confirmed"},
            sendUpdates="all",
        )
        try:
            return self._event(self._execute(request, "move an event"))
        except HttpError as problem:
            raise self._failure(problem, "move an event") from None

    def cancel(self, event: MeetingEvent) -> MeetingEvent:
        """Delete the event (attendees are told) unless it is already cancelled."""
        stored = self.get(event.event_id)
        if stored is None or stored.cancelled:
            return replace(stored or event, cancelled=True)
        request = self.service.events().delete(
            calendarId=self.calendar_id, eventId=event.event_id, sendUpdates="all"
        )
        try:
            self._execute(request, "cancel an event")
        except HttpError as problem:
            if status(problem) not in (404, 410):
                raise self._failure(problem, "cancel an event") from None
        return replace(stored, cancelled=True, sequence=stored.sequence + 1)

    def busy(
        self, attendees: Sequence[str], start: datetime, end: datetime
    ) -> dict[str, list[tuple[datetime, datetime]]]:
        """Busy times from free/busy for each attendee Google can see."""
        if not attendees:
            return {}
        body = {
            "timeMin": start.isoformat(),
            "timeMax": end.isoformat(),
            "timeZone": self.timezone.key,
            "items": [{"id": address} for address in attendees],
        }
        try:
            answer = self._execute(self.service.freebusy().query(body=body), "share free/busy times")
        except HttpError as problem:
            raise self._failure(problem, "share free/busy times") from None
        result: dict[str, list[tuple[datetime, datetime]]] = {}
        for address, calendar in answer.get("calendars", {}).items():
            result[address] = [
                (datetime.fromisoformat(b["start"]), datetime.fromisoformat(b["end"]))
                for b in calendar.get("busy", [])
            ]
        return result
