"""`hsb-sheets doctor`: check settings, credentials, an access token per Google API in use, the
register's tabs and headers, the rules and the Directory, each failure with a hint that says how to fix it."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar

from hsb_sheets.adapters.workbook.base import Table
from hsb_sheets.bootstrap import build_context
from hsb_sheets.config import Settings, load_settings
from hsb_sheets.domain.directory import check_directory_header, parse_directory
from hsb_sheets.domain.tabs import DIRECTORY, ROUTING_RULES, SETTINGS, TabSpec, all_tab_specs
from hsb_sheets.errors import HsbError
from hsb_sheets.services.context import Context
from hsb_sheets.services.doctor_google import google_apis, token_check
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
T = TypeVar("T")


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


def _step(
    checks: list[Check], name: str, fix: str, action: Callable[[], T], describe: Callable[[T], str]
) -> T | None:
    """A check whose result later checks need: the result, or None (and a failing line) if it failed."""
    try:
        value = action()
    except HsbError as problem:
        checks.append(Check(name, False, str(problem), fix))
        return None
    checks.append(Check(name, True, describe(value)))
    return value


def run_doctor(settings_path: Path) -> list[Check]:
    """Every check, in order; later checks are skipped once an earlier one makes them meaningless."""
    checks: list[Check] = []
    settings = _step(
        checks,
        "Settings",
        "Edit hsb-sheets.toml as the message says.",
        lambda: load_settings(settings_path),
        lambda loaded: _describe(settings_path, loaded),
    )
    if settings is None:
        return checks
    ctx = _step(
        checks,
        "Credentials",
        "Check the key file and the delegated user in hsb-sheets.toml.",
        lambda: build_context(settings),
        lambda _: "credentials and adapters built",
    )
    if ctx is None:
        return checks
    checks.extend(token_check(_attempt, *api) for api in google_apis(settings))
    header, _ = ctx.routing_seed
    specs = all_tab_specs(ctx.form, tuple(header))
    tables = _step(
        checks,
        "Register",
        "Share the spreadsheet with the service account (as an editor), or run 'hsb-sheets setup'.",
        lambda: ctx.workbook.read([spec.name for spec in specs]),
        lambda read: f"{len(read)} tabs read",
    )
    if not tables:
        return checks
    return [*checks, *_register_checks(ctx, specs, tables)]


def _describe(path: Path, settings: Settings) -> str:
    backends = f"{settings.workbook.backend} register, {settings.mail.backend} mail"
    return f"{path} ({backends}, {settings.calendar.backend} calendar)"


def _register_checks(ctx: Context, specs: Sequence[TabSpec], tables: Mapping[str, Table]) -> list[Check]:
    """The checks of what the register holds: headers, rules, settings and the Directory."""
    return [
        _headers(specs, tables),
        _attempt(
            "Routing rules",
            "Correct the row and column named in the Routing rules tab.",
            lambda: f"{len(rules_from_tab(ctx.form, tables[ROUTING_RULES]).rows)} rules parse",
        ),
        _attempt(
            "Settings tab",
            "Correct the value named in the Settings tab.",
            lambda: (read_policy(tables[SETTINGS]), "settings are valid")[1],
        ),
        _directory(ctx, tables[DIRECTORY]),
    ]


def _headers(specs: Sequence[TabSpec], tables: Mapping[str, Table]) -> Check:
    missing = [
        f"'{spec.name}': {', '.join(c for c in spec.header if c not in tables[spec.name].header)}"
        for spec in specs
        if any(c not in tables[spec.name].header for c in spec.header)
    ]
    return Check(
        "Headers",
        not missing,
        "; ".join(missing) or "every tab has its columns",
        "Run 'hsb-sheets setup' to add the missing columns." if missing else "",
    )


def _directory(ctx: Context, tab: Table) -> Check:
    try:
        check_directory_header(tab.header)
    except HsbError as problem:
        return Check("Directory", False, str(problem), "Rename the column back, or run 'hsb-sheets setup'.")
    directory = parse_directory(tab.records())
    problems = [p for found in directory.problems.values() for p in found]
    for area in ctx.form.field("child_area").choices:
        absent = [role for role in NEEDED_ROLES if not directory.lookup(area, role)]
        if absent:
            problems.append(f"{area} has no {', '.join(absent)} contact")
    return Check(
        "Directory",
        not problems,
        "; ".join(problems) or "every area has every role",
        "Add or correct the contacts in the Directory tab." if problems else "",
    )
