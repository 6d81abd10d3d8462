"""The local register with a memory: every row the jobs write is remembered in the journal.

Excel and LibreOffice ignore the jobs' lock, and a stale copy of the register saved over it silently
undoes what the jobs wrote. :class:`JournaledWorkbook` wraps the register so the jobs need not care:

- ``write`` remembers, per tab and key, the row each append or update leaves (the values of every
  column the jobs saw); while a desktop program holds the register open, the batch is queued in the
  journal instead and the job goes on (its emails and invites are sent on time).
- ``read`` first brings the register up to date: queued batches are applied in order (an update
  whose row has gone restores that row first), then the tabs read are **reconciled**: a remembered
  row missing from the register is appended back (with the coordinators' cells as last seen), and
  the system-owned cells of a remembered row that differ from what the jobs last wrote are put
  back. Coordinator-owned (and shared) cells of a row that is there are never touched. Each
  restoration is one Audit log line, without personal data. While the register is held open (or
  in a preview, for dry runs), nothing is written and the tables returned are the register's with
  the queued writes and remembered rows laid over them, so a run sees its own work.

What is remembered, and how a tab's losses are found and put back, is :mod:`restoring`. "Form
responses 1" is the web form's: intake restores it from the journal's submissions
(:mod:`hsb_sheets.services.submissions`).
"""

from __future__ import annotations

import contextlib
import copy
import logging
import re
from collections.abc import Callable, Iterator, Sequence
from datetime import datetime
from zoneinfo import ZoneInfo

from hsb_sheets.adapters.journal.base import Journal, QueuedWrite, SystemRow
from hsb_sheets.adapters.workbook.audit_chained import stamp
from hsb_sheets.adapters.workbook.base import (
    Append,
    HeldOpen,
    RegisterHeldOpen,
    Table,
    Workbook,
    WriteBatch,
)
from hsb_sheets.adapters.workbook.restoring import Restorer, Staged, tab_rules
from hsb_sheets.domain.layout import Layout
from hsb_sheets.domain.tabs import AUDIT_LOG, CASE_ID, REFERRALS, TabSpec
from hsb_sheets.errors import WorkbookError
from hsb_sheets.logs import log

_CASE_NUMBER = re.compile(r"HSB-(\d{4})-(\d{4,})")


class _Recall:
    """The journal's remembered rows and queued writes, read once per session of the register (while
    the register's lock is held, only this object changes them). Callers never change what it gives."""

    def __init__(self, journal: Journal) -> None:
        self.journal = journal
        self.depth = 0
        self._rows: dict[str, dict[str, dict[str, str]]] = {}
        self._queue: list[QueuedWrite] | None = None

    def forget(self) -> None:
        self._rows, self._queue = {}, None

    def rows(self, tab: str) -> dict[str, dict[str, str]]:
        if tab in self._rows:
            return self._rows[tab]
        rows = self.journal.remembered_rows(tab)
        if self.depth:
            self._rows[tab] = rows
        return rows

    def remember(self, rows: Sequence[SystemRow]) -> None:
        if not rows:
            return
        self.journal.remember_rows(rows)
        for row in rows:
            if row.tab in self._rows:
                self._rows[row.tab][row.key] = dict(row.values)

    def queued(self) -> list[QueuedWrite]:
        if self._queue is not None:
            return self._queue
        queue = self.journal.queued_writes()
        if self.depth:
            self._queue = queue
        return queue

    def queue(self, batch: WriteBatch, when: datetime) -> None:
        self.journal.queue_write(batch, when)
        self._queue = None

    def clear(self, write_id: int) -> None:
        self.journal.clear_writes([write_id])
        self._queue = None


class JournaledWorkbook:
    """A Workbook that remembers what the jobs wrote and restores what the register lost."""

    def __init__(
        self,
        inner: Workbook,
        journal: Journal,
        specs: Sequence[TabSpec],
        clock: Callable[[], datetime],
        timezone: ZoneInfo,
    ) -> None:
        self.inner = inner
        self.journal = journal
        self.rules = tab_rules(specs)
        self._recall = _Recall(journal)
        self._clock = clock
        self._restorer = Restorer(
            self.rules, self._recall.rows, lambda: clock().astimezone(timezone).replace(tzinfo=None)
        )
        self._previewing = 0
        self._told_held = False

    # -- passed through -----------------------------------------------------------------------

    @contextlib.contextmanager
    def session(self) -> Iterator[None]:
        """The register's own session (its lock); what the journal holds is read once in it."""
        with self.inner.session():
            self._recall.depth += 1
            try:
                yield
            finally:
                self._recall.depth -= 1
                if not self._recall.depth:
                    self._recall.forget()

    def ensure_tabs(self, specs: Sequence[TabSpec]) -> list[str]:
        """Create missing tabs and header columns in the register."""
        return self.inner.ensure_tabs(specs)

    def apply_layout(self, layout: Layout) -> list[str]:
        """Apply dropdowns, highlights and protections to the register."""
        return self.inner.apply_layout(layout)

    def held_open(self) -> HeldOpen | None:
        """The desktop program holding the register open, if any."""
        return self.inner.held_open()

    @contextlib.contextmanager
    def preview(self) -> Iterator[None]:
        """While inside, reads write nothing (no catching up, no restoring): for dry runs."""
        self._previewing += 1
        try:
            yield
        finally:
            self._previewing -= 1

    # -- reads --------------------------------------------------------------------------------

    def read_values(self, tab: str, column: str) -> list[str]:
        """The column as ``read`` gives it (the local register's cells read as they are stored)."""
        return self.read([tab])[tab].column(column)

    def read(self, tabs: Sequence[str]) -> dict[str, Table]:
        """The tabs, once the register holds everything the jobs wrote (or as if it did)."""
        with self.session():
            if not self._previewing and self._held() is None:
                try:
                    self._catch_up()
                    return self._view(tabs, restore=True)
                except RegisterHeldOpen as refused:  # a program opened it this moment
                    self._note_held(refused.held)
            return self._view(tabs, restore=False)

    def _held(self) -> HeldOpen | None:
        held = self.inner.held_open()
        if held is None:
            self._told_held = False
        else:
            self._note_held(held)
        return held

    def _note_held(self, held: HeldOpen) -> None:
        if not self._told_held:
            log(
                "the register is open in a desktop program: the jobs' writes wait in the journal "
                "and are made once it is closed",
                logging.WARNING,
                program=held.program,
                lock_file=held.lock_file,
            )
            self._told_held = True

    def _catch_up(self) -> None:
        """Apply the queued writes in order, each cleared from the journal once it is in the register."""
        for queued in self._recall.queued():
            staged = Staged(self.inner)
            batch, told = self._restorer.resolve(queued.batch, staged)
            self._write_told(batch, told)
            self._recall.clear(queued.id)

    def _write_told(self, batch: WriteBatch, told: list[Append]) -> None:
        """Write a batch and the Audit log lines about it; remember those lines."""
        if not batch and not told:
            return
        self.inner.write(WriteBatch([*batch.appends, *told], list(batch.updates)))
        if told:
            self._recall.remember(self._restorer.rows_to_remember(WriteBatch(appends=told), {}))

    def _view(self, tabs: Sequence[str], restore: bool) -> dict[str, Table]:
        """The tabs as read, with what they lost put back: in the register too if ``restore``, else
        only in what is returned, after the queued writes (the register is held open, or a preview).

        What is returned is the register as read with the repairs made in memory, not read again:
        a stale copy saved this very moment must not hide the jobs' work from the job.
        """
        staged = Staged(self.inner)
        staged.read(tabs)
        wanted = set(tabs)
        for queued in () if restore else self._recall.queued():
            part = WriteBatch(
                [a for a in queued.batch.appends if a.tab in wanted],
                [u for u in queued.batch.updates if u.tab in wanted],
            )
            batch, _ = self._restorer.resolve(part, staged)
            if batch:
                staged.write(batch)
        repair = self._restorer.repairs(tabs, staged)
        if restore:
            self._write_told(repair.batch, repair.told)
            self._recall.remember(repair.seen)
            if AUDIT_LOG in wanted:
                repair.batch.appends.extend(repair.told)
        if repair.batch:
            staged.write(repair.batch)
        return {t: copy.deepcopy(staged.tables[t]) for t in tabs}

    # -- writes -------------------------------------------------------------------------------

    def write(self, batch: WriteBatch) -> None:
        """Write the batch and remember its rows; while the register is held open, queue it instead."""
        if not batch:
            return
        with self.session():
            tabs = sorted({u.tab for u in batch.updates if u.tab in self.rules})
            current = self._current(tabs)
            stamped = stamp(self.inner, batch)  # Audit log rows as written: the journal keeps their hash
            rows = self._restorer.rows_to_remember(stamped, current)
            try:
                self.inner.write(stamped)
            except RegisterHeldOpen as refused:
                self._note_held(refused.held)
                self._recall.queue(batch, self._clock())  # chained when it is written
            except WorkbookError:  # perhaps a row it updates was lost since the job read it
                restored, told = self._restorer.resolve(stamped, Staged(self.inner), queued=False)
                if not told:
                    raise
                self._write_told(restored, told)
            self._recall.remember(rows)
            self._note_case_numbers(batch)

    def _current(self, tabs: Sequence[str]) -> dict[str, Table]:
        if not tabs:
            return {}
        if self._previewing or self.inner.held_open() is not None:
            return self._view(tabs, restore=False)
        return self.inner.read(tabs)

    def _note_case_numbers(self, batch: WriteBatch) -> None:
        """Record the highest new case number of each year as given, so none is ever given again."""
        highest: dict[int, int] = {}
        for append in batch.appends:
            match = _CASE_NUMBER.fullmatch(append.values.get(CASE_ID, "").strip())
            if append.tab == REFERRALS and match:
                highest[int(match[1])] = max(highest.get(int(match[1]), 0), int(match[2]))
        for year, number in highest.items():
            if self.journal.highest_case_number(year) < number:
                self.journal.next_case_number(year, number - 1)  # gives exactly this number


@contextlib.contextmanager
def previewing(workbook: Workbook, active: bool = True) -> Iterator[None]:
    """Make a journaled register's reads write nothing while inside (any other register: no change)."""
    if active and isinstance(workbook, JournaledWorkbook):
        with workbook.preview():
            yield
    else:
        yield
