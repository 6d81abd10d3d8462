"""A run lease as a row with an expiry in the register (for Google, where no file is shared).

On a register that can *claim* (Google: :meth:`SheetsWorkbook.claim`), taking the lease is one
request: a claim row goes in first under the header, atomically, and the answer shows every claim
made before it; the run has the lease when none of those is still live, and otherwise expires its
own claim and gives up. The lease holds the register's session for the whole run, so the run reads
the register once; :meth:`WorkbookLease.finish` releases the lease in the run's last write.

Elsewhere (a register that cannot claim): read the Lease tab; if another holder's lease has not
expired, give up; otherwise take the lease row (reused, so the tab stays one row long), then read
again to confirm we won. Release: expire our row. A crashed run's lease simply expires.
"""

from __future__ import annotations

import contextlib
import os
import socket
import uuid
from collections.abc import Callable, Iterator, Mapping
from datetime import datetime, timedelta
from typing import Protocol, runtime_checkable

from hsb_sheets.adapters.lease.base import LeaseBusy
from hsb_sheets.adapters.workbook.base import Append, Table, Update, Workbook, WriteBatch
from hsb_sheets.domain.tabs import LEASE, LeaseTab
from hsb_sheets.errors import WorkbookError

FORMAT = "%Y-%m-%d %H:%M:%S"


@runtime_checkable
class Claiming(Protocol):
    """A register that puts a row first in a tab atomically and answers with the tab as it then is."""

    def claim(self, tab: str, values: Mapping[str, str]) -> Table:
        """The tab after the new row went in under its header."""
        ...


class WorkbookLease:
    """A lease row in the register's Lease tab."""

    def __init__(
        self, workbook: Workbook, clock: Callable[[], datetime], ttl: timedelta = timedelta(minutes=20)
    ) -> None:
        self.workbook = workbook
        self.clock = clock
        self.ttl = ttl
        self.process = f"{socket.gethostname()}:{os.getpid()}"
        self.holder = ""
        self._released = True

    def _rows(self) -> list[dict[str, str]]:
        return [r for r in self.workbook.read([LEASE])[LEASE].records() if r.get(LeaseTab.HOLDER)]

    @staticmethod
    def _live(rows: list[dict[str, str]], now: datetime) -> list[dict[str, str]]:
        return [r for r in rows if r.get(LeaseTab.EXPIRES, "") > now.strftime(FORMAT)]

    def _release(self, now: datetime) -> Update:
        return Update(LEASE, LeaseTab.HOLDER, self.holder, {LeaseTab.EXPIRES: now.strftime(FORMAT)})

    def _expire(self, now: datetime) -> None:
        """Let go of our row; if another run has since overwritten it, there is nothing to release."""
        self._released = True
        with contextlib.suppress(WorkbookError):
            self.workbook.write(WriteBatch(updates=[self._release(now)]))

    @staticmethod
    def _busy(live: list[dict[str, str]]) -> LeaseBusy:
        holder, until = live[0][LeaseTab.HOLDER], live[0][LeaseTab.EXPIRES]
        return LeaseBusy(f"Another run ({holder}) holds the lease until {until} UTC; this one did nothing.")

    def _take_by_claim(self, workbook: Claiming, values: dict[str, str], now: datetime) -> None:
        table = workbook.claim(LEASE, values)
        rows = list(table.records())
        before = [r for r in rows[1:] if r.get(LeaseTab.HOLDER)]
        live = self._live(before, now)
        if not rows or rows[0].get(LeaseTab.HOLDER) != self.holder or live:
            self._expire(now)
            raise self._busy(live) if live else LeaseBusy("Another run took the lease; this one did nothing.")

    def _take_by_rows(self, values: dict[str, str], now: datetime) -> None:
        rows = self._rows()
        live = self._live(rows, now)
        if live:
            raise self._busy(live)
        if rows:  # one row, reused, so the tab never grows
            batch = WriteBatch(updates=[Update(LEASE, LeaseTab.HOLDER, rows[0][LeaseTab.HOLDER], values)])
        else:
            batch = WriteBatch(appends=[Append(LEASE, values)])
        self.workbook.write(batch)
        winner = self._live(self._rows(), now)
        if not winner or winner[0][LeaseTab.HOLDER] != self.holder:
            self._expire(now)  # lost a race with another run taking it at the same moment
            raise LeaseBusy("Another run took the lease at the same moment; this one did nothing.")

    @contextlib.contextmanager
    def hold(self) -> Iterator[None]:
        """Take the lease for ``ttl`` and confirm it, run (in one register session), then release it."""
        now = self.clock()
        self.holder = f"{self.process}:{uuid.uuid4().hex[:8]}"  # one token per acquisition
        values: dict[str, str] = {
            LeaseTab.HOLDER: self.holder,
            LeaseTab.TAKEN: now.strftime(FORMAT),
            LeaseTab.EXPIRES: (now + self.ttl).strftime(FORMAT),
        }
        with self.workbook.session():
            self._released = False
            if isinstance(self.workbook, Claiming):
                self._take_by_claim(self.workbook, values, now)
            else:
                self._take_by_rows(values, now)
            try:
                yield
            finally:
                if not self._released:
                    self._expire(self.clock())

    def finish(self, batch: WriteBatch) -> None:
        """Write the run's last writes and release the lease in the same write.

        Should that write fail, the lease is still released (on its own) when the run ends.
        """
        final = WriteBatch(list(batch.appends), [*batch.updates, self._release(self.clock())])
        self.workbook.write(final)
        self._released = True
