"""A run lease as a row with an expiry in the register (for Google, where no file is shared).

On a register that can *claim* (Google: :meth:`SheetsWorkbook.claim`), taking the lease is one
request: a claim row goes in first under the header, atomically, and the answer shows every claim
made before it; the run has the lease when none of those is still live, and otherwise expires its
own claim and gives up. The lease holds the register's session for the whole run, so the run reads
the register once; :meth:`WorkbookLease.finish` releases the lease in the run's last write.

Elsewhere (a register that cannot claim): read the Lease tab; if another holder's lease has not
expired, give up; otherwise take the lease row (reused, so the tab stays one row long), then read
again to confirm we won: two runs writing at once cannot both see themselves as the first unexpired
holder. Release: expire our row. A crashed run's lease simply expires.

Times are written as ISO 8601 in UTC with the offset, and compared as times, never as text: a
spreadsheet may show them in its own locale, and a person may type over them. An expiry that cannot
be read as a time, or that lies further ahead than any lease lasts, cannot be from a live run: it
is treated as expired (with a log line), so it never blocks the jobs for ever. Both ways of taking
the lease read expiries so.
"""

from __future__ import annotations

import contextlib
import logging
import os
import socket
import uuid
from collections.abc import Callable, Iterator, Mapping
from datetime import UTC, datetime, timedelta
from typing import Protocol, runtime_checkable

from hsb_sheets.adapters.lease.base import LeaseBusy
from hsb_sheets.adapters.workbook.base import Append, Table, Update, Workbook, WriteBatch
from hsb_sheets.domain.dates import DateFormatError, parse_timestamp
from hsb_sheets.domain.tabs import LEASE, LeaseTab
from hsb_sheets.errors import WorkbookError
from hsb_sheets.logs import log

SHOWN = "%Y-%m-%d %H:%M:%S"  # how a holder's expiry is shown in the "busy" message (UTC)
MARGIN = timedelta(minutes=5)  # clock skew between two machines an expiry may be ahead by


def written(moment: datetime) -> str:
    """A time as the lease row holds it: ISO 8601 in UTC with its offset (2026-03-12T10:20:00+00:00)."""
    return _utc(moment).isoformat(timespec="seconds")


def read_time(text: str) -> datetime | None:
    """A lease time as an aware UTC time: ISO 8601 (a time without an offset is UTC), or as a
    spreadsheet shows one (12/03/2026 10:20:00, a serial number); None if it is not a time."""
    value = text.strip()
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        try:
            parsed = parse_timestamp(value)
        except DateFormatError:
            return None
    return _utc(parsed)


def _utc(moment: datetime) -> datetime:
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


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

    def _live(self, rows: list[dict[str, str]], now: datetime) -> list[tuple[str, datetime]]:
        """The holders whose lease has not expired, with their expiry (UTC)."""
        live: list[tuple[str, datetime]] = []
        for row in rows:
            holder, expires = row[LeaseTab.HOLDER], read_time(row.get(LeaseTab.EXPIRES, ""))
            if expires is None:
                log(
                    "lease expiry is not a time; treated as expired",
                    logging.WARNING,
                    holder=holder,
                    tab=LEASE,
                    column=str(LeaseTab.EXPIRES),
                )
            elif expires > _utc(now) + self.ttl + MARGIN:
                log(
                    "lease expiry is further ahead than a lease lasts; treated as stale",
                    logging.WARNING,
                    holder=holder,
                    expires=written(expires),
                )
            elif expires > _utc(now):
                live.append((holder, expires))
        return live

    def _release(self, now: datetime) -> Update:
        return Update(LEASE, LeaseTab.HOLDER, self.holder, {LeaseTab.EXPIRES: written(now)})

    def _expire(self, now: datetime) -> None:
        """Let go of our row; if another run has since overwritten it, there is nothing to release."""
        self._released = True
        with contextlib.suppress(WorkbookError):
            self.workbook.write(WriteBatch(updates=[self._release(now)]))

    @staticmethod
    def _busy(live: list[tuple[str, datetime]]) -> LeaseBusy:
        holder, until = live[0]
        return LeaseBusy(
            f"Another run ({holder}) holds the lease until {until.strftime(SHOWN)} UTC; this one did nothing."
        )

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
        if not winner or winner[0][0] != self.holder:
            self._expire(now)  # lost a race with another run taking it at the same moment
            raise LeaseBusy("Another run took the lease at the same moment; this one did nothing.")

    @contextlib.contextmanager
    def hold(self) -> Iterator[None]:
        """Take the lease for ``ttl`` and confirm it, run (in one register session), then release it."""
        now = self.clock()
        self.holder = f"{self.process}:{uuid.uuid4().hex[:8]}"  # one token per acquisition
        values: dict[str, str] = {
            LeaseTab.HOLDER: self.holder,
            LeaseTab.TAKEN: written(now),
            LeaseTab.EXPIRES: written(now + self.ttl),
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
