"""A run lease as a row with an expiry in the register (for Google, where no file is shared).

Acquire: read the Lease tab; if another holder's lease has not expired, give up; otherwise take the
lease row (reused, so the tab stays one row long), then read again to confirm we won: two runs
writing at once cannot both see themselves as the first unexpired holder. Release: expire our row.
A crashed run's lease simply expires.

Times are written as ISO 8601 in UTC with the offset, and compared as times, never as text: a
spreadsheet may show them in its own locale, and a person may type over them. An expiry that cannot
be read as a time, or that lies further ahead than any lease lasts, cannot be from a live run: it
is treated as expired (with a log line), so it never blocks the jobs for ever.
"""

from __future__ import annotations

import contextlib
import logging
import os
import socket
import uuid
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta

from hsb_sheets.adapters.lease.base import LeaseBusy
from hsb_sheets.adapters.workbook.base import Append, Update, Workbook, WriteBatch
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

    def _expire(self, now: datetime) -> None:
        """Let go of our row; if another run has since overwritten it, there is nothing to release."""
        with contextlib.suppress(WorkbookError):
            self.workbook.write(
                WriteBatch(
                    updates=[Update(LEASE, LeaseTab.HOLDER, self.holder, {LeaseTab.EXPIRES: written(now)})]
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
            holder, until = live[0]
            raise LeaseBusy(
                f"Another run ({holder}) holds the lease until {until.strftime(SHOWN)} UTC; "
                "this one did nothing."
            )
        values: dict[str, str] = {
            LeaseTab.HOLDER: self.holder,
            LeaseTab.TAKEN: written(now),
            LeaseTab.EXPIRES: written(now + self.ttl),
        }
        if rows:  # one row, reused, so the tab never grows
            batch = WriteBatch(updates=[Update(LEASE, LeaseTab.HOLDER, rows[0][LeaseTab.HOLDER], values)])
        else:
            batch = WriteBatch(appends=[Append(LEASE, values)])
        self.workbook.write(batch)
        winner = self._live(self._rows(), now)
        if not winner or winner[0][0] != self.holder:
            self._expire(now)  # lost a race with another run taking it at the same moment
            raise LeaseBusy("Another run took the lease at the same moment; this one did nothing.")
        try:
            yield
        finally:
            self._expire(self.clock())
