"""`hsb-sheets doctor`: check settings, credentials, an access token per Google API in use, the
register's tabs and headers, the rules and the Directory, the keys jobs find rows by, and the jobs whose
last run failed, each failure with a hint that says how to fix it."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar

from hsb_sheets.adapters.workbook.base import Table, Update, WriteBatch
from hsb_sheets.bootstrap import build_context
from hsb_sheets.config import Settings, load_settings
from hsb_sheets.domain.directory import check_directory_header, parse_directory
from hsb_sheets.domain.tabs import (
    AUDIT_LOG,
    DIRECTORY,
    INTERVENTION_KEY,
    INTERVENTIONS,
    JOB_STATUS,
    ROUTING_RULES,
    SETTINGS,
    JobStatusTab,
    TabSpec,
    all_tab_specs,
)
from hsb_sheets.errors import HsbError
from hsb_sheets.services.context import Context
from hsb_sheets.services.doctor_google import google_apis, token_check
from hsb_sheets.services.doctor_protection import audit_chain_check, key_files_check, sharing_check
from hsb_sheets.services.policy import read_policy
from hsb_sheets.services.rule_source import rules_from_tab
from hsb_sheets.services.runner import JOBS, JobFailed, run_job
from hsb_sheets.services.status import FAILED_PREFIX

KeyColumns = tuple[str, ...]
SHOWN = 5  # rows named per problem; the rest are counted
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
    checks.append(Check(*key_files_check(settings)))
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
        _keys(specs, tables),
        _failed_jobs(tables[JOB_STATUS]),
        _dry_runs(ctx, tables),
        Check(*sharing_check(ctx, tables[SETTINGS])),
        Check(*audit_chain_check(tables[AUDIT_LOG])),
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


def _key_columns(specs: Sequence[TabSpec]) -> dict[str, KeyColumns]:
    """The column(s) each keyed tab's rows are found by when a job updates them."""
    keyed = {spec.name: (spec.key,) for spec in specs if spec.key}
    return {**keyed, INTERVENTIONS: INTERVENTION_KEY}


def _key_problems(table: Table, columns: KeyColumns) -> list[str]:
    """Rows jobs cannot address: a blank key on a row holding values, and a key on several rows."""
    if any(c not in table.header for c in columns):
        return []  # the Headers check names the missing column
    at = [table.header.index(c) for c in columns]
    blank: list[int] = []
    rows_of: dict[tuple[str, ...], list[int]] = {}
    for position, row in enumerate(table.rows):
        key = tuple(row[i].strip() for i in at)
        if any(key):
            rows_of.setdefault(key, []).append(position + 2)  # sheet rows: the header is row 1
        elif any(cell.strip() for cell in row):
            blank.append(position + 2)
    named = " / ".join(columns)
    problems = [
        f"'{table.name}' rows {_rows(blank)} have values but no {named}" if blank else "",
        *(
            f"'{table.name}' has {named} {' / '.join(key)!r} on rows {_rows(rows)}"
            for key, rows in rows_of.items()
            if len(rows) > 1
        ),
    ]
    return [p for p in problems if p]


def _rows(rows: Sequence[int]) -> str:
    more = f" and {len(rows) - SHOWN} more" if len(rows) > SHOWN else ""
    return ", ".join(map(str, rows[:SHOWN])) + more


def _keys(specs: Sequence[TabSpec], tables: Mapping[str, Table]) -> Check:
    """Every keyed tab: the checks the jobs' writes make, before a job fails on them."""
    problems = [
        problem
        for tab, columns in _key_columns(specs).items()
        if tab in tables
        for problem in _key_problems(tables[tab], columns)
    ]
    return Check(
        "Row keys",
        not problems,
        "; ".join(problems) or "every row jobs update has a key of its own",
        "Fill in the key or clear the row's other cells (a spreadsheet may keep formatted empty rows); "
        "keep one of each repeated row."
        if problems
        else "",
    )


def _failed_jobs(tab: Table) -> Check:
    """The jobs whose last run failed, with its error, from the Job status tab."""
    failed = [
        (r.get(JobStatusTab.JOB, ""), r.get(JobStatusTab.LAST_RUN, ""), r.get(JobStatusTab.OUTCOME, ""))
        for r in tab.records()
        if r.get(JobStatusTab.OUTCOME, "").startswith(FAILED_PREFIX)
    ]
    again = " ".join(f"--job {job}" for job, _, _ in failed)
    return Check(
        "Last runs",
        not failed,
        "; ".join(f"{job} failed at {when}: {outcome[len(FAILED_PREFIX) :]}" for job, when, outcome in failed)
        or "no job's last run failed",
        f"Fix what the error names, then run 'hsb-sheets run {again}' again." if failed else "",
    )


def _dry_runs(ctx: Context, tables: Mapping[str, Table]) -> Check:
    """Each job as a dry run (nothing written or sent), and its writes checked as the register would."""
    problems: list[str] = []
    for job in JOBS:
        try:
            outcome = run_job(ctx, job, dry_run=True)
        except JobFailed as failure:
            problems.append(str(failure))
            continue
        planned = getattr(outcome.report, "planned", None)
        if isinstance(planned, WriteBatch):
            problems += [f"{job} would {problem}" for problem in _unwritable(planned, tables)]
    return Check(
        "Jobs (dry run)",
        not problems,
        "; ".join(problems) or f"{len(JOBS)} jobs plan their writes without a problem",
        "Correct the rows named (see also 'Row keys'), then run 'hsb-sheets doctor' again."
        if problems
        else "",
    )


def _unwritable(batch: WriteBatch, tables: Mapping[str, Table]) -> list[str]:
    """The updates of a batch that find no row, or more than one, among the rows read and appended."""
    found: Counter[str] = Counter()
    for update in batch.updates:
        if update.tab in tables:
            found[_finds(update, tables[update.tab], batch)] += 1
    found.pop("", None)
    return [f"{problem} ({count} update(s))" if count > 1 else problem for problem, count in found.items()]


def _finds(update: Update, table: Table, batch: WriteBatch) -> str:
    """What is wrong with the row an update is for: '' when exactly one row has its key."""
    columns = (update.key_column,) if isinstance(update.key_column, str) else update.key_column
    key = (update.key,) if isinstance(update.key, str) else update.key
    if any(c not in table.header for c in columns):
        return ""  # the Headers check names the missing column
    named, shown = " / ".join(columns), " / ".join(key)
    at = [table.header.index(c) for c in columns]
    keys = [tuple(row[i].strip() for i in at) for row in table.rows]
    if not any(part.strip() for part in key):
        blank = [position + 2 for position, k in enumerate(keys) if not any(k)]
        rows = f": rows {_rows(blank)} have none (delete them if they look empty)" if blank else ""
        return f"update a '{table.name}' row by a blank {named}{rows}"
    keys += [
        tuple(a.values.get(c, "").strip() for c in columns) for a in batch.appends if a.tab == table.name
    ]
    matches = keys.count(tuple(part.strip() for part in key))
    if matches == 1:
        return ""
    where = "no row" if not matches else f"{matches} rows"
    return f"find {where} with {named} {shown!r} in '{table.name}'"
