"""An in-memory register for unit tests: it records outcomes rather than calls."""

from __future__ import annotations

import copy
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager

from hsb_sheets.adapters.workbook.base import HeldOpen, RegisterHeldOpen, Table, WriteBatch
from hsb_sheets.adapters.workbook.plan import apply_plan, plan_writes
from hsb_sheets.domain.layout import Layout
from hsb_sheets.domain.tabs import TabSpec
from hsb_sheets.errors import WorkbookError


class MemoryWorkbook:
    """Tabs held in a dict; reads return copies so callers cannot change the store by accident."""

    def __init__(self) -> None:
        self.tables: dict[str, Table] = {}
        self.writes = 0
        self.layout: Layout | None = None
        self.held: HeldOpen | None = None  # set it to play a desktop program holding the register open
        self._lock = threading.RLock()

    @contextmanager
    def session(self) -> Iterator[None]:
        """Exclusive use for one run."""
        with self._lock:
            yield

    def ensure_tabs(self, specs: Sequence[TabSpec]) -> list[str]:
        """Create missing tabs and header columns."""
        with self._lock:
            return _ensure(self.tables, specs)

    def apply_layout(self, layout: Layout) -> list[str]:
        """Remember the layout (an in-memory register has nothing to draw)."""
        if self.layout == layout:
            return []
        self.layout = layout
        return [f"applied {len(layout.dropdowns)} dropdowns and {len(layout.highlights)} highlights"]

    def read(self, tabs: Sequence[str]) -> dict[str, Table]:
        """Copies of the named tabs."""
        with self._lock:
            missing = [t for t in tabs if t not in self.tables]
            if missing:
                raise WorkbookError(f"The register has no '{missing[0]}' tab. Run 'hsb-sheets setup'.")
            return {t: copy.deepcopy(self.tables[t]) for t in tabs}

    def read_values(self, tab: str, column: str) -> list[str]:
        """The column's cells as held (an in-memory register has no number formats)."""
        return self.read([tab])[tab].column(column)

    def held_open(self) -> HeldOpen | None:
        """What ``held`` says: a desktop program holding the register open, or None."""
        return self.held

    def write(self, batch: WriteBatch) -> None:
        """Apply a batch to a copy, then swap it in: all or nothing (nothing while ``held``)."""
        with self._lock:
            if self.held is not None and batch:
                raise RegisterHeldOpen("The register", self.held)
            plans = plan_writes(self.tables, batch)  # checks the whole batch before anything changes
            staged = copy.deepcopy(self.tables)
            apply_plan(staged, plans)
            self.tables = staged
            self.writes += 1


def _ensure(tables: dict[str, Table], specs: Sequence[TabSpec]) -> list[str]:
    """Create missing tabs and append missing columns to headers; return what changed."""
    changes = []
    for spec in specs:
        table = tables.get(spec.name)
        if table is None:
            tables[spec.name] = Table(spec.name, list(spec.header), [])
            changes.append(f"created tab '{spec.name}'")
            continue
        for column in spec.header:
            if column not in table.header:
                table.header.append(column)
                for row in table.rows:
                    row.append("")
                changes.append(f"added column '{column}' to '{spec.name}'")
    return changes
