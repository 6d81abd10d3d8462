"""The lease port: a run holds the lease, so two workers, or a worker and a manual run, never
interleave. A crashed run's lease expires (a file lock dies with its process; a lease row has an
expiry), and the next run heals its work because every job is idempotent."""

from __future__ import annotations

from contextlib import AbstractContextManager
from typing import Protocol, runtime_checkable

from hsb_sheets.adapters.workbook.base import WriteBatch
from hsb_sheets.errors import HsbError


class LeaseBusy(HsbError):
    """Another run holds the lease."""


class Lease(Protocol):
    """Implementations: ``file`` (local), ``workbook`` (a lease row in the register, for Google)."""

    def hold(self) -> AbstractContextManager[None]:
        """Hold the lease for a run; LeaseBusy if another run holds it."""
        ...


@runtime_checkable
class Finishing(Protocol):
    """A lease kept in the register, which can be released in the run's last write (one request less)."""

    def finish(self, batch: WriteBatch) -> None:
        """Write ``batch`` and release the lease with it."""
        ...
