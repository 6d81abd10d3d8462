"""Meetings in Google Calendar (API v3, google-api-python-client).

Events are inserted with a deterministic id, so a rerun after a crash finds the event it already
made (get before insert, and a 409 answer means "already made"). Google keeps a deleted event, with
status ``cancelled``, returns it from ``events.get`` and refuses its id to a new insert (409): such an
event is restored (patched back to ``confirmed``, attendees told again), never taken as made.
Attendees are invited and told of changes by Google (``sendUpdates=all``). Transient failures (429,
5xx, 403 rate limits, connection and token-endpoint errors) are retried by
:func:`hsb_sheets.adapters.google_api.execute`, with bounded, jittered backoff; an error keeps
Google's reason and says what to configure.
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

from hsb_sheets.adapters.calendar.base import CalendarError, FreeBusy, MeetingEvent
from hsb_sheets.adapters.google_api import CONNECTION_ERRORS, build_service, execute, failure, status
from hsb_sheets.adapters.google_auth_errors import TOKEN_ERRORS, Delegation, explain_token_error

SCOPES = (
    "https://www.googleapis.com/auth/calendar.events",
    "https://www.googleapis.com/auth/calendar.freebusy",
)
SERVICE_PATH = "calendar/v3/"
API = "Google Calendar"
# Calendar's own refusals, and what to configure. forbiddenForServiceAccounts: "Service accounts cannot
# invite attendees without Domain-Wide Delegation of Authority" (e.g. github.com/spatie/
# laravel-google-calendar/issues/242, googleapis/google-api-ruby-client/issues/14631).
FIXES = {
    "forbiddenForServiceAccounts": "a service account can invite attendees only by domain-wide "
    "delegation: set [calendar] delegated_user to the mailbox that owns the calendar and delegate the "
    "Calendar scopes to the key's client ID (README, 'Connect to Google')",
    "forbidden": "the delegated user may not change this calendar: share calendar_id with [calendar] "
    "delegated_user ('Make changes to events'), or make delegated_user the calendar's owner",
    "requiredAccessLevel": "the delegated user may not change this calendar: share calendar_id with "
    "[calendar] delegated_user ('Make changes to events')",
    "notFound": "check [calendar] calendar_id, and that the delegated user can see that calendar",
}


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
        delegation: Delegation | None = None,
    ) -> None:
        self.service = service
        self.calendar_id = calendar_id
        self.timezone = timezone
        self.retries = retries
        self.sleep = sleep
        self.delegation = delegation

    def _execute(self, request: Any, doing: str) -> Any:
        """The answer; an HttpError is left to the caller, which knows which statuses are expected.

        A token failure is a TokenError (an HsbError that stops the run: no meeting is marked).
        """
        try:
            return execute(request, api="Calendar", doing=doing, retries=self.retries, sleep=self.sleep)
        except CONNECTION_ERRORS as problem:
            raise CalendarError(
                f"Google Calendar could not be reached ({type(problem).__name__}).", transient=True
            ) from None
        except TOKEN_ERRORS as problem:
            raise explain_token_error(problem, self.delegation, API) from None

    @staticmethod
    def _failure(problem: HttpError, doing: str) -> CalendarError:
        message, transient = failure(problem, api=API, doing=doing, fixes=FIXES)
        return CalendarError(message, transient=transient)

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
        """Insert the event with its id unless it is already there; restore it if it was deleted."""
        existing = self.get(event.event_id)
        if existing is not None:
            return self._restore(event) if existing.cancelled else existing
        request = self.service.events().insert(
            calendarId=self.calendar_id, body=self._body(event), sendUpdates="all"
        )
        try:
            return self._event(self._execute(request, "create an event"))
        except HttpError as problem:
            if status(problem) != 409:
                raise self._failure(problem, "create an event") from None
        # 409: made by an earlier attempt whose answer was lost, or deleted (a deleted id is never reused)
        stored = self.get(event.event_id)
        return self._restore(event) if stored is None or stored.cancelled else stored

    def _restore(self, event: MeetingEvent) -> MeetingEvent:
        """Bring a deleted (cancelled) event back as this meeting, and invite its attendees again.

        Google keeps deleted events on the organiser's calendar "so that they can be restored"
        (Event.status in the Calendar v3 discovery document); a patch back to confirmed does it.
        """
        body = {k: v for k, v in self._body(event).items() if k != "id"}
        request = self.service.events().patch(
            calendarId=self.calendar_id,
            eventId=event.event_id,
            body={**body, "status": "confirmed"},
            sendUpdates="all",
        )
        try:
            return self._event(self._execute(request, "restore a deleted event"))
        except HttpError as problem:
            raise self._failure(problem, "restore a deleted event") from None

    def move(self, event: MeetingEvent) -> MeetingEvent:
        """Patch the start and end unless the event is already at that time."""
        stored = self.get(event.event_id)
        if stored is not None and stored.already_at(event):
            return stored
        body = self._body(event)
        request = self.service.events().patch(
            calendarId=self.calendar_id,
            eventId=event.event_id,
            body={
                "start": body["start"],
                "end": body["end"],
                "description": body["description"],  # it says the meeting moved, and from when
                "status": "confirmed",
            },
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

    def busy(self, attendees: Sequence[str], start: datetime, end: datetime) -> FreeBusy:
        """Busy times from free/busy; attendees whose calendar Google could not read are ``unknown``.

        freeBusy.query answers 200 even for calendars it cannot read, with ``calendars.<id>.errors``
        (e.g. notFound for a calendar outside the domain or not shared) and no busy times: those are
        not free (FreeBusyCalendar.errors, Calendar v3 discovery document).
        """
        if not attendees:
            return FreeBusy()
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
        calendars = answer.get("calendars", {})
        unknown = [a for a in attendees if a not in calendars or calendars[a].get("errors")]
        for address, calendar in calendars.items():
            if address in unknown:
                continue
            result[address] = [
                (datetime.fromisoformat(b["start"]), datetime.fromisoformat(b["end"]))
                for b in calendar.get("busy", [])
            ]
        return FreeBusy(result, unknown)
