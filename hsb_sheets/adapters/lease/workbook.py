"""A run lease as a row with an expiry in the register (for Google, where no file is shared).

Acquire: read the Lease tab; if another holder's lease has not expired, give up; otherwise take the
lease row (reused, so the tab stays one row long), then read again to confirm we won: two runs
writing at once cannot both see themselves as the first unexpired holder. Release: expire our row.
A crashed run's lease simply expires.
"""

from __future__ import annotations

import contextlib
import os
import socket
import uuid
from collections.abc import Callable, Iterator
from datetime import datetime, timedelta

from hsb_sheets.adapters.lease.base import LeaseBusy
from hsb_sheets.adapters.workbook.base import Append, Update, Workbook, WriteBatch
from hsb_sheets.domain.tabs import LEASE, LeaseTab
from hsb_sheets.errors import WorkbookError

FORMAT = "%Y-%m-%d %H:%M:%S"


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

    def _rows(self) -> list[dict[str, str]]:
        return [r for r in self.workbook.read([LEASE])[LEASE].records() if r.get(LeaseTab.HOLDER)]

    @staticmethod
    def _live(rows: list[dict[str, str]], now: datetime) -> list[dict[str, str]]:
        return [r for r in rows if r.get(LeaseTab.EXPIRES, "") > now.strftime(FORMAT)]

    def _expire(self, now: datetime) -> None:
        """Let go of our row; if another run has since overwritten it, there is nothing to release."""
        with contextlib.suppress(WorkbookError):
            self.workbook.write(
                WriteBatch(
                    updates=[
                        Update(LEASE, LeaseTab.HOLDER, self.holder, {LeaseTab.EXPIRES: now.strftime(FORMAT)})
                    ]
                )
            )

    @contextlib.contextmanager
    def hold(self) -> Iterator[None]:
        """Take the lease for ``ttl`` (reusing the lease row), confirm it, run, then release it."""
        now = self.clock()
        self.holder = f"{self.process}:{uuid.uuid4().hex[:8]}"  # one token per acquisition
        rows = self._rows()
        live = self._live(rows, now)
        if live:
            holder, until = live[0][LeaseTab.HOLDER], live[0][LeaseTab.EXPIRES]
            raise LeaseBusy(
                f"Another run ({holder}) holds the lease until {until} UTC; this one did nothing."
            )
        values: dict[str, str] = {
            LeaseTab.HOLDER: self.holder,
            LeaseTab.TAKEN: now.strftime(FORMAT),
            LeaseTab.EXPIRES: (now + self.ttl).strftime(FORMAT),
        }
        if rows:  # one row, reused, so the tab never grows
            batch = WriteBatch(updates=[Update(LEASE, LeaseTab.HOLDER, rows[0][LeaseTab.HOLDER], values)])
        else:
            batch = WriteBatch(appends=[Append(LEASE, values)])
        self.workbook.write(batch)
        winner = self._live(self._rows(), now)
        if not winner or winner[0][LeaseTab.HOLDER] != self.holder:
            self._expire(now)  # lost a race with another run taking it at the same moment
            raise LeaseBusy("Another run took the lease at the same moment; this one did nothing.")
        try:
            yield
        finally:
            self._expire(self.clock())
