"""`hsb-sheets doctor`: check settings, credentials, an access token per Google API in use, the
register's tabs and headers, the rules and the Directory, the keys jobs find rows by, and the jobs whose
last run failed, each problem with a hint that fits the backend in use.

Every problem is listed at once: each check is a function returning its problems, and each runs even
when others found some. Only a check that needs what an earlier step could not make (valid settings,
the adapters, a tab) is skipped, and says why.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from hsb_sheets.adapters.workbook.base import Table, Update, WriteBatch
from hsb_sheets.bootstrap import build_context
from hsb_sheets.config import InvalidSettings, Settings, load_settings
from hsb_sheets.domain.directory import check_directory_header, parse_directory
from hsb_sheets.domain.tabs import (
    AUDIT_LOG,
    DIRECTORY,
    FORM_RESPONSES,
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
from hsb_sheets.services.doctor_google import (
    google_apis,
    responses_check,
    spreadsheet_settings_check,
    token_check,
)
from hsb_sheets.services.doctor_protection import audit_chain_check, key_files_check, sharing_check
from hsb_sheets.services.headers import check_headers
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


@dataclass(frozen=True)
class Problem:
    """One thing to fix: what is wrong, and how to fix it."""

    detail: str
    fix: str


@dataclass(frozen=True)
class Check:
    """One line of the doctor's report: a check and every problem it found (none: ok).

    ``detail`` says what an ok check saw, or why a check was skipped (an earlier one failed).
    """

    name: str
    problems: tuple[Problem, ...] = ()
    detail: str = ""
    skipped: bool = False

    @property
    def ok(self) -> bool:
        """Whether the check ran and found nothing to fix."""
        return not self.problems and not self.skipped


@dataclass
class Inputs:
    """What the checks read; each part is there only if the step that makes it succeeded."""

    settings_path: Path
    settings: Settings | None = None
    ctx: Context | None = None
    specs: tuple[TabSpec, ...] = ()
    tables: dict[str, Table] = field(default_factory=dict)  # the tabs that could be read


# A check of the register: its problems (an empty list: ok), given the tabs it needs.
CheckFunction = Callable[[Inputs], list[Problem]]


@dataclass(frozen=True)
class RegisterCheck:
    """A named check of what the register holds, what it says when ok, and the tabs it needs.

    With no ``tabs`` the check works on whichever tabs could be read; ``every_tab`` needs them all.
    """

    name: str
    passed: str
    run: CheckFunction
    tabs: tuple[str, ...] = ()
    every_tab: bool = False


def _attempt(name: str, fix: str, action: Callable[[], str]) -> Check:
    try:
        return Check(name, detail=action())
    except HsbError as problem:
        return Check(name, (Problem(str(problem), fix),))


def _uses_google(settings: Settings) -> bool:
    return bool(google_apis(settings))


def run_doctor(settings_path: Path) -> list[Check]:
    """Every check; one that cannot run because an earlier one failed is listed as skipped."""
    inputs = Inputs(settings_path)
    try:
        inputs.settings = load_settings(settings_path)
    except InvalidSettings as invalid:
        fix = "Edit hsb-sheets.toml as the message says."
        return [Check("Settings", tuple(Problem(f"{settings_path}: {p}", fix) for p in invalid.problems))]
    except HsbError as problem:
        return [Check("Settings", (Problem(str(problem), "Edit hsb-sheets.toml as the message says."),))]
    checks = [Check("Settings", detail=_describe(settings_path, inputs.settings))]
    checks += [token_check(_attempt, *api) for api in google_apis(inputs.settings)]
    checks.append(_line_check(key_files_check(inputs.settings)))
    checks.append(_credentials(inputs))
    if inputs.ctx is not None:
        linked = responses_check(_attempt, inputs.ctx.workbook)
        checks += linked
        if not all(check.ok for check in linked):  # not linked yet: check the rest of the register
            inputs.specs = tuple(spec for spec in inputs.specs if spec.name != FORM_RESPONSES)
    checks.append(_register(inputs))
    for check in REGISTER_CHECKS:
        checks.append(_register_check(check, inputs))
    return checks + _spreadsheet_settings(inputs) + _protection(inputs)


def _line_check(line: tuple[str, bool, str, str]) -> Check:
    """A data protection line (name, ok, detail, fix) as a doctor check."""
    name, ok, detail, fix = line
    if ok:  # a warning's fix is said with it, though it does not fail the check
        return Check(name, detail=f"{detail} {fix}".strip())
    return Check(name, (Problem(detail, fix),))


def _protection(inputs: Inputs) -> list[Check]:
    """Who can open the register, and the Audit log's hash chain (each needs its tab read)."""
    checks: list[Check] = []
    if inputs.ctx is not None and SETTINGS in inputs.tables:
        checks.append(_line_check(sharing_check(inputs.ctx, inputs.tables[SETTINGS])))
    if AUDIT_LOG in inputs.tables:
        checks.append(_line_check(audit_chain_check(inputs.tables[AUDIT_LOG])))
    return checks


def _spreadsheet_settings(inputs: Inputs) -> list[Check]:
    """Google's spreadsheet locale and time zone against Settings (nothing when Settings are unreadable)."""
    if inputs.ctx is None or SETTINGS not in inputs.tables:
        return []
    try:
        locale = read_policy(inputs.tables[SETTINGS]).date_locale
    except HsbError:
        return []  # the Settings tab check names the problem
    return spreadsheet_settings_check(_attempt, inputs.ctx.workbook, locale, inputs.ctx.timezone.key)


def _credentials(inputs: Inputs) -> Check:
    assert inputs.settings is not None
    fix = (
        "Check the key file and the delegated user in hsb-sheets.toml."
        if _uses_google(inputs.settings)
        else "Correct the path or setting in hsb-sheets.toml that the message names."
    )
    try:
        inputs.ctx = build_context(inputs.settings)
    except HsbError as problem:
        return Check("Credentials", (Problem(str(problem), fix),))
    header, _ = inputs.ctx.routing_seed
    inputs.specs = tuple(all_tab_specs(inputs.ctx.form, tuple(header)))
    return Check("Credentials", detail="credentials and adapters built")


def register_fix(settings: Settings) -> str:
    """How to make the register readable, for the backend in use (only Google has a service account)."""
    if settings.workbook.backend == "google":
        return (
            "Share the spreadsheet with the service account (the client_email in its key file) as an "
            "editor and check [workbook] spreadsheet_id, or run 'hsb-sheets setup' to add missing tabs."
        )
    return (
        "Run 'hsb-sheets setup' to create the register and its tabs, or set [workbook] path in "
        "hsb-sheets.toml to the register."
    )


def _register(inputs: Inputs) -> Check:
    """Read every tab; a tab that cannot be read is named, and the others are still checked."""
    if inputs.ctx is None or inputs.settings is None:
        return Check("Register", detail="not checked: the adapters could not be built", skipped=True)
    workbook, names = inputs.ctx.workbook, [spec.name for spec in inputs.specs]
    fix = register_fix(inputs.settings)
    try:
        inputs.tables = workbook.read(names)
        return Check("Register", detail=f"{len(inputs.tables)} tabs read")
    except HsbError:
        pass  # name each tab that cannot be read, and keep the others
    problems: list[Problem] = []
    for name in names:
        try:
            inputs.tables[name] = workbook.read([name])[name]
        except HsbError as problem:
            if str(problem) not in (p.detail for p in problems):  # one unreadable file: one line
                problems.append(Problem(str(problem), fix))
    return Check("Register", tuple(problems))


def _register_check(check: RegisterCheck, inputs: Inputs) -> Check:
    """One register check, or a skipped line when the tabs it needs could not be read."""
    needed = tuple(spec.name for spec in inputs.specs) if check.every_tab else check.tabs
    absent = [tab for tab in needed if tab not in inputs.tables]
    if inputs.ctx is None or not inputs.tables or absent:
        why = f"the '{absent[0]}' tab could not be read" if absent else "the register could not be read"
        return Check(check.name, detail=f"not checked: {why}", skipped=True)
    try:
        problems = check.run(inputs)
    except HsbError as problem:  # a check that cannot finish is itself a problem to fix
        problems = [Problem(str(problem), "Correct what the message names.")]
    return Check(check.name, tuple(problems), detail="" if problems else check.passed)


def _describe(path: Path, settings: Settings) -> str:
    backends = f"{settings.workbook.backend} register, {settings.mail.backend} mail"
    return f"{path} ({backends}, {settings.calendar.backend} calendar)"


def _ctx(inputs: Inputs) -> Context:
    assert inputs.ctx is not None  # _register_check runs a check only with a context
    return inputs.ctx


def _headers(inputs: Inputs) -> list[Problem]:
    """Each tab's missing columns, and each header that seems renamed (setup will not add those)."""
    found = check_headers(inputs.specs, {name: table.header for name, table in inputs.tables.items()})
    renamed = [
        Problem(rename.sentence(), "Rename the header in the register, then run 'hsb-sheets doctor' again.")
        for check in found
        for rename in check.renamed
    ]
    missing = [
        Problem(
            f"'{check.tab}': {', '.join(check.missing)}", "Run 'hsb-sheets setup' to add the missing columns."
        )
        for check in found
        if check.missing
    ]
    return renamed + missing


def _routing_rules(inputs: Inputs) -> list[Problem]:
    try:
        rules_from_tab(_ctx(inputs).form, inputs.tables[ROUTING_RULES])
    except HsbError as problem:
        return [Problem(str(problem), "Correct the row and column named in the Routing rules tab.")]
    return []


def _settings_tab(inputs: Inputs) -> list[Problem]:
    try:
        read_policy(inputs.tables[SETTINGS])
    except HsbError as problem:
        return [Problem(str(problem), "Correct the value named in the Settings tab.")]
    return []


def _directory(inputs: Inputs) -> list[Problem]:
    tab = inputs.tables[DIRECTORY]
    try:
        check_directory_header(tab.header)
    except HsbError as problem:
        return [Problem(str(problem), "Rename the column back, or run 'hsb-sheets setup'.")]
    directory = parse_directory(tab.records())
    found = [p for problems in directory.problems.values() for p in problems]
    for area in _ctx(inputs).form.field("child_area").choices:
        absent = [role for role in NEEDED_ROLES if not directory.lookup(area, role)]
        if absent:
            found.append(f"{area} has no {', '.join(absent)} contact")
    return [Problem(p, "Add or correct the contacts in the Directory tab.") for p in found]


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


def _keys(inputs: Inputs) -> list[Problem]:
    """Every keyed tab: the checks the jobs' writes make, before a job fails on them."""
    fix = (
        "Fill in the key or clear the row's other cells (a spreadsheet may keep formatted empty rows); "
        "keep one of each repeated row."
    )
    return [
        Problem(problem, fix)
        for tab, columns in _key_columns(inputs.specs).items()
        if tab in inputs.tables
        for problem in _key_problems(inputs.tables[tab], columns)
    ]


def _failed_jobs(inputs: Inputs) -> list[Problem]:
    """The jobs whose last run failed, with its error, from the Job status tab."""
    return [
        Problem(
            f"{r.get(JobStatusTab.JOB, '')} failed at {r.get(JobStatusTab.LAST_RUN, '')}: "
            f"{r.get(JobStatusTab.OUTCOME, '')[len(FAILED_PREFIX) :]}",
            f"Fix what the error names, then run 'hsb-sheets run --job {r.get(JobStatusTab.JOB, '')}' again.",
        )
        for r in inputs.tables[JOB_STATUS].records()
        if r.get(JobStatusTab.OUTCOME, "").startswith(FAILED_PREFIX)
    ]


def _dry_runs(inputs: Inputs) -> list[Problem]:
    """Each job as a dry run (nothing written or sent), and its writes checked as the register would."""
    found: list[str] = []
    for job in JOBS:
        try:
            outcome = run_job(_ctx(inputs), job, dry_run=True)
        except JobFailed as failure:
            found.append(str(failure))
            continue
        planned = getattr(outcome.report, "planned", None)
        if isinstance(planned, WriteBatch):
            found += [f"{job} would {problem}" for problem in _unwritable(planned, inputs.tables)]
    fix = "Correct the rows named (see also 'Row keys'), then run 'hsb-sheets doctor' again."
    return [Problem(problem, fix) for problem in found]


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


# The checks of what the register holds, in the order the report lists them. Add a check here as a
# function returning its problems; each runs even when another found problems.
REGISTER_CHECKS: list[RegisterCheck] = [
    RegisterCheck("Headers", "every tab has its columns", _headers),
    RegisterCheck("Routing rules", "the rules parse", _routing_rules, (ROUTING_RULES,)),
    RegisterCheck("Settings tab", "settings are valid", _settings_tab, (SETTINGS,)),
    RegisterCheck("Directory", "every area has every role", _directory, (DIRECTORY,)),
    RegisterCheck("Row keys", "every row jobs update has a key of its own", _keys),
    RegisterCheck("Last runs", "no job's last run failed", _failed_jobs, (JOB_STATUS,)),
    RegisterCheck(
        "Jobs (dry run)", f"{len(JOBS)} jobs plan their writes without a problem", _dry_runs, every_tab=True
    ),
]
