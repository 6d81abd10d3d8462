"""How a register's Routing rules differ from the shipped table, rule by rule, in plain words.

A register keeps the table it was seeded with (coordinators may have changed it since); when a new
version ships a revised table, ``rules check`` shows the difference and ``setup --update-rules``
replaces the tab. Rules are matched by their id; columns by their header. A column one table lacks
reads as blank there, so a column the register added and filled in shows as a change.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from hsb_sheets.domain.rules import DESCRIPTION_COLUMN, RULE_COLUMN

RuleRecord = tuple[int, str, dict[str, str]]  # sheet row, rule id ('' if none), cells by column


@dataclass(frozen=True)
class CellDifference:
    """One cell of a rule: what the register holds and what the shipped table holds."""

    column: str
    register: str
    shipped: str


@dataclass(frozen=True)
class RuleChange:
    """A rule both tables have, with the cells that differ."""

    rule_id: str
    description: str
    cells: tuple[CellDifference, ...]


@dataclass(frozen=True)
class RulesDiff:
    """Rules added, removed and changed by the shipped table, and whether it orders them otherwise."""

    added: tuple[tuple[str, str], ...]  # (rule id, description) in the shipped table only
    removed: tuple[tuple[str, str], ...]  # in the register only
    changed: tuple[RuleChange, ...]
    reordered: bool

    def __bool__(self) -> bool:
        return bool(self.added or self.removed or self.changed or self.reordered)

    def summary(self) -> str:
        """One line: how many rules the shipped table adds, removes and changes."""
        parts = [
            f"{len(self.added)} added",
            f"{len(self.removed)} removed",
            f"{len(self.changed)} changed",
        ]
        if self.reordered:
            parts.append("the order differs")
        return ", ".join(parts)

    def describe(self) -> list[str]:
        """One line per added, removed or changed rule, as a coordinator would read it."""
        lines = [f"Added (in the shipped table only): {_named(r, d)}" for r, d in self.added]
        lines += [f"Removed (in the register only): {_named(r, d)}" for r, d in self.removed]
        for change in self.changed:
            cells = "; ".join(
                f"{c.column} is {_shown(c.register)} in the register, {_shown(c.shipped)} shipped"
                for c in change.cells
            )
            lines.append(f"Changed: {_named(change.rule_id, change.description)}: {cells}")
        if self.reordered:
            lines.append(
                "The shipped table lists the rules in another order (the order decides single-valued "
                "outputs and the order of lists)."
            )
        return lines


def _named(rule_id: str, description: str) -> str:
    return f"{rule_id} ({description})" if description else rule_id


def _shown(value: str) -> str:
    return f"'{value}'" if value else "blank"


def rule_records(header: Sequence[str], rows: Sequence[Sequence[str]]) -> list[RuleRecord]:
    """The rows that hold anything, with their sheet row (the header is row 1) and rule id."""
    names = [str(h).strip() for h in header]
    records: list[RuleRecord] = []
    for offset, raw in enumerate(rows):
        cells = {n: (str(raw[i]).strip() if i < len(raw) else "") for i, n in enumerate(names) if n}
        if any(cells.values()):
            records.append((offset + 2, cells.get(RULE_COLUMN, ""), cells))
    return records


def diff_rules(
    tab_header: Sequence[str],
    tab_rows: Sequence[Sequence[str]],
    seed_header: Sequence[str],
    seed_rows: Sequence[Sequence[str]],
) -> RulesDiff:
    """How the register's table (``tab_*``) differs from the shipped one (``seed_*``)."""
    register = _by_id(rule_records(tab_header, tab_rows))
    shipped = _by_id(rule_records(seed_header, seed_rows))
    columns = [c for c in dict.fromkeys([*map(str.strip, seed_header), *map(str.strip, tab_header)]) if c]
    changed = []
    for rule_id, cells in shipped.items():
        if rule_id not in register:
            continue
        differences = tuple(
            CellDifference(c, register[rule_id].get(c, ""), cells.get(c, ""))
            for c in columns
            if register[rule_id].get(c, "") != cells.get(c, "")
        )
        if differences:
            changed.append(RuleChange(rule_id, cells.get(DESCRIPTION_COLUMN, ""), differences))
    common_register = [r for r in register if r in shipped]
    common_shipped = [r for r in shipped if r in register]
    return RulesDiff(
        added=tuple((r, c.get(DESCRIPTION_COLUMN, "")) for r, c in shipped.items() if r not in register),
        removed=tuple((r, c.get(DESCRIPTION_COLUMN, "")) for r, c in register.items() if r not in shipped),
        changed=tuple(changed),
        reordered=common_register != common_shipped,
    )


def _by_id(records: list[RuleRecord]) -> dict[str, dict[str, str]]:
    """Cells by rule id; a row without an id is named by its sheet row, a repeated id by both rows."""
    found: dict[str, dict[str, str]] = {}
    for sheet_row, rule_id, cells in records:
        key = rule_id or f"row {sheet_row} (no rule id)"
        if key in found:
            key = f"{rule_id} again at row {sheet_row}"
        found[key] = cells
    return found
