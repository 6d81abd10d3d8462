"""A journal held in memory, for unit tests (and, for now, the Google backend, whose protected tabs
play the journal's part): it records outcomes in ``state`` rather than calls."""

from __future__ import annotations

import copy
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime

from hsb_sheets.adapters.journal.base import (
    Ingestion,
    JournalError,
    OutboxEntry,
    QueuedWrite,
    Submission,
    SystemRow,
    ingestion_is_new,
    outbox_change_is_new,
    submission_is_new,
)
from hsb_sheets.adapters.workbook.base import WriteBatch


@dataclass
class JournalState:
    """Everything a journal records, as plain collections tests can inspect."""

    submissions: dict[str, Submission] = field(default_factory=dict)
    copied: set[str] = field(default_factory=set)
    ingestions: dict[str, Ingestion] = field(default_factory=dict)
    highest: dict[int, int] = field(default_factory=dict)
    given: dict[tuple[str, int], int] = field(default_factory=dict)
    outbox: dict[str, OutboxEntry] = field(default_factory=dict)
    rows: dict[str, dict[str, dict[str, str]]] = field(default_factory=dict)
    writes: dict[int, QueuedWrite] = field(default_factory=dict)
    last_write: int = 0


class MemoryJournal:
    """Each change is made on a copy that replaces ``state`` only if it completes (all or nothing).

    ``fail_next`` makes that many of the next changes fail with JournalError, as a full disk would.
    """

    def __init__(self) -> None:
        self.state = JournalState()
        self.fail_next = 0
        self._lock = threading.RLock()

    @contextmanager
    def _change(self) -> Iterator[JournalState]:
        with self._lock:
            if self.fail_next:
                self.fail_next -= 1
                raise JournalError("The test journal was told to fail.")
            staged = copy.deepcopy(self.state)
            yield staged
            self.state = staged

    def add_submission(self, submission: Submission) -> None:
        """Store a submission (the same one again changes nothing)."""
        with self._change() as state:
            if submission_is_new(state.submissions.get(submission.id), submission):
                state.submissions[submission.id] = submission

    def submissions_to_copy(self) -> list[Submission]:
        """Submissions not yet copied, oldest first."""
        with self._lock:
            return [s for i, s in self.state.submissions.items() if i not in self.state.copied]

    def submissions(self) -> list[Submission]:
        """Every submission, oldest first."""
        with self._lock:
            return list(self.state.submissions.values())

    def erase_submission(self, submission_id: str, row: Sequence[str]) -> None:
        """Replace a submission's cells (JournalError for an unknown id or a row of another width)."""
        with self._change() as state:
            present = state.submissions.get(submission_id)
            if present is None or len(row) != len(present.header):
                raise JournalError("The journal has no submission with that id and width.")
            state.submissions[submission_id] = Submission(
                present.id, present.received, present.header, tuple(row)
            )

    def compact(self) -> None:
        """Nothing to do: what memory no longer holds is gone."""

    def mark_copied(self, submission_ids: Sequence[str]) -> None:
        """Mark submissions as in "Form responses 1"."""
        with self._change() as state:
            for submission_id in submission_ids:
                if submission_id not in state.submissions:
                    raise JournalError("The journal has no submission with that id.")
                state.copied.add(submission_id)

    def record_ingested(self, ingestions: Sequence[Ingestion]) -> None:
        """Remember what responses became (once each)."""
        with self._change() as state:
            for ingestion in ingestions:
                if ingestion_is_new(state.ingestions.get(ingestion.response_id), ingestion):
                    state.ingestions[ingestion.response_id] = ingestion

    def ingestion_of(self, response_id: str) -> Ingestion | None:
        """What the response became, if it was ingested."""
        with self._lock:
            return self.state.ingestions.get(response_id)

    def ingested(self) -> dict[str, Ingestion]:
        """Every ingested response."""
        with self._lock:
            return dict(self.state.ingestions)

    def next_case_number(self, year: int, seen_in_register: int, response_id: str = "") -> int:
        """The next case number never given for the year."""
        with self._change() as state:
            if response_id and (response_id, year) in state.given:
                return state.given[(response_id, year)]
            number = max(state.highest.get(year, 0), seen_in_register) + 1
            state.highest[year] = number
            if response_id:
                state.given[(response_id, year)] = number
            return number

    def highest_case_number(self, year: int) -> int:
        """The highest number given for the year."""
        with self._lock:
            return self.state.highest.get(year, 0)

    def record_outbox(self, entries: Sequence[OutboxEntry]) -> None:
        """Record Outbox states (sent is final)."""
        with self._change() as state:
            for entry in entries:
                if outbox_change_is_new(state.outbox.get(entry.key), entry):
                    state.outbox[entry.key] = entry

    def outbox(self) -> dict[str, OutboxEntry]:
        """Every Outbox key recorded."""
        with self._lock:
            return dict(self.state.outbox)

    def remember_rows(self, rows: Sequence[SystemRow]) -> None:
        """Remember rows the jobs wrote."""
        with self._change() as state:
            for row in rows:
                state.rows.setdefault(row.tab, {})[row.key] = dict(row.values)

    def remembered_rows(self, tab: str) -> dict[str, dict[str, str]]:
        """The rows remembered for a tab."""
        with self._lock:
            return copy.deepcopy(self.state.rows.get(tab, {}))

    def forget_rows(self, tab: str, keys: Sequence[str]) -> None:
        """Forget some rows of a tab."""
        with self._change() as state:
            for key in keys:
                state.rows.get(tab, {}).pop(key, None)

    def queue_write(self, batch: WriteBatch, queued_at: datetime) -> int:
        """Queue a register write."""
        with self._change() as state:
            state.last_write += 1
            state.writes[state.last_write] = QueuedWrite(state.last_write, queued_at, copy.deepcopy(batch))
            return state.last_write

    def queued_writes(self) -> list[QueuedWrite]:
        """The writes still to make, in order."""
        with self._lock:
            return copy.deepcopy(list(self.state.writes.values()))

    def clear_writes(self, ids: Sequence[int]) -> None:
        """Drop applied writes."""
        with self._change() as state:
            for write_id in ids:
                state.writes.pop(write_id, None)
