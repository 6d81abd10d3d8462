"""The routing decision table: parsing, checking and evaluation.

A table is a header row and rule rows, as the "Routing rules" tab holds them:

* ``Rule``: a unique rule id (required); ``Description``: free text for people.
* one condition column per fact (DESIGN section 4), headed by the fact's name. A blank cell matches
  anything; otherwise a comma-separated list of allowed values (``Red, Amber``), ``not`` before a
  list to exclude values, ``true``/``false`` for yes-no facts, and for ``age`` comparisons and
  ranges (``<8``, ``>=18``, ``8..17``).
* one column per output, headed by its name and optionally its hit policy (``invitees (collect)``).
  ``first`` outputs take the value of the first matching row that sets them; ``collect`` outputs
  gather every matching row's values, in table order, without repeats.

Any problem is a RuleTableError naming the row (as the sheet numbers it) and the column.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from hsb_sheets.domain.decision import OUTPUTS, REQUIRED_OUTPUTS, Decision, HitPolicy
from hsb_sheets.domain.facts import MAX_AGE, FactKind, FactValue
from hsb_sheets.errors import RuleTableError

RULE_COLUMN = "Rule"
DESCRIPTION_COLUMN = "Description"
_OUTPUT_HEADER = re.compile(r"([a-z_]+)\s*(?:\((first|collect)\))?")
_INT_TEST = re.compile(r"(<=|>=|<|>|=)?\s*(\d+)(?:\s*\.\.\s*(\d+))?")
_MAX_COMBINATIONS = 500_000

Interval = tuple[int, int]


@dataclass(frozen=True)
class Condition:
    """One cell's test: the fact it reads and the values (or age intervals) it accepts."""

    fact: str
    allowed: frozenset[FactValue] | None
    intervals: tuple[Interval, ...] = ()
    negated: bool = False

    def matches(self, value: FactValue) -> bool:
        """Whether the fact's value passes this test."""
        if self.allowed is not None:
            hit = value in self.allowed
        else:
            hit = isinstance(value, int) and any(lo <= value <= hi for lo, hi in self.intervals)
        return hit != self.negated


@dataclass(frozen=True)
class RuleRow:
    """One row of the table."""

    rule_id: str
    sheet_row: int
    conditions: tuple[Condition, ...]
    outputs: Mapping[str, tuple[str, ...]]

    def matches(self, facts: Mapping[str, FactValue]) -> bool:
        """Whether every condition of the row holds."""
        return all(c.matches(facts[c.fact]) for c in self.conditions)


@dataclass(frozen=True)
class RuleTable:
    """A parsed, checked decision table."""

    rows: tuple[RuleRow, ...]

    def decide(self, facts: Mapping[str, FactValue]) -> Decision:
        """Evaluate the table; RuleTableError if a required output is left unset."""
        firsts: dict[str, str] = {}
        collected: dict[str, list[str]] = {name: [] for name, (p, _) in OUTPUTS.items() if p == "collect"}
        fired: list[str] = []
        for row in self.rows:
            if not row.matches(facts):
                continue
            fired.append(row.rule_id)
            for name, values in row.outputs.items():
                if name in collected:
                    bucket = collected[name]
                    bucket.extend(v for v in values if v not in bucket)
                elif name not in firsts:
                    firsts[name] = values[0]
        missing = [name for name in REQUIRED_OUTPUTS if name not in firsts]
        if missing:
            raise RuleTableError(
                f"Routing rules: no rule sets {', '.join(missing)} for a case with "
                f"{_describe(facts)}. Add a rule that covers it."
            )
        return Decision(
            service=firsts["service"],
            route=firsts["route"],
            meeting=firsts.get("meeting"),
            invitees=tuple(collected["invitees"]),
            pathways=tuple(collected["pathways"]),
            actions=tuple(collected["actions"]),
            assessment_tools=tuple(collected["assessment_tools"]),
            flags=tuple(collected["flags"]),
            recording_system=firsts["recording_system"],
            rules_fired=tuple(fired),
        )


def _describe(facts: Mapping[str, FactValue]) -> str:
    shown = ("age", "level", "child_area", "not_open", "police_involved")
    return ", ".join(f"{k}={facts[k]}" for k in shown if k in facts)


def _where(sheet_row: int, rule_id: str, column: str) -> str:
    rule = f" (rule {rule_id})" if rule_id else ""
    return f"Routing rules, row {sheet_row}{rule}, column '{column}'"


def _parse_bool(word: str) -> bool | None:
    return {"true": True, "yes": True, "false": False, "no": False}.get(word.casefold())


def _parse_condition(fact: str, kind: FactKind, cell: str, where: str) -> Condition | None:
    text = cell.strip()
    if not text or text == "-":
        return None
    negated = False
    lowered = text.casefold()
    if lowered.startswith("not(") and text.endswith(")"):
        negated, text = True, text[4:-1]
    elif lowered.startswith("not "):
        negated, text = True, text[4:]
    parts = [p.strip().strip('"') for p in text.split(",") if p.strip()]
    if not parts:
        raise RuleTableError(f"{where}: '{cell}' has no values to test.")
    if kind.kind == "int":
        intervals: list[Interval] = []
        for part in parts:
            m = _INT_TEST.fullmatch(part.strip("[]"))
            if m is None or (m[1] and m[3]):
                raise RuleTableError(
                    f"{where}: '{part}' is not an age test. Write e.g. 12, <8, >=18 or 8..17."
                )
            op, low = m[1] or "=", int(m[2])
            high = int(m[3]) if m[3] else None
            if high is not None:
                intervals.append((low, high))
            else:
                intervals.append(
                    {
                        "<": (-1, low - 1),
                        "<=": (-1, low),
                        ">": (low + 1, 999),
                        ">=": (low, 999),
                        "=": (low, low),
                    }[op]
                )
        return Condition(fact, None, tuple(intervals), negated)
    allowed: set[FactValue] = set()
    for part in parts:
        if kind.kind == "bool":
            flag = _parse_bool(part)
            if flag is None:
                raise RuleTableError(f"{where}: '{part}' is not true or false.")
            allowed.add(flag)
            continue
        match = next((v for v in kind.values if v.casefold() == part.casefold()), None)
        if match is None:
            raise RuleTableError(
                f"{where}: '{part}' is not a value of {fact}. Use one of: {', '.join(kind.values)}."
            )
        allowed.add(match)
    return Condition(fact, frozenset(allowed), (), negated)


def _parse_output(name: str, policy: HitPolicy, cell: str, where: str) -> tuple[str, ...]:
    values = tuple(v.strip() for v in cell.split(",") if v.strip())
    vocabulary = OUTPUTS[name][1]
    for value in values:
        if value not in vocabulary:
            raise RuleTableError(
                f"{where}: '{value}' is not a value of {name}. Use one of: {', '.join(vocabulary)}."
            )
    if policy == "first" and len(values) > 1:
        raise RuleTableError(f"{where}: {name} takes one value (hit policy first), not a list.")
    return values


def _classify_header(
    header: Sequence[str], catalogue: Mapping[str, FactKind]
) -> tuple[int, dict[int, str], dict[int, tuple[str, HitPolicy]]]:
    names = [h.strip() for h in header]
    if RULE_COLUMN not in names:
        raise RuleTableError(f"Routing rules: the header row needs a '{RULE_COLUMN}' column for rule ids.")
    facts: dict[int, str] = {}
    outputs: dict[int, tuple[str, HitPolicy]] = {}
    for index, name in enumerate(names):
        if name in (RULE_COLUMN, DESCRIPTION_COLUMN, ""):
            continue
        if name in catalogue:
            facts[index] = name
            continue
        m = _OUTPUT_HEADER.fullmatch(name)
        if m is None or m[1] not in OUTPUTS:
            raise RuleTableError(
                f"Routing rules, column '{name}': not a known fact or output. "
                f"Facts: {', '.join(catalogue)}. Outputs: {', '.join(OUTPUTS)}."
            )
        expected = OUTPUTS[m[1]][0]
        if m[2] and m[2] != expected:
            raise RuleTableError(f"Routing rules, column '{name}': the hit policy of {m[1]} is {expected}.")
        if m[1] in (o for o, _ in outputs.values()):
            raise RuleTableError(f"Routing rules, column '{name}': {m[1]} has two columns.")
        outputs[index] = (m[1], expected)
    return names.index(RULE_COLUMN), facts, outputs


def parse_rule_table(
    header: Sequence[str], rows: Sequence[Sequence[str]], catalogue: Mapping[str, FactKind]
) -> RuleTable:
    """Parse and check a decision table; the first data row is sheet row 2."""
    rule_index, fact_columns, output_columns = _classify_header(header, catalogue)
    parsed: list[RuleRow] = []
    seen: set[str] = set()
    for offset, raw in enumerate(rows):
        sheet_row = offset + 2
        cells = [str(c) if c is not None else "" for c in raw] + [""] * (len(header) - len(raw))
        if not any(c.strip() for c in cells):
            continue
        rule_id = cells[rule_index].strip()
        if not rule_id:
            raise RuleTableError(f"{_where(sheet_row, '', RULE_COLUMN)}: every rule needs an id.")
        if rule_id in seen:
            raise RuleTableError(f"{_where(sheet_row, rule_id, RULE_COLUMN)}: rule id used twice.")
        seen.add(rule_id)
        conditions = []
        for index, fact in fact_columns.items():
            condition = _parse_condition(
                fact, catalogue[fact], cells[index], _where(sheet_row, rule_id, header[index])
            )
            if condition is not None:
                conditions.append(condition)
        outputs: dict[str, tuple[str, ...]] = {}
        for index, (name, policy) in output_columns.items():
            values = _parse_output(name, policy, cells[index], _where(sheet_row, rule_id, header[index]))
            if values:
                outputs[name] = values
        parsed.append(RuleRow(rule_id, sheet_row, tuple(conditions), outputs))
    table = RuleTable(tuple(parsed))
    check_coverage(table, catalogue)
    return table


def _domain(kind: FactKind) -> tuple[FactValue, ...]:
    if kind.kind == "int":
        return tuple(range(MAX_AGE + 1))
    if kind.kind == "bool":
        return (True, False)
    return kind.values


def check_coverage(table: RuleTable, catalogue: Mapping[str, FactKind]) -> None:
    """Prove every possible case gets each required output, or name one that does not."""
    for output in REQUIRED_OUTPUTS:
        rows = [r for r in table.rows if output in r.outputs]
        if not rows:
            raise RuleTableError(f"Routing rules: no rule sets {output}; add a '{output}' column and rules.")
        facts = sorted({c.fact for r in rows for c in r.conditions})
        domains = [_domain(catalogue[f]) for f in facts]
        total = 1
        for d in domains:
            total *= len(d)
        if total > _MAX_COMBINATIONS:
            raise RuleTableError(
                f"Routing rules: the rules that set {output} test too many facts together "
                f"({', '.join(facts)}) to be checked; simplify them."
            )
        for combination in itertools.product(*domains):
            case = dict(zip(facts, combination, strict=True))
            if not any(r.matches(case) for r in rows):
                described = ", ".join(f"{k}={v}" for k, v in case.items())
                raise RuleTableError(
                    f"Routing rules: a case with {described} gets no {output}. Add a rule that covers it."
                )
