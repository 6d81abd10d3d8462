"""`hsb-sheets doctor`: check settings, credentials, an access token for each Google API in use (so a
delegation the Workspace admin has not finished shows here, not in the first run), the register's tabs
and headers, the rules and the Directory, each failure with a hint that says how to fix it."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from hsb_sheets.bootstrap import build_context, delegation, google_credentials
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


def _google_apis(settings: Settings) -> list[tuple[str, str, str, tuple[str, ...]]]:
    """(API, key file, delegated user, scopes) of each Google API the settings use."""
    apis: list[tuple[str, str, str, Sequence[str]]] = []
    if settings.workbook.backend == "google":
        from hsb_sheets.adapters.workbook.google_sheets import SCOPES

        apis.append(("Google Sheets", settings.workbook.key_file, settings.workbook.delegated_user, SCOPES))
    if settings.calendar.backend == "google":
        from hsb_sheets.adapters.calendar.google import SCOPES as CALENDAR

        apis.append(
            ("Google Calendar", settings.calendar.key_file, settings.calendar.delegated_user, CALENDAR)
        )
    if settings.mail.backend == "gmail":
        from hsb_sheets.adapters.mail.gmail import SCOPES as GMAIL

        apis.append(("Gmail", settings.mail.gmail_key_file, settings.mail.gmail_mailbox, GMAIL))
    if settings.forms.source == "api" or settings.forms.form_id:
        from hsb_sheets.adapters.forms.google import SCOPES as FORMS

        apis.append(("Google Forms", settings.forms.key_file, settings.forms.delegated_user, FORMS))
    return [(api, key, user, tuple(scopes)) for api, key, user, scopes in apis]


def _token(api: str, key_file: str, subject: str, scopes: tuple[str, ...]) -> Check:
    """Whether Google issues this API's access token (domain-wide delegation set up as the settings say)."""
    from hsb_sheets.adapters.google_api import fetch_token
    from hsb_sheets.adapters.google_auth_errors import TOKEN_ERRORS, explain_token_error

    def fetch() -> str:
        try:
            fetch_token(google_credentials(key_file, subject, scopes))
        except TOKEN_ERRORS as problem:
            explained = str(explain_token_error(problem, delegation(key_file, subject, scopes), api))
            raise HsbError(explained.removeprefix(f"{api}: ")) from None  # the check's name says which API
        return f"a token for {subject or 'the service account itself'} with {len(scopes)} scope(s)"

    return _attempt(f"Google access: {api}", "As the detail says (README, 'Connect to Google').", fetch)


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
    checks.extend(_token(*api) for api in _google_apis(settings))
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
