"""`rules check`: the decision table parses and covers every case, and its worked examples hold."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from hsb_sheets.domain.decision import OUTPUTS
from hsb_sheets.domain.facts import FactKind, FactValue
from hsb_sheets.domain.rules import RuleTable
from hsb_sheets.errors import RuleTableError

EXAMPLE_COLUMN = "Example"
EXPECT = "expect "


@dataclass(frozen=True)
class ExampleFailure:
    """An example whose decision differs from what it expects."""

    example: str
    output: str
    expected: str
    actual: str


def default_fact(kind: FactKind) -> FactValue:
    """The value an example fact takes when its cell is blank: No, None, Not known, or false."""
    if kind.kind == "bool":
        return False
    for preferred in ("No", "None", "Not known"):
        if preferred in kind.values:
            return preferred
    return kind.values[0]


def _fact(name: str, kind: FactKind, text: str, where: str) -> FactValue:
    if kind.kind == "int":
        if not text.isdigit():
            raise RuleTableError(f"{where}: {name} must be a whole number of years.")
        return int(text)
    if kind.kind == "bool":
        lowered = text.casefold()
        if lowered not in ("true", "false", "yes", "no"):
            raise RuleTableError(f"{where}: {name} must be true or false.")
        return lowered in ("true", "yes")
    match = next((v for v in kind.values if v.casefold() == text.casefold()), None)
    if match is None:
        raise RuleTableError(f"{where}: '{text}' is not a value of {name}.")
    return match


def run_examples(
    table: RuleTable, header: Sequence[str], rows: Sequence[Sequence[str]], catalogue: Mapping[str, FactKind]
) -> tuple[int, list[ExampleFailure]]:
    """Decide every example and compare each expected output; return (examples run, failures)."""
    names = [h.strip() for h in header]
    for name in names:
        if name and name != EXAMPLE_COLUMN and name not in catalogue and not name.startswith(EXPECT):
            raise RuleTableError(f"Routing examples, column '{name}': not a fact or 'expect <output>'.")
        if name.startswith(EXPECT) and name[len(EXPECT) :] not in (*OUTPUTS, "rules_fired"):
            raise RuleTableError(f"Routing examples, column '{name}': no such output.")
    failures: list[ExampleFailure] = []
    count = 0
    for offset, raw in enumerate(rows):
        cells = {n: (raw[i].strip() if i < len(raw) else "") for i, n in enumerate(names)}
        if not any(cells.values()):
            continue
        count += 1
        label = cells.get(EXAMPLE_COLUMN) or f"row {offset + 2}"
        where = f"Routing examples, row {offset + 2}"
        facts = {
            name: _fact(name, kind, cells[name], where) if cells.get(name) else default_fact(kind)
            for name, kind in catalogue.items()
        }
        if "age" not in cells or not cells["age"] or not cells.get("level"):
            raise RuleTableError(f"{where}: every example needs an age and a level.")
        decision = table.decide(facts).to_json()
        for name, text in cells.items():
            if not name.startswith(EXPECT):
                continue
            output = name[len(EXPECT) :]
            actual = decision[output]
            if isinstance(actual, list):
                expected_set = {v.strip() for v in text.split(",") if v.strip()}
                if expected_set != set(actual):
                    failures.append(
                        ExampleFailure(label, output, ", ".join(sorted(expected_set)), ", ".join(actual))
                    )
            elif (actual or "") != text:
                failures.append(ExampleFailure(label, output, text, actual or ""))
    return count, failures
