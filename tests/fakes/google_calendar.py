"""A stateful fake of Google Calendar v3 (events and free/busy) for the adapter's tests."""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any

from tests.fakes.google_http import ApiError, Discovery, FakeGoogleServer, Method

_EVENT_ID = re.compile(r"[a-v0-9]{5,1024}")


def _instant(value: dict[str, Any]) -> datetime:
    return datetime.fromisoformat(value["dateTime"].replace("Z", "+00:00"))


class FakeCalendar:
    """Events per calendar, as Google keeps them (a deleted event stays, with status cancelled)."""

    def __init__(self) -> None:
        self.events: dict[str, dict[str, dict[str, Any]]] = {}
        self.busy: dict[str, list[tuple[str, str]]] = {}
        self.server = FakeGoogleServer(Discovery("calendar.v3"), self.handle)

    def start(self) -> str:
        return self.server.start()

    def stop(self) -> None:
        self.server.stop()

    def live(self, calendar: str = "primary") -> list[dict[str, Any]]:
        return [e for e in self.events.get(calendar, {}).values() if e["status"] != "cancelled"]

    def handle(
        self, method: Method, params: dict[str, str], query: dict[str, list[str]], body: Any
    ) -> tuple[int, Any]:
        calendar = params.get("calendarId", "primary")
        events = self.events.setdefault(calendar, {})
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
            if any(k in body and body[k] != event.get(k) for k in ("start", "end")):
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
