"""A run lease as a row with an expiry in the register (for Google, where no file is shared).

Acquire: read the Lease tab; if another holder's lease has not expired, give up; otherwise write
our row, then read again to confirm we won (two workers writing at once both see both rows, and the
first unexpired row in the tab wins; the loser expires its own row). Release: expire our row. A
crashed run's lease simply expires.
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
from hsb_sheets.domain.tabs import LEASE

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

    def _live(self, now: datetime) -> list[dict[str, str]]:
        rows = self.workbook.read([LEASE])[LEASE].records()
        return [r for r in rows if r.get("Holder") and r.get("Expires", "") > now.strftime(FORMAT)]

    def _expire(self, now: datetime) -> None:
        self.workbook.write(
            WriteBatch(updates=[Update(LEASE, "Holder", self.holder, {"Expires": now.strftime(FORMAT)})])
        )

    @contextlib.contextmanager
    def hold(self) -> Iterator[None]:
        """Take the lease for ``ttl``, confirm it, run, then release it."""
        now = self.clock()
        self.holder = f"{self.process}:{uuid.uuid4().hex[:8]}"  # one row per acquisition
        live = self._live(now)
        if live:
            raise LeaseBusy(
                f"Another run ({live[0]['Holder']}) holds the lease until {live[0]['Expires']} UTC; "
                "this one did nothing."
            )
        expires = (now + self.ttl).strftime(FORMAT)
        self.workbook.write(
            WriteBatch(
                appends=[
                    Append(LEASE, {"Holder": self.holder, "Taken": now.strftime(FORMAT), "Expires": expires})
                ]
            )
        )
        winner = self._live(now)
        if not winner or winner[0]["Holder"] != self.holder:
            self._expire(now)
            raise LeaseBusy("Another run took the lease at the same moment; this one did nothing.")
        try:
            yield
        finally:
            self._expire(self.clock())
