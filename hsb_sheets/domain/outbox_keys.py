"""Idempotency keys of the Outbox ledger, built and read in one place.

A key is the notification's kind followed by the parts that make it unique, joined by ``|``
(``acknowledgement|HSB-2026-0042``, ``reminder|end_summary_due|HSB-2026-0042|...``). The text form
is what earlier versions wrote to the Outbox tab, so existing registers keep their keys. A ``|``
inside a part is kept as ``/`` (as earlier versions wrote it), so a key and the key its text reads
back as are equal.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

ACKNOWLEDGEMENT = "acknowledgement"
INTAKE_ISSUE = "intake_issue"
NEEDS_SCHEDULING = "needs_scheduling"
REMINDER = "reminder"
DIGEST = "digest"
INVITE = "invite"
STEP_ESCALATION = "step_escalation"
KINDS = (ACKNOWLEDGEMENT, INTAKE_ISSUE, NEEDS_SCHEDULING, REMINDER, DIGEST, INVITE, STEP_ESCALATION)
_SEPARATOR = "|"


class OutboxKeyError(ValueError):
    """Text that is not an Outbox key of a known kind and shape."""


@dataclass(frozen=True)
class OutboxKey:
    """One notification's identity: its kind and the parts that make it unique."""

    kind: str
    parts: tuple[str, ...]

    def __post_init__(self) -> None:
        # A "|" in a part is kept as "/", so that a key equals the key its text reads back as.
        object.__setattr__(self, "parts", tuple(p.replace(_SEPARATOR, "/") for p in self.parts))

    def __str__(self) -> str:
        return _SEPARATOR.join([self.kind, *self.parts])

    @property
    def subject(self) -> str:
        """The first part: the case, response, meeting, reminder kind or area the key is about."""
        return self.parts[0] if self.parts else ""

    @classmethod
    def parse(cls, text: str) -> OutboxKey:
        """Read a key as written in the Outbox tab; OutboxKeyError if it is not one."""
        kind, *parts = text.split(_SEPARATOR)
        if kind not in KINDS or not parts or len(parts) != _SHAPES[kind]:
            raise OutboxKeyError(f"'{text}' is not an Outbox key")
        return cls(kind, tuple(parts))

    @classmethod
    def acknowledgement(cls, case_id: str) -> OutboxKey:
        """The referrer's acknowledgement of a registered case."""
        return cls(ACKNOWLEDGEMENT, (case_id,))

    @classmethod
    def intake_issue(cls, response_id: str) -> OutboxKey:
        """The referrer's "please correct your referral" email for one response."""
        return cls(INTAKE_ISSUE, (response_id,))

    @classmethod
    def needs_scheduling(cls, meeting: str, reason_digest: str, recipient: str) -> OutboxKey:
        """A coordinator told that a meeting needs scheduling, once per reason."""
        return cls(NEEDS_SCHEDULING, (meeting, reason_digest, recipient))

    @classmethod
    def reminder(
        cls, kind: str, case_id: str, intervention: str, start: str, due: date, role: str, send_on: date
    ) -> OutboxKey:
        """One reminder: case, intervention, kind, due date, recipient role and the day it is for."""
        parts = (kind, case_id, intervention, start, due.isoformat(), role, send_on.isoformat())
        return cls(REMINDER, parts)

    @classmethod
    def digest(cls, area: str, day: date, recipient: str) -> OutboxKey:
        """An area's morning digest to one coordinator."""
        return cls(DIGEST, (area, day.isoformat(), recipient))

    @classmethod
    def invite(cls, event_id: str, sequence: int, method: str) -> OutboxKey:
        """An iCalendar invitation email (REQUEST or CANCEL) for one version of an event."""
        return cls(INVITE, (event_id, str(sequence), method))

    @classmethod
    def step_escalation(cls, case_id: str, step: str, source: str, due: date, send_on: date) -> OutboxKey:
        """An overdue next step escalated to the area's service managers, for one day of its weekly run."""
        return cls(STEP_ESCALATION, (case_id, step, source, due.isoformat(), send_on.isoformat()))


_SHAPES = {ACKNOWLEDGEMENT: 1, INTAKE_ISSUE: 1, NEEDS_SCHEDULING: 3, REMINDER: 7, DIGEST: 3, INVITE: 3}
_SHAPES[STEP_ESCALATION] = 5


@dataclass(frozen=True)
class ReminderKey:
    """The parts of a reminder key, by name."""

    kind: str
    case_id: str
    intervention: str
    start: str
    due: date
    role: str
    send_on: date

    @classmethod
    def of(cls, key: OutboxKey) -> ReminderKey:
        """Read a reminder key's parts; OutboxKeyError if it is not a well-formed reminder key."""
        if key.kind != REMINDER or len(key.parts) != _SHAPES[REMINDER]:
            raise OutboxKeyError(f"'{key}' is not a reminder key")
        kind, case_id, intervention, start, due, role, send_on = key.parts
        try:
            return cls(
                kind, case_id, intervention, start, date.fromisoformat(due), role, date.fromisoformat(send_on)
            )
        except ValueError:
            raise OutboxKeyError(f"'{key}' has no readable dates") from None


@dataclass(frozen=True)
class DigestKey:
    """The parts of a digest key, by name."""

    area: str
    day: date
    recipient: str

    @classmethod
    def of(cls, key: OutboxKey) -> DigestKey:
        """Read a digest key's parts; OutboxKeyError if it is not a well-formed digest key."""
        if key.kind != DIGEST or len(key.parts) != _SHAPES[DIGEST]:
            raise OutboxKeyError(f"'{key}' is not a digest key")
        area, day, recipient = key.parts
        try:
            return cls(area, date.fromisoformat(day), recipient)
        except ValueError:
            raise OutboxKeyError(f"'{key}' has no readable date") from None


@dataclass(frozen=True)
class StepEscalationKey:
    """The parts of a next step's escalation key, by name."""

    case_id: str
    step: str
    source: str
    due: date
    send_on: date

    @property
    def step_id(self) -> str:
        """The Next steps row the escalation is about."""
        return _SEPARATOR.join((self.case_id, self.step, self.source))

    @classmethod
    def of(cls, key: OutboxKey) -> StepEscalationKey:
        """Read an escalation key's parts; OutboxKeyError if it is not a well-formed one."""
        if key.kind != STEP_ESCALATION or len(key.parts) != _SHAPES[STEP_ESCALATION]:
            raise OutboxKeyError(f"'{key}' is not a next step escalation key")
        case_id, step, source, due, send_on = key.parts
        try:
            return cls(case_id, step, source, date.fromisoformat(due), date.fromisoformat(send_on))
        except ValueError:
            raise OutboxKeyError(f"'{key}' has no readable dates") from None
