"""`hsb-sheets doctor`: check settings, credentials, the register's tabs and headers, the rules and
the Directory, each failure with a hint that says how to fix it."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from hsb_sheets.bootstrap import build_context
from hsb_sheets.config import Settings, load_settings
from hsb_sheets.domain.directory import parse_directory
from hsb_sheets.domain.tabs import DIRECTORY, ROUTING_RULES, SETTINGS, all_tab_specs
from hsb_sheets.errors import HsbError
from hsb_sheets.services.context import Context
from hsb_sheets.services.policy import read_policy
from hsb_sheets.services.rule_source import rules_from_tab

NEEDED_ROLES = (
    "childrens_social_care",
    "police",
    "hsb_service",
    "early_help",
    "service_manager",
    "coordinator",
)


@dataclass(frozen=True)
class Check:
    """One line of the doctor's report."""

    name: str
    ok: bool
    detail: str
    fix: str = ""


def _attempt(name: str, fix: str, action: Callable[[], str]) -> Check:
    try:
        return Check(name, True, action())
    except HsbError as problem:
        return Check(name, False, str(problem), fix)


def run_doctor(settings_path: Path) -> list[Check]:
    """Every check, in order; later checks are skipped once an earlier one makes them meaningless."""
    checks: list[Check] = []
    settings: Settings | None = None

    def load() -> str:
        nonlocal settings
        settings = load_settings(settings_path)
        backends = f"{settings.workbook.backend} register, {settings.mail.backend} mail"
        return f"{settings_path} ({backends}, {settings.calendar.backend} calendar)"

    checks.append(_attempt("Settings", "Edit hsb-sheets.toml as the message says.", load))
    if settings is None:
        return checks
    ctx: Context | None = None

    def connect() -> str:
        nonlocal ctx
        assert settings is not None
        ctx = build_context(settings)
        return "credentials and adapters built"

    checks.append(
        _attempt("Credentials", "Check the key file and the delegated user in hsb-sheets.toml.", connect)
    )
    if ctx is None:
        return checks
    context: Context = ctx
    header, _ = context.routing_seed
    specs = all_tab_specs(context.form, tuple(header))
    tables = {}

    def read() -> str:
        tables.update(context.workbook.read([spec.name for spec in specs]))
        return f"{len(tables)} tabs read"

    checks.append(
        _attempt(
            "Register",
            "Share the spreadsheet with the service account (as an editor), or run 'hsb-sheets setup'.",
            read,
        )
    )
    if not tables:
        return checks
    missing = [
        f"'{spec.name}': {', '.join(c for c in spec.header if c not in tables[spec.name].header)}"
        for spec in specs
        if any(c not in tables[spec.name].header for c in spec.header)
    ]
    checks.append(
        Check(
            "Headers",
            not missing,
            "; ".join(missing) or "every tab has its columns",
            "Run 'hsb-sheets setup' to add the missing columns." if missing else "",
        )
    )
    checks.append(
        _attempt(
            "Routing rules",
            "Correct the row and column named in the Routing rules tab.",
            lambda: f"{len(rules_from_tab(context.form, tables[ROUTING_RULES]).rows)} rules parse",
        )
    )
    checks.append(
        _attempt(
            "Settings tab",
            "Correct the value named in the Settings tab.",
            lambda: (read_policy(tables[SETTINGS]), "settings are valid")[1],
        )
    )
    directory = parse_directory(tables[DIRECTORY].records())
    problems = [p for found in directory.problems.values() for p in found]
    for area in context.form.field("child_area").choices:
        absent = [role for role in NEEDED_ROLES if not directory.lookup(area, role)]
        if absent:
            problems.append(f"{area} has no {', '.join(absent)} contact")
    checks.append(
        Check(
            "Directory",
            not problems,
            "; ".join(problems) or "every area has every role",
            "Add or correct the contacts in the Directory tab." if problems else "",
        )
    )
    return checks
