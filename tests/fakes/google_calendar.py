"""A stateful fake of Google Calendar v3 (events and free/busy) for the adapter's tests.

Behaviours of the real Calendar reproduced here:

- A deleted event is kept with status ``cancelled``: ``events.get`` still returns it ("The get method
  always returns them", Event.status in the Calendar v3 discovery document;
  github.com/googleapis/google-api-java-client/issues/1535) and its id cannot be used again: an insert
  with it answers 409 "The requested identifier already exists" (googleapis/google-api-python-client
  issues 210 and 846). Patching it back to ``confirmed`` restores it ("cancelled events continue to
  expose event details ... so that they can be restored (undeleted)", the same discovery text;
  stackoverflow.com/questions/27542721).
- A service account acting as itself cannot invite attendees: 403 ``forbiddenForServiceAccounts``
  "Service accounts cannot invite attendees without Domain-Wide Delegation of Authority."
  (github.com/spatie/laravel-google-calendar/issues/242, googleapis/google-api-ruby-client/issues/14631).
  The fake answers so when the access token (from tests/fakes/google_token.py) has no subject, or
  when ``delegated`` is False.
- ``freeBusy.query`` answers 200 for a calendar it cannot read, with ``errors`` (e.g. notFound) and an
  empty ``busy`` list (FreeBusyCalendar.errors, Calendar v3 discovery document): ``unreadable``.
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any

from tests.fakes.google_http import ApiError, Discovery, FakeGoogleServer, Method
from tests.fakes.google_token import subject_of

_EVENT_ID = re.compile(r"[a-v0-9]{5,1024}")


def _instant(value: dict[str, Any]) -> datetime:
    return datetime.fromisoformat(value["dateTime"].replace("Z", "+00:00"))


class FakeCalendar:
    """Events per calendar, as Google keeps them (a deleted event stays, with status cancelled)."""

    def __init__(self) -> None:
        self.events: dict[str, dict[str, dict[str, Any]]] = {}
        self.busy: dict[str, list[tuple[str, str]]] = {}
        self.unreadable: set[str] = set()  # calendars free/busy cannot read (outside the domain, unshared)
        self.delegated = True  # False: every request is the service account acting as itself
        self.server = FakeGoogleServer(Discovery("calendar.v3"), self.handle)

    def start(self) -> str:
        return self.server.start()

    def stop(self) -> None:
        self.server.stop()

    def live(self, calendar: str = "primary") -> list[dict[str, Any]]:
        return [e for e in self.events.get(calendar, {}).values() if e["status"] != "cancelled"]

    def _check_inviting(self, body: Any) -> None:
        """Attendees may only be invited by a delegated user, never by the service account itself."""
        if not (isinstance(body, dict) and body.get("attendees")):
            return
        if not self.delegated or subject_of(self.server.headers.get("authorization")) == "":
            message = "Service accounts cannot invite attendees without Domain-Wide Delegation of Authority."
            raise ApiError(403, message, "forbiddenForServiceAccounts")

    def handle(
        self, method: Method, params: dict[str, str], query: dict[str, list[str]], body: Any
    ) -> tuple[int, Any]:
        calendar = params.get("calendarId", "primary")
        events = self.events.setdefault(calendar, {})
        if method.id in ("calendar.events.insert", "calendar.events.patch", "calendar.events.update"):
            self._check_inviting(body)
        if method.id == "calendar.events.insert":
            event_id = body.get("id", "")
            if not _EVENT_ID.fullmatch(event_id):
                raise ApiError(400, "Invalid resource id value.")
            if event_id in events:
                raise ApiError(409, "The requested identifier already exists.", "duplicate")
            for key in ("start", "end"):
                if "dateTime" not in body.get(key, {}):
                    raise ApiError(
                        400, "Missing end time." if key == "end" else "Missing start time.", "required"
                    )
            stored = {
                "kind": "calendar#event",
                "status": "confirmed",
                "sequence": 0,
                "iCalUID": f"{event_id}@google.com",
                "organizer": {"email": calendar, "self": True},
                **body,
            }
            for attendee in stored.get("attendees", []):
                attendee.setdefault("responseStatus", "needsAction")
            events[event_id] = stored
            return 200, stored
        event = events.get(params.get("eventId", ""))
        if method.id == "calendar.events.get":
            if event is None:
                raise ApiError(404, "Not Found", "notFound")
            return 200, event
        if method.id == "calendar.events.patch":
            if event is None:
                raise ApiError(404, "Not Found", "notFound")
            if any(k in body and body[k] != event.get(k) for k in ("start", "end", "status")):
                event["sequence"] += 1
            event.update(body)
            return 200, event
        if method.id == "calendar.events.delete":
            if event is None:
                raise ApiError(404, "Not Found", "notFound")
            if event["status"] == "cancelled":
                raise ApiError(410, "Resource has been deleted", "deleted")
            event["status"] = "cancelled"
            event["sequence"] += 1
            return 204, None
        if method.id == "calendar.freebusy.query":
            low, high = datetime.fromisoformat(body["timeMin"]), datetime.fromisoformat(body["timeMax"])
            answer: dict[str, Any] = {}
            for item in body.get("items", []):
                address = item["id"]
                if address in self.unreadable:
                    answer[address] = {"errors": [{"domain": "global", "reason": "notFound"}], "busy": []}
                    continue
                busy = [{"start": s, "end": e} for s, e in self.busy.get(address, [])]
                for events_of in self.events.values():
                    for e in events_of.values():
                        mine = any(a["email"] == address for a in e.get("attendees", []))
                        if (
                            mine
                            and e["status"] != "cancelled"
                            and _instant(e["start"]) < high
                            and _instant(e["end"]) > low
                        ):
                            busy.append({"start": e["start"]["dateTime"], "end": e["end"]["dateTime"]})
                answer[address] = {"busy": busy}
            return 200, {
                "kind": "calendar#freeBusy",
                "timeMin": body["timeMin"],
                "timeMax": body["timeMax"],
                "calendars": answer,
            }
        raise ApiError(501, f"{method.id} is not faked")
