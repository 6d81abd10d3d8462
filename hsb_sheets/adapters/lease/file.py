"""A run lease as an exclusive file lock (the operating system frees it if the process dies)."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from pathlib import Path

from filelock import FileLock, Timeout

from hsb_sheets.adapters.lease.base import LeaseBusy


class FileLease:
    """Held while ``hold()`` is open; a second holder waits up to ``wait`` seconds, then gives up."""

    def __init__(self, path: Path, wait: float = 0.0) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self.path = path
        self._lock = FileLock(str(path), timeout=wait)

    @contextlib.contextmanager
    def hold(self) -> Iterator[None]:
        """Hold the lock for the run."""
        try:
            self._lock.acquire()
        except Timeout:
            raise LeaseBusy(
                "Another run of the jobs is in progress; this one did nothing. Try again later."
            ) from None
        try:
            yield
        finally:
            self._lock.release()
