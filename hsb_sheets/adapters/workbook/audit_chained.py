"""A register whose Audit log rows are chained as they are written, whichever code writes them.

bootstrap wraps the register itself (inside the local journal, so the journal's own Audit log lines
are chained too) in :class:`AuditChained`; every write passes through :func:`stamp`, the one place an
Audit log row gets its Sequence and Hash (:mod:`hsb_sheets.domain.audit_chain`). A row that already
carries a hash (one the journal puts back after a stale save lost it) is written as it was.
A register whose Audit log has no Sequence and Hash columns yet (made by an earlier version, before
``hsb-sheets setup`` added them) is written to as before.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import AbstractContextManager
from typing import Any

from hsb_sheets.adapters.workbook.base import Append, HeldOpen, Table, Workbook, WriteBatch
from hsb_sheets.domain import audit_chain
from hsb_sheets.domain.layout import Layout
from hsb_sheets.domain.tabs import AUDIT_LOG, AuditLogTab, TabSpec


def _unstamped(append: Append) -> bool:
    return append.tab == AUDIT_LOG and not append.values.get(AuditLogTab.HASH, "").strip()


def stamp(register: Workbook, batch: WriteBatch) -> WriteBatch:
    """The batch with each new Audit log row chained after the tab's last one (read from ``register``)."""
    if not any(_unstamped(a) for a in batch.appends):
        return batch
    table = register.read([AUDIT_LOG])[AUDIT_LOG]
    if any(column not in table.header for column in audit_chain.CHAIN_COLUMNS):
        return batch
    new = [dict(a.values) for a in batch.appends if _unstamped(a)]
    chained: Iterator[dict[str, str]] = iter(audit_chain.extend(audit_chain.tail_of(table.records()), new)[0])
    appends = [Append(a.tab, next(chained)) if _unstamped(a) else a for a in batch.appends]
    return WriteBatch(appends, list(batch.updates))


class AuditChained:
    """The register, with every write's Audit log rows stamped by :func:`stamp`."""

    def __init__(self, inner: Workbook) -> None:
        self.inner = inner

    def __getattr__(self, name: str) -> Any:
        return getattr(self.inner, name)  # the register's own attributes (its path, its id)

    def session(self) -> AbstractContextManager[None]:
        """The register's session."""
        return self.inner.session()

    def ensure_tabs(self, specs: Sequence[TabSpec]) -> list[str]:
        """Create missing tabs and header columns."""
        return self.inner.ensure_tabs(specs)

    def apply_layout(self, layout: Layout) -> list[str]:
        """Apply the register's layout."""
        return self.inner.apply_layout(layout)

    def read(self, tabs: Sequence[str]) -> dict[str, Table]:
        """Tabs as the register holds them."""
        return self.inner.read(tabs)

    def read_values(self, tab: str, column: str) -> list[str]:
        """One column's values as stored."""
        return self.inner.read_values(tab, column)

    def held_open(self) -> HeldOpen | None:
        """The desktop program holding the register open, if any."""
        return self.inner.held_open()

    def write(self, batch: WriteBatch) -> None:
        """Write the batch, its new Audit log rows chained (in one session, so the tail cannot move)."""
        if not any(_unstamped(a) for a in batch.appends):
            self.inner.write(batch)
            return
        with self.inner.session():
            self.inner.write(stamp(self.inner, batch))


def unchained(register: Workbook) -> Workbook:
    """The register inside an :class:`AuditChained` (for the lease, which writes no Audit log rows)."""
    return register.inner if isinstance(register, AuditChained) else register
