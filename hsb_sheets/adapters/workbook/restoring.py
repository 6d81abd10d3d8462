"""What the journaled register puts back: the rules that need no I/O of their own.

A tab is remembered by its key (:data:`KEYS` where it is not the spec's own); the Audit log, which has
none, by each line's content and its occurrence. Given the tables as read and the rows the journal
remembers, :class:`Restorer` says what a batch leaves to remember, how a queued batch applies now
(appends already there left out, an update of a lost row restoring the row), and what puts back
the rows and system cells a tab lost, each restoration told in one Audit log line without personal
data. Rows coordinators create (Interventions, keyed by their own columns) are never re-created: a
missing one was most likely deleted or re-keyed on purpose; their system cells are still put back.
"""

from __future__ import annotations

import hashlib
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime

from hsb_sheets.adapters.journal.base import SystemRow
from hsb_sheets.adapters.workbook.base import Append, Key, Table, Update, Workbook, WriteBatch
from hsb_sheets.adapters.workbook.plan import apply_plan, plan_writes, row_key
from hsb_sheets.domain.audit_chain import CHAIN_COLUMNS
from hsb_sheets.domain.register_rows import format_time
from hsb_sheets.domain.tabs import (
    AUDIT_LOG,
    CASE_ID,
    FORM_RESPONSES,
    INTERVENTION_KEY,
    INTERVENTIONS,
    RESPONSE_ID,
    AuditLogTab,
    TabSpec,
)

JOB = "register"
LOST = "restored after the register lost it: a stale copy was saved over it"
KEYS: dict[str, Key] = {INTERVENTIONS: INTERVENTION_KEY}  # tabs whose key is not the spec's own


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
    """A line's identity by content (its tab's columns, in order, but for the Audit log's chain
    columns, which a queued line only gets when it is written): for tabs without a key."""
    text = "\x1f".join(values.get(c, "").strip() for c in spec.header if c not in CHAIN_COLUMNS)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:20]


@dataclass
class Repair:
    """What bringing some tabs up to date writes: rows back, cells back, and lines telling of it."""

    batch: WriteBatch = field(default_factory=WriteBatch)
    told: list[Append] = field(default_factory=list)  # Audit log lines about the restorations
    seen: list[SystemRow] = field(default_factory=list)  # coordinators' cells as now seen


class Staged:
    """Tables held in memory, loaded from the register on first use; writes change only them."""

    def __init__(self, inner: Workbook) -> None:
        self.inner = inner
        self.tables: dict[str, Table] = {}

    def read(self, tabs: Sequence[str]) -> dict[str, Table]:
        """The tabs held (not copies), read from the register the first time."""
        missing = [t for t in dict.fromkeys(tabs) if t not in self.tables]
        if missing:
            self.tables.update(self.inner.read(missing))
        return {t: self.tables[t] for t in tabs}

    def write(self, batch: WriteBatch) -> None:
        """Apply a batch to the tables held (WorkbookError, and nothing changed, if it cannot be)."""
        tables = self.read(sorted(tabs_of(batch)))
        apply_plan(self.tables, plan_writes(tables, batch))


def tabs_of(batch: WriteBatch) -> set[str]:
    """The tabs a batch writes to."""
    return {a.tab for a in batch.appends} | {u.tab for u in batch.updates}


Remembered = Callable[[str], dict[str, dict[str, str]]]


class Restorer:
    """Works out what to remember and what to put back, from tables and the journal's rows."""

    def __init__(
        self, rules: Mapping[str, TabRule], remembered: Remembered, now: Callable[[], datetime]
    ) -> None:
        self.rules = rules
        self._remembered = remembered  # the journal's rows of a tab, by key
        self._now = now  # local time, naive, for Audit log lines

    def rows_to_remember(self, batch: WriteBatch, current: Mapping[str, Table]) -> list[SystemRow]:
        """The rows a batch leaves, in full as far as the jobs know them, by tab and key."""
        rows: dict[tuple[str, str], dict[str, str]] = {}
        memory: dict[str, dict[str, dict[str, str]]] = {}

        def remembered(tab: str) -> dict[str, dict[str, str]]:
            if tab not in memory:
                memory[tab] = self._remembered(tab)
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

    # -- resolving queued writes and restoring lost rows --------------------------------------

    def resolve(
        self, batch: WriteBatch, staged: Staged, queued: bool = True
    ) -> tuple[WriteBatch, list[Append]]:
        """A batch as it can be applied now, with the Audit log lines of the rows it restores.

        An update whose row has gone restores the row from the journal (with the update's values).
        For a queued batch, appends already in the register (a run stopped after writing, before
        clearing the queue) are left out, and so is an update of a row the jobs did not create.
        """
        tables = staged.read(sorted(tabs_of(batch)))
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
            lost = self._remembered(update.tab).get(_key_text(update.key)) if rule else None
            if rule is not None and rule.restores and rule.key == update.key_column and lost:
                result.appends.append(
                    Append(update.tab, _within(tables[update.tab], {**lost, **update.values}))
                )
                told.append(self.told(update.tab, lost))
                present.add(value)
            elif not queued:
                result.updates.append(update)  # the write will say what is wrong with it
        return result, told

    def repairs(self, tabs: Sequence[str], staged: Staged) -> Repair:
        """What puts back the remembered rows and system cells these tabs lost."""
        repair = Repair()
        for tab in dict.fromkeys(tabs):
            rule = self.rules.get(tab)
            if rule is None:
                continue
            table = staged.read([tab])[tab]
            remembered = self._remembered(tab)
            if rule.key is None:
                self._lost_lines(rule, table, remembered, repair)
            else:
                self._lost_rows(rule, rule.key, table, remembered, repair)
        return repair

    def _lost_lines(
        self, rule: TabRule, table: Table, remembered: dict[str, dict[str, str]], repair: Repair
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
                self.line("lines restored", detail=f"{lost} {table.name} line(s) {_plural(LOST, lost)}")
            )

    def _lost_rows(
        self,
        rule: TabRule,
        key_column: Key,
        table: Table,
        remembered: dict[str, dict[str, str]],
        repair: Repair,
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
                    repair.told.append(self.told(table.name, values))
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
                repair.told.append(self.told(table.name, values, cells=True))
            seen = {c: v for c, v in record.items() if c and not rule.is_system(c)}
            if any(values.get(c, "") != v for c, v in seen.items()):
                repair.seen.append(SystemRow(table.name, key, {**values, **seen}))

    def told(self, tab: str, values: Mapping[str, str], cells: bool = False) -> Append:
        what = f"{tab} row: the jobs' cells were {LOST}" if cells else f"{tab} row {LOST}"
        return self.line(
            "cells restored" if cells else "row restored",
            case_id=values.get(CASE_ID, ""),
            response_id=values.get(RESPONSE_ID, ""),
            detail=what,
        )

    def line(self, action: str, case_id: str = "", response_id: str = "", detail: str = "") -> Append:
        """An Audit log line (ids and counts only: never personal data)."""
        now = self._now()
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
