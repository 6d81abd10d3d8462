"""The local register with a memory: every row the jobs write is remembered in the journal.

Excel and LibreOffice ignore the jobs' lock, and a stale copy of the register saved over it silently
undoes what the jobs wrote. :class:`JournaledWorkbook` wraps the register so the jobs need not care:

- ``write`` remembers, per tab and key, the row each append or update leaves (the values of every
  column the jobs saw); while a desktop program holds the register open, the batch is queued in the
  journal instead and the job goes on (its emails and invites are sent on time).
- ``read`` first brings the register up to date: queued batches are applied in order (an update
  whose row has gone restores that row first), then the tabs read are **reconciled**: a remembered
  row missing from the register is appended back (with the coordinators' cells as last seen), and
  the system-owned cells of a remembered row that differ from what the jobs last wrote are put
  back. Coordinator-owned (and shared) cells of a row that is there are never touched. Each
  restoration is one Audit log line, without personal data. While the register is held open (or
  in a preview, for dry runs), nothing is written and the tables returned are the register's with
  the queued writes and remembered rows laid over them, so a run sees its own work.

Rows are remembered by their tab's key (:data:`KEYS`); Audit log lines, which have none, by a digest
of their content and its occurrence. Rows coordinators create (Interventions, keyed by coordinator
columns) are remembered for their system cells but never re-created: a missing one was most likely
deleted or re-keyed on purpose. "Form responses 1" is the web form's, restored from the journal's
submissions by intake (:mod:`hsb_sheets.services.submissions`).
"""

from __future__ import annotations

import contextlib
import copy
import hashlib
import logging
import re
from collections import Counter
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from zoneinfo import ZoneInfo

from hsb_sheets.adapters.journal.base import Journal, QueuedWrite, SystemRow
from hsb_sheets.adapters.workbook.base import (
    Append,
    HeldOpen,
    Key,
    RegisterHeldOpen,
    Table,
    Update,
    Workbook,
    WriteBatch,
)
from hsb_sheets.adapters.workbook.plan import apply_plan, plan_writes, row_key
from hsb_sheets.domain.layout import Layout
from hsb_sheets.domain.register_rows import format_time
from hsb_sheets.domain.tabs import (
    AUDIT_LOG,
    CASE_ID,
    FORM_RESPONSES,
    INTERVENTION_KEY,
    INTERVENTIONS,
    REFERRALS,
    RESPONSE_ID,
    AuditLogTab,
    TabSpec,
)
from hsb_sheets.errors import WorkbookError
from hsb_sheets.logs import log

JOB = "register"
LOST = "restored after the register lost it: a stale copy was saved over it"
KEYS: dict[str, Key] = {INTERVENTIONS: INTERVENTION_KEY}  # tabs whose key is not the spec's own
_CASE_NUMBER = re.compile(r"HSB-(\d{4})-(\d{4,})")


@dataclass(frozen=True)
class TabRule:
    """How a tab's rows are remembered: by ``key`` (None: by content, the Audit log) and whether
    a missing row is re-created (only rows the jobs create, whose key columns are the system's)."""

    spec: TabSpec
    key: Key | None
    restores: bool
    system: frozenset[str] = frozenset()

    def is_system(self, column: str) -> bool:
        """Whether a column is the jobs' alone (shared and unknown columns are not)."""
        return column in self.system


def tab_rules(specs: Sequence[TabSpec]) -> dict[str, TabRule]:
    """The tabs a journaled register remembers: those with system columns and a key (or the Audit log)."""
    rules = {}
    for spec in specs:
        if spec.name == FORM_RESPONSES or not spec.system:
            continue
        system = frozenset(str(c) for c in spec.system)
        if spec.name == AUDIT_LOG:
            rules[spec.name] = TabRule(spec, None, True, system)
            continue
        key = KEYS.get(spec.name, spec.key)
        if key is None:
            continue
        columns = (key,) if isinstance(key, str) else key
        rules[spec.name] = TabRule(spec, key, all(c in system for c in columns), system)
    return rules


def _key_text(key: Key) -> str:
    return key.strip() if isinstance(key, str) else "\x1f".join(part.strip() for part in key)


def _key_of(key_column: Key, values: Mapping[str, str]) -> str:
    if isinstance(key_column, str):
        return values.get(key_column, "").strip()
    parts = [values.get(c, "").strip() for c in key_column]
    return "\x1f".join(parts) if any(parts) else ""


def _key_value(key_column: Key, values: Mapping[str, str]) -> Key:
    if isinstance(key_column, str):
        return values.get(key_column, "").strip()
    return tuple(values.get(c, "").strip() for c in key_column)


def content_id(spec: TabSpec, values: Mapping[str, str]) -> str:
    """A line's identity by content (its tab's columns, in order): for tabs without a key."""
    text = "\x1f".join(values.get(c, "").strip() for c in spec.header)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:20]


@dataclass
class _Repair:
    """What bringing some tabs up to date writes: rows back, cells back, and lines telling of it."""

    batch: WriteBatch = field(default_factory=WriteBatch)
    told: list[Append] = field(default_factory=list)  # Audit log lines about the restorations
    seen: list[SystemRow] = field(default_factory=list)  # coordinators' cells as now seen


class _Recall:
    """The journal's remembered rows and queued writes, read once per session of the register (while
    the register's lock is held, only this object changes them). Callers never change what it gives."""

    def __init__(self, journal: Journal) -> None:
        self.journal = journal
        self.depth = 0
        self._rows: dict[str, dict[str, dict[str, str]]] = {}
        self._queue: list[QueuedWrite] | None = None

    def forget(self) -> None:
        self._rows, self._queue = {}, None

    def rows(self, tab: str) -> dict[str, dict[str, str]]:
        if tab in self._rows:
            return self._rows[tab]
        rows = self.journal.remembered_rows(tab)
        if self.depth:
            self._rows[tab] = rows
        return rows

    def remember(self, rows: Sequence[SystemRow]) -> None:
        if not rows:
            return
        self.journal.remember_rows(rows)
        for row in rows:
            if row.tab in self._rows:
                self._rows[row.tab][row.key] = dict(row.values)

    def queued(self) -> list[QueuedWrite]:
        if self._queue is not None:
            return self._queue
        queue = self.journal.queued_writes()
        if self.depth:
            self._queue = queue
        return queue

    def queue(self, batch: WriteBatch, when: datetime) -> None:
        self.journal.queue_write(batch, when)
        self._queue = None

    def clear(self, write_id: int) -> None:
        self.journal.clear_writes([write_id])
        self._queue = None


class _Staged:
    """Tables held in memory, loaded from the register on first use; writes change only them."""

    def __init__(self, inner: Workbook) -> None:
        self.inner = inner
        self.tables: dict[str, Table] = {}

    def read(self, tabs: Sequence[str]) -> dict[str, Table]:
        missing = [t for t in dict.fromkeys(tabs) if t not in self.tables]
        if missing:
            self.tables.update(self.inner.read(missing))
        return {t: self.tables[t] for t in tabs}

    def write(self, batch: WriteBatch) -> None:
        tables = self.read(sorted(_tabs_of(batch)))
        apply_plan(self.tables, plan_writes(tables, batch))


def _tabs_of(batch: WriteBatch) -> set[str]:
    return {a.tab for a in batch.appends} | {u.tab for u in batch.updates}


class JournaledWorkbook:
    """A Workbook that remembers what the jobs wrote and restores what the register lost."""

    def __init__(
        self,
        inner: Workbook,
        journal: Journal,
        specs: Sequence[TabSpec],
        clock: Callable[[], datetime],
        timezone: ZoneInfo,
    ) -> None:
        self.inner = inner
        self.journal = journal
        self.rules = tab_rules(specs)
        self._recall = _Recall(journal)
        self._clock = clock
        self._timezone = timezone
        self._previewing = 0
        self._told_held = False

    # -- passed through -----------------------------------------------------------------------

    @contextlib.contextmanager
    def session(self) -> Iterator[None]:
        """The register's own session (its lock); what the journal holds is read once in it."""
        with self.inner.session():
            self._recall.depth += 1
            try:
                yield
            finally:
                self._recall.depth -= 1
                if not self._recall.depth:
                    self._recall.forget()

    def ensure_tabs(self, specs: Sequence[TabSpec]) -> list[str]:
        """Create missing tabs and header columns in the register."""
        return self.inner.ensure_tabs(specs)

    def apply_layout(self, layout: Layout) -> list[str]:
        """Apply dropdowns, highlights and protections to the register."""
        return self.inner.apply_layout(layout)

    def held_open(self) -> HeldOpen | None:
        """The desktop program holding the register open, if any."""
        return self.inner.held_open()

    @contextlib.contextmanager
    def preview(self) -> Iterator[None]:
        """While inside, reads write nothing (no catching up, no restoring): for dry runs."""
        self._previewing += 1
        try:
            yield
        finally:
            self._previewing -= 1

    # -- reads --------------------------------------------------------------------------------

    def read(self, tabs: Sequence[str]) -> dict[str, Table]:
        """The tabs, once the register holds everything the jobs wrote (or as if it did)."""
        with self.session():
            if not self._previewing and self._held() is None:
                try:
                    self._catch_up()
                    return self._view(tabs, restore=True)
                except RegisterHeldOpen as refused:  # a program opened it this moment
                    self._note_held(refused.held)
            return self._view(tabs, restore=False)

    def _held(self) -> HeldOpen | None:
        held = self.inner.held_open()
        if held is None:
            self._told_held = False
        else:
            self._note_held(held)
        return held

    def _note_held(self, held: HeldOpen) -> None:
        if not self._told_held:
            log(
                "the register is open in a desktop program: the jobs' writes wait in the journal "
                "and are made once it is closed",
                logging.WARNING,
                program=held.program,
                lock_file=held.lock_file,
            )
            self._told_held = True

    def _catch_up(self) -> None:
        """Apply the queued writes in order, each cleared from the journal once it is in the register."""
        for queued in self._recall.queued():
            staged = _Staged(self.inner)
            batch, told = self._resolve(queued.batch, staged)
            self._write_told(batch, told)
            self._recall.clear(queued.id)

    def _write_told(self, batch: WriteBatch, told: list[Append]) -> None:
        """Write a batch and the Audit log lines about it; remember those lines."""
        if not batch and not told:
            return
        self.inner.write(WriteBatch([*batch.appends, *told], list(batch.updates)))
        if told:
            self._recall.remember(self._rows_to_remember(WriteBatch(appends=told), {}))

    def _view(self, tabs: Sequence[str], restore: bool) -> dict[str, Table]:
        """The tabs as read, with what they lost put back: in the register too if ``restore``, else
        only in what is returned, after the queued writes (the register is held open, or a preview).

        What is returned is the register as read with the repairs made in memory, not read again:
        a stale copy saved this very moment must not hide the jobs' work from the job.
        """
        staged = _Staged(self.inner)
        staged.read(tabs)
        wanted = set(tabs)
        for queued in () if restore else self._recall.queued():
            part = WriteBatch(
                [a for a in queued.batch.appends if a.tab in wanted],
                [u for u in queued.batch.updates if u.tab in wanted],
            )
            batch, _ = self._resolve(part, staged)
            if batch:
                staged.write(batch)
        repair = self._repairs(tabs, staged)
        if restore:
            self._write_told(repair.batch, repair.told)
            self._recall.remember(repair.seen)
            if AUDIT_LOG in wanted:
                repair.batch.appends.extend(repair.told)
        if repair.batch:
            staged.write(repair.batch)
        return {t: copy.deepcopy(staged.tables[t]) for t in tabs}

    # -- writes -------------------------------------------------------------------------------

    def write(self, batch: WriteBatch) -> None:
        """Write the batch and remember its rows; while the register is held open, queue it instead."""
        if not batch:
            return
        with self.session():
            tabs = sorted({u.tab for u in batch.updates if u.tab in self.rules})
            current = self._current(tabs)
            rows = self._rows_to_remember(batch, current)
            try:
                self.inner.write(batch)
            except RegisterHeldOpen as refused:
                self._note_held(refused.held)
                self._recall.queue(batch, self._clock())
            except WorkbookError:  # perhaps a row it updates was lost since the job read it
                restored, told = self._resolve(batch, _Staged(self.inner), queued=False)
                if not told:
                    raise
                self._write_told(restored, told)
            self._recall.remember(rows)
            self._note_case_numbers(batch)

    def _current(self, tabs: Sequence[str]) -> dict[str, Table]:
        if not tabs:
            return {}
        if self._previewing or self.inner.held_open() is not None:
            return self._view(tabs, restore=False)
        return self.inner.read(tabs)

    def _rows_to_remember(self, batch: WriteBatch, current: Mapping[str, Table]) -> list[SystemRow]:
        """The rows a batch leaves, in full as far as the jobs know them, by tab and key."""
        rows: dict[tuple[str, str], dict[str, str]] = {}
        memory: dict[str, dict[str, dict[str, str]]] = {}

        def remembered(tab: str) -> dict[str, dict[str, str]]:
            if tab not in memory:
                memory[tab] = self._recall.rows(tab)
            return memory[tab]

        occurrences: Counter[str] = Counter()
        for append in batch.appends:
            rule = self.rules.get(append.tab)
            if rule is None:
                continue
            if rule.key is None:
                if append.tab not in memory:  # count the lines already remembered, once
                    occurrences.update(k.rpartition("-")[0] for k in remembered(append.tab))
                digest = content_id(rule.spec, append.values)
                occurrences[digest] += 1
                rows[(append.tab, f"{digest}-{occurrences[digest]}")] = dict(append.values)
            elif key := _key_of(rule.key, append.values):
                base = rows.get((append.tab, key)) or remembered(append.tab).get(key, {})
                rows[(append.tab, key)] = {**base, **append.values}
        for update in batch.updates:
            rule = self.rules.get(update.tab)
            if rule is None or rule.key is None or update.key_column != rule.key:
                continue
            key = _key_text(update.key)
            base = rows.get((update.tab, key)) or _row_of(current.get(update.tab), rule.key, key)
            base = base or remembered(update.tab).get(key) or _key_columns(rule.key, update.key)
            rows[(update.tab, key)] = {**base, **update.values}
        return [SystemRow(tab, key, values) for (tab, key), values in rows.items() if key]

    def _note_case_numbers(self, batch: WriteBatch) -> None:
        """Record the highest new case number of each year as given, so none is ever given again."""
        highest: dict[int, int] = {}
        for append in batch.appends:
            match = _CASE_NUMBER.fullmatch(append.values.get(CASE_ID, "").strip())
            if append.tab == REFERRALS and match:
                highest[int(match[1])] = max(highest.get(int(match[1]), 0), int(match[2]))
        for year, number in highest.items():
            if self.journal.highest_case_number(year) < number:
                self.journal.next_case_number(year, number - 1)  # gives exactly this number

    # -- resolving queued writes and restoring lost rows --------------------------------------

    def _resolve(
        self, batch: WriteBatch, staged: _Staged, queued: bool = True
    ) -> tuple[WriteBatch, list[Append]]:
        """A batch as it can be applied now, with the Audit log lines of the rows it restores.

        An update whose row has gone restores the row from the journal (with the update's values).
        For a queued batch, appends already in the register (a run stopped after writing, before
        clearing the queue) are left out, and so is an update of a row the jobs did not create.
        """
        tables = staged.read(sorted(_tabs_of(batch)))
        result, told = WriteBatch(), []
        keys: dict[tuple[str, Key], set[Key]] = {}
        contents: dict[tuple[str, tuple[str, ...]], Counter[tuple[str, ...]]] = {}
        for append in batch.appends if queued else ():
            table, rule = tables[append.tab], self.rules.get(append.tab)
            if rule is not None and rule.key is not None:
                present = _keys(keys, table, rule.key)
                if (value := _key_value(rule.key, append.values)) in present:
                    continue
                present.add(value)
            else:
                columns = tuple(c for c in append.values if c in table.header)
                there = _contents(contents, table, columns)
                line = tuple(append.values[c].strip() for c in columns)
                if there[line] > 0:
                    there[line] -= 1
                    continue
            result.appends.append(append)
        if not queued:
            result.appends.extend(batch.appends)
        for update in batch.updates:
            value = (
                update.key.strip() if isinstance(update.key, str) else tuple(p.strip() for p in update.key)
            )
            present = _keys(keys, tables[update.tab], update.key_column)
            if value in present or not _key_text(update.key):
                result.updates.append(update)
                continue
            rule = self.rules.get(update.tab)
            lost = self._recall.rows(update.tab).get(_key_text(update.key)) if rule else None
            if rule is not None and rule.restores and rule.key == update.key_column and lost:
                result.appends.append(
                    Append(update.tab, _within(tables[update.tab], {**lost, **update.values}))
                )
                told.append(self._told(update.tab, lost))
                present.add(value)
            elif not queued:
                result.updates.append(update)  # the write will say what is wrong with it
        return result, told

    def _repairs(self, tabs: Sequence[str], staged: _Staged) -> _Repair:
        """What puts back the remembered rows and system cells these tabs lost."""
        repair = _Repair()
        for tab in dict.fromkeys(tabs):
            rule = self.rules.get(tab)
            if rule is None:
                continue
            table = staged.read([tab])[tab]
            remembered = self._recall.rows(tab)
            if rule.key is None:
                self._lost_lines(rule, table, remembered, repair)
            else:
                self._lost_rows(rule, rule.key, table, remembered, repair)
        return repair

    def _lost_lines(
        self, rule: TabRule, table: Table, remembered: dict[str, dict[str, str]], repair: _Repair
    ) -> None:
        """Audit log lines: as many of each content as were written, however the tab was sorted."""
        there = Counter(content_id(rule.spec, record) for record in table.records())
        lost = 0
        for key, values in remembered.items():
            digest = key.rpartition("-")[0]
            if there[digest] > 0:
                there[digest] -= 1
                continue
            repair.batch.appends.append(Append(table.name, _within(table, values)))
            lost += 1
        if lost:
            repair.told.append(
                self._line("lines restored", detail=f"{lost} {table.name} line(s) {_plural(LOST, lost)}")
            )

    def _lost_rows(
        self,
        rule: TabRule,
        key_column: Key,
        table: Table,
        remembered: dict[str, dict[str, str]],
        repair: _Repair,
    ) -> None:
        """Keyed rows: missing ones back (if the jobs made them), the jobs' cells back on the others."""
        key_of = row_key(table, key_column)
        found: dict[Key, list[str]] = {}
        repeated: set[Key] = set()
        for line in table.rows:
            value = key_of(line)
            if value in found:
                repeated.add(value)
            found.setdefault(value, line)
        for key, values in remembered.items():
            row = found.get(_key_value(key_column, values))
            if row is None:
                if rule.restores:
                    repair.batch.appends.append(Append(table.name, _within(table, values)))
                    repair.told.append(self._told(table.name, values))
                continue
            if _key_value(key_column, values) in repeated:
                continue  # nobody can tell which row is meant; the jobs' own writes say so
            record = dict(zip(table.header, row, strict=False))
            changed = {
                c: v
                for c, v in values.items()
                if c in record and rule.is_system(c) and record[c].strip() != v.strip()
            }
            if changed:
                repair.batch.updates.append(
                    Update(table.name, key_column, _key_value(key_column, values), changed)
                )
                repair.told.append(self._told(table.name, values, cells=True))
            seen = {c: v for c, v in record.items() if c and not rule.is_system(c)}
            if any(values.get(c, "") != v for c, v in seen.items()):
                repair.seen.append(SystemRow(table.name, key, {**values, **seen}))

    def _told(self, tab: str, values: Mapping[str, str], cells: bool = False) -> Append:
        what = f"{tab} row: the jobs' cells were {LOST}" if cells else f"{tab} row {LOST}"
        return self._line(
            "cells restored" if cells else "row restored",
            case_id=values.get(CASE_ID, ""),
            response_id=values.get(RESPONSE_ID, ""),
            detail=what,
        )

    def _line(self, action: str, case_id: str = "", response_id: str = "", detail: str = "") -> Append:
        """An Audit log line (ids and counts only: never personal data)."""
        now = self._clock().astimezone(self._timezone).replace(tzinfo=None)
        return Append(
            AUDIT_LOG,
            {
                AuditLogTab.TIME: format_time(now),
                AuditLogTab.JOB: JOB,
                AuditLogTab.ACTION: action,
                CASE_ID: case_id,
                RESPONSE_ID: response_id,
                AuditLogTab.RULE_IDS: "",
                AuditLogTab.DETAIL: detail,
            },
        )


def _plural(text: str, count: int) -> str:
    return text if count == 1 else text.replace("lost it", "lost them").replace("over it", "over them")


def _within(table: Table, values: Mapping[str, str]) -> dict[str, str]:
    """A remembered row's values for the columns the tab still has."""
    return {c: v for c, v in values.items() if c in table.header}


def _key_columns(key_column: Key, key: Key) -> dict[str, str]:
    if isinstance(key_column, str) and isinstance(key, str):
        return {key_column: key.strip()}
    return {c: v.strip() for c, v in zip(key_column, key, strict=False)}


def _row_of(table: Table | None, key_column: Key, key: str) -> dict[str, str]:
    if table is None:
        return {}
    key_of = row_key(table, key_column)
    for row in table.rows:
        if _key_text(key_of(row)) == key:
            return dict(zip(table.header, row, strict=False))
    return {}


def _keys(cache: dict[tuple[str, Key], set[Key]], table: Table, key_column: Key) -> set[Key]:
    if (table.name, key_column) not in cache:
        key_of = row_key(table, key_column)
        cache[(table.name, key_column)] = {key_of(row) for row in table.rows}
    return cache[(table.name, key_column)]


def _contents(
    cache: dict[tuple[str, tuple[str, ...]], Counter[tuple[str, ...]]], table: Table, columns: tuple[str, ...]
) -> Counter[tuple[str, ...]]:
    if (table.name, columns) not in cache:
        indexes = [table.index(c) for c in columns]
        cache[(table.name, columns)] = Counter(tuple(row[i].strip() for i in indexes) for row in table.rows)
    return cache[(table.name, columns)]


@contextlib.contextmanager
def previewing(workbook: Workbook, active: bool = True) -> Iterator[None]:
    """Make a journaled register's reads write nothing while inside (any other register: no change)."""
    if active and isinstance(workbook, JournaledWorkbook):
        with workbook.preview():
            yield
    else:
        yield
