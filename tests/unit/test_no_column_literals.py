"""No column header is spelled as a string literal outside its declaration (hsb_sheets/domain/tabs.py).

A literal header that drifts from the declared one reads an empty value without any error; a constant
that drifts is an import or type error. The scan looks only where a string names a column: a
subscript, the first argument of ``.get``, a dict key, or an argument of ``Update``, ``Append``,
``.index`` or ``.column``. A header word inside a sentence, or anywhere else, is not a column name.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

import pytest

from hsb_sheets.bootstrap import load_form
from hsb_sheets.domain import tabs
from hsb_sheets.domain.form import TIMESTAMP

PACKAGE = Path(__file__).resolve().parents[2] / "hsb_sheets"
DECLARATIONS = {"domain/tabs.py", "domain/columns.py"}
BEING_CONVERTED: set[str] = set()
BEING_CONVERTED_FOLDERS: tuple[str, ...] = ()
CALLS = {"Update", "Append", "index", "column"}
# An email's RFC 5322 headers that happen to share a column's name (Next steps' "From").
EMAIL_HEADERS = {"adapters/mail/base.py": frozenset({"From"})}


def declared_headers() -> frozenset[str]:
    """Every header the register declares: each tab class's columns and the shipped form's columns."""
    headers = {
        str(c) for value in vars(tabs).values() if isinstance(value, type) for c in tabs.columns_of(value)
    }
    form = load_form()
    headers |= {f.column for f in form.fields} | {f.title for f in form.fields} | {TIMESTAMP}
    return frozenset(headers)


def _strings(node: ast.AST) -> Iterator[ast.Constant]:
    """A string constant, or the strings of a tuple or list of them (a composite key)."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        yield node
    elif isinstance(node, ast.Tuple | ast.List):
        for element in node.elts:
            yield from _strings(element)


def _name_of(func: ast.expr) -> str:
    if isinstance(func, ast.Name):
        return func.id
    return func.attr if isinstance(func, ast.Attribute) else ""


def column_literals(source: str, headers: frozenset[str]) -> list[tuple[int, str]]:
    """(line, header) for each place the source names a column by a string literal."""
    found: list[ast.Constant] = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Subscript):
            found.extend(_strings(node.slice))
        elif isinstance(node, ast.Dict):
            found.extend(s for key in node.keys if key is not None for s in _strings(key))
        elif isinstance(node, ast.Call):
            name = _name_of(node.func)
            if name == "get" and node.args:
                found.extend(_strings(node.args[0]))
            elif name in CALLS:
                for argument in [*node.args, *(k.value for k in node.keywords)]:
                    found.extend(_strings(argument))
    return sorted({(c.lineno, c.value) for c in found if c.value in headers})


def _checked_files() -> list[Path]:
    files = []
    for path in sorted(PACKAGE.rglob("*.py")):
        relative = path.relative_to(PACKAGE).as_posix()
        if relative in DECLARATIONS | BEING_CONVERTED or relative.startswith(BEING_CONVERTED_FOLDERS):
            continue
        files.append(path)
    return files


def test_no_module_names_a_column_by_a_literal() -> None:
    headers = declared_headers()
    offences = [
        f"hsb_sheets/{path.relative_to(PACKAGE).as_posix()}:{line}: '{header}'"
        for path in _checked_files()
        for line, header in column_literals(path.read_text(encoding="utf-8"), headers)
        if header not in EMAIL_HEADERS.get(path.relative_to(PACKAGE).as_posix(), frozenset())
    ]
    assert offences == [], "use the constants of hsb_sheets/domain/tabs.py:\n" + "\n".join(offences)


def test_the_scan_covers_the_jobs() -> None:
    checked = {p.relative_to(PACKAGE).as_posix() for p in _checked_files()}
    assert {
        "services/messages.py",
        "services/notifications.py",
        "services/intake.py",
        "cli/jobs.py",
    } <= checked


def test_the_headers_include_coordinator_and_form_columns() -> None:
    headers = declared_headers()
    assert {"Status", "Worker email", "Key", "Area", "Child first name", "Your name", "Timestamp"} <= headers


@pytest.mark.parametrize(
    "line",
    [
        'row["Status"]',
        'row.get("End summary due", "")',
        '{"State": "sent"}',
        'Update(OUTBOX, "Key", key, values)',
        'Update(INTERVENTIONS, ("Case ID", "Intervention"), key, values)',
        'table.column("Job")',
        'header.index("Recording system")',
        'Append(OUTBOX, values, key="Key")',
    ],
)
def test_a_reintroduced_literal_is_caught(line: str) -> None:
    assert column_literals(line, declared_headers()) != []


@pytest.mark.parametrize(
    "line",
    [
        'problems.append("Status is not one of the choices")',
        'print("Key")',
        "row[STATUS]",
        'row.get(MeetingsTab.STATUS, "")',
        '{"status": "ok"}',
        'x = "Reason"',
        'row["status"]',
    ],
)
def test_other_uses_of_header_words_are_fine(line: str) -> None:
    assert column_literals(line, declared_headers()) == []
