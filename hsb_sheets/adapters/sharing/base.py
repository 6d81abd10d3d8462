"""The sharing port: how the register is shared, as findings a person can act on.

Implementations: ``google`` (the Drive API's permissions of the register's file) and ``local`` (the
file modes of the register, its journal, key files and the outbox). What counts as a problem is
decided in :mod:`hsb_sheets.domain.sharing`; an adapter only gathers the facts.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from typing import Protocol

from hsb_sheets.domain.sharing import Finding
from hsb_sheets.errors import SharingError

__all__ = ["Remembered", "Sharing", "SharingError"]


class Sharing(Protocol):
    """Who can open the register."""

    def findings(self, secure_domains: Sequence[str]) -> list[Finding]:
        """Every finding about the register's sharing, errors first.

        ``secure_domains`` (the Settings tab's) are the domains whose people may hold a share.
        SharingError if the sharing cannot be read; its message says how to let the service read it.
        """
        ...


class Remembered:
    """A sharing adapter whose answer is kept for ``max_age`` seconds: a morning's digests (one per
    coordinator) ask Drive once, and a long-running worker still sees a fix within minutes."""

    def __init__(
        self, inner: Sharing, max_age: float = 300.0, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.inner = inner
        self.max_age = max_age
        self.clock = clock
        self._kept: tuple[float, tuple[str, ...], list[Finding]] | None = None

    def findings(self, secure_domains: Sequence[str]) -> list[Finding]:
        """The inner adapter's findings, asked again once they are older than ``max_age``."""
        now, domains = self.clock(), tuple(secure_domains)
        if self._kept is None or now - self._kept[0] > self.max_age or self._kept[1] != domains:
            self._kept = (now, domains, self.inner.findings(domains))
        return list(self._kept[2])
