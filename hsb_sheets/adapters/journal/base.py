"""The journal port: a durable record of what the jobs did, kept apart from the register.

The register is where people work, and a desktop program's stale save can silently undo a job's
writes. The journal is how the jobs know what they did regardless: web-form submissions not yet in
"Form responses 1", which responses became which case (or intake issue), the case numbers ever given,
every Outbox key and what was sent under it, the system rows the jobs wrote (to restore them if a
save removed them) and register writes still to make.

Every public call of a Journal is one transaction: it happens completely or not at all, and once it
returns it survives a crash. The journal holds personal data (submissions and rows); its errors never
quote any of it.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Literal, Protocol

from hsb_sheets.adapters.workbook.base import Append, Key, Update, WriteBatch
from hsb_sheets.errors import HsbError

OutboxState = Literal["pending", "sent", "failed"]
OUTBOX_STATES: tuple[OutboxState, ...] = ("pending", "sent", "failed")


class JournalError(HsbError):
    """The journal cannot be read or written, or a call would contradict what it already records."""


@dataclass(frozen=True)
class Submission:
    """A web-form submission, as it goes into "Form responses 1".

    ``received`` is the instant it was accepted, time-zone aware (kept as UTC, to the microsecond);
    ``header`` and ``row`` are the column titles and the cells (the Timestamp cell included).
    """

    id: str
    received: datetime
    header: tuple[str, ...]
    row: tuple[str, ...]

    def __post_init__(self) -> None:
        if self.received.tzinfo is None:
            raise JournalError("A submission's time must say its time zone.")
        object.__setattr__(self, "received", self.received.astimezone(UTC))
        if not self.id or len(self.header) != len(self.row):
            raise JournalError("A submission needs an id and one cell per column.")


@dataclass(frozen=True)
class Ingestion:
    """What a response became: a case (``case_id``) or, when ``case_id`` is blank, an intake issue."""

    response_id: str
    case_id: str = ""

    @property
    def became_issue(self) -> bool:
        """True when the response was recorded as an intake issue rather than a case."""
        return not self.case_id


@dataclass(frozen=True)
class OutboxEntry:
    """An Outbox key's state; when sent, the message id, when, and a digest of exactly what was sent."""

    key: str
    state: OutboxState
    message_id: str = ""
    sent_at: datetime | None = None
    digest: str = ""

    def __post_init__(self) -> None:
        if not self.key or self.state not in OUTBOX_STATES:
            raise JournalError("An Outbox entry needs a key and a state of pending, sent or failed.")
        if self.state == "sent" and self.sent_at is None:
            raise JournalError("A sent Outbox entry needs the time it was sent.")


@dataclass(frozen=True)
class SystemRow:
    """A row a job wrote: its tab, its key there (case id, response id, meeting reference, Outbox key
    or audit line id) and the values of the system's columns."""

    tab: str
    key: str
    values: Mapping[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if not self.tab or not self.key:
            raise JournalError("A remembered row needs its tab and its key.")


@dataclass(frozen=True)
class QueuedWrite:
    """A register write that could not be made yet, in the order it was queued."""

    id: int
    queued_at: datetime
    batch: WriteBatch


class Journal(Protocol):
    """Implementations: ``sqlite`` (the local backend's file), ``memory`` (tests; Google for now)."""

    def add_submission(self, submission: Submission) -> None:
        """Store an accepted web-form submission durably before the browser is answered.

        Adding the same submission again changes nothing; a different one under the same id is a
        JournalError.
        """
        ...

    def submissions_to_copy(self) -> list[Submission]:
        """Submissions not yet marked copied into "Form responses 1", oldest first."""
        ...

    def submissions(self) -> list[Submission]:
        """Every submission stored, copied or not, oldest first (to restore rows the tab lost)."""
        ...

    def mark_copied(self, submission_ids: Sequence[str]) -> None:
        """Record that these submissions are in "Form responses 1" (unknown ids are a JournalError)."""
        ...

    def erase_submission(self, submission_id: str, row: Sequence[str]) -> None:
        """Replace a submission's cells (retention's erasure: the personal answers blanked), leaving
        nothing of the old cells in the journal's storage; unknown ids are a JournalError."""
        ...

    def compact(self) -> None:
        """Leave no trace of removed or replaced data in the journal's storage (free pages, logs)."""
        ...

    def record_ingested(self, ingestions: Sequence[Ingestion]) -> None:
        """Remember what each response became. A response is ingested once: recording the same
        outcome again changes nothing, a different outcome is a JournalError (and nothing is kept)."""
        ...

    def ingestion_of(self, response_id: str) -> Ingestion | None:
        """Whether this response was ingested, and as what (None: never)."""
        ...

    def ingested(self) -> dict[str, Ingestion]:
        """Every ingested response, by response id."""
        ...

    def next_case_number(self, year: int, seen_in_register: int, response_id: str = "") -> int:
        """Give the next case number for the year and remember it as given.

        The number is above both ``seen_in_register`` (the highest the register shows) and every
        number ever given for that year, even if the register has since lost its row; two callers at
        once never get the same number. Given a ``response_id`` that already has a number for the
        year (a run that crashed before writing the register), that same number is returned.
        """
        ...

    def highest_case_number(self, year: int) -> int:
        """The highest case number ever given for the year (0 if none)."""
        ...

    def record_outbox(self, entries: Sequence[OutboxEntry]) -> None:
        """Record Outbox keys' states. Sent is final: recording a sent key again with the same
        message id and digest changes nothing; anything else for it is a JournalError."""
        ...

    def outbox(self) -> dict[str, OutboxEntry]:
        """Every Outbox key recorded, by key."""
        ...

    def remember_rows(self, rows: Sequence[SystemRow]) -> None:
        """Remember rows the jobs wrote; a row remembered again under its tab and key is replaced."""
        ...

    def remembered_rows(self, tab: str) -> dict[str, dict[str, str]]:
        """The rows remembered for a tab, by key, in the order first remembered."""
        ...

    def forget_rows(self, tab: str, keys: Sequence[str]) -> None:
        """Stop remembering some rows of a tab (keys not remembered are ignored)."""
        ...

    def queue_write(self, batch: WriteBatch, queued_at: datetime) -> int:
        """Keep a register write that could not be made now; returns its place in the queue."""
        ...

    def queued_writes(self) -> list[QueuedWrite]:
        """The writes still to make, in the order they were queued."""
        ...

    def clear_writes(self, ids: Sequence[int]) -> None:
        """Drop queued writes once they are applied to the register (unknown ids are ignored)."""
        ...


def case_ids_given(journal: Journal, year: int) -> list[str]:
    """The highest case ids the journal gave this year and last: never to be given again, even if
    the register has lost their rows."""
    return [f"HSB-{y}-{n:04d}" for y in (year - 1, year) if (n := journal.highest_case_number(y))]


def content_digest(content: bytes | str) -> str:
    """The digest recorded for what was sent: ``sha256:`` and the hex digest of its bytes (UTF-8)."""
    data = content.encode("utf-8") if isinstance(content, str) else content
    return "sha256:" + hashlib.sha256(data).hexdigest()


def submission_is_new(present: Submission | None, submission: Submission) -> bool:
    """Whether to store a submission; JournalError if another one already has its id."""
    if present is None:
        return True
    if present != submission:
        raise JournalError("Another submission already has this id; nothing was stored.")
    return False


def ingestion_is_new(present: Ingestion | None, ingestion: Ingestion) -> bool:
    """Whether to record an ingestion; JournalError if the response was ingested as something else."""
    if present is None:
        return True
    if present != ingestion:
        raise JournalError(
            f"Response {ingestion.response_id} was already ingested as "
            f"{present.case_id or 'an intake issue'}; it is never ingested twice."
        )
    return False


def outbox_change_is_new(present: OutboxEntry | None, entry: OutboxEntry) -> bool:
    """Whether to record an Outbox entry; JournalError if it would change what was sent."""
    if present is None or present.state != "sent":
        return present != entry
    if entry.state == "sent" and (entry.message_id, entry.digest) == (present.message_id, present.digest):
        return False
    raise JournalError(f"Outbox key {entry.key} was already sent; what was sent cannot change.")


BATCH_FORMAT = 1


def batch_to_json(batch: WriteBatch) -> str:
    """A WriteBatch as JSON text (column order kept; a key of several columns becomes a list)."""
    return json.dumps(
        {
            "format": BATCH_FORMAT,
            "appends": [{"tab": a.tab, "values": dict(a.values)} for a in batch.appends],
            "updates": [
                {
                    "tab": u.tab,
                    "key_column": _key_out(u.key_column),
                    "key": _key_out(u.key),
                    "values": dict(u.values),
                }
                for u in batch.updates
            ],
        },
        ensure_ascii=False,
    )


def batch_from_json(text: str) -> WriteBatch:
    """The WriteBatch that :func:`batch_to_json` wrote; JournalError if the text is not one."""
    try:
        data = json.loads(text)
        if data.get("format") != BATCH_FORMAT:
            raise ValueError("unknown format")
        return WriteBatch(
            appends=[Append(str(a["tab"]), _values(a["values"])) for a in data["appends"]],
            updates=[
                Update(str(u["tab"]), _key_in(u["key_column"]), _key_in(u["key"]), _values(u["values"]))
                for u in data["updates"]
            ],
        )
    except (ValueError, KeyError, TypeError, AttributeError):
        raise JournalError("A queued register write in the journal cannot be read.") from None


def _key_out(key: Key) -> str | list[str]:
    return key if isinstance(key, str) else list(key)


def _key_in(value: Any) -> Key:
    if isinstance(value, str):
        return value
    if isinstance(value, list) and all(isinstance(v, str) for v in value):
        return tuple(value)
    raise TypeError("not a key")


def _values(value: Any) -> dict[str, str]:
    if not isinstance(value, dict) or not all(isinstance(v, str) for v in value.values()):
        raise TypeError("not row values")
    return {str(k): v for k, v in value.items()}
