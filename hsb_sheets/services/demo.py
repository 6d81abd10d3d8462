"""The demo: a local workspace with fictional referrals, every job run once, and what happened.

Two steps, so the command line can say what was added before the jobs' own summaries: prepare the
workspace (settings, register, fictional Directory and responses), then run the jobs.

A real register must never receive fictional referrals, nor real people the demo's mail: the demo
refuses a folder that holds a workspace it did not make (it marks its own), and its workspace is
always local, whatever its settings file or the environment say: the register beside the settings,
emails as ``.eml`` files in its outbox, invitations as ``.ics`` files.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

from hsb_sheets.bootstrap import DIRECTORY_EXAMPLE
from hsb_sheets.config import (
    SETTINGS_FILE,
    CalendarSettings,
    FormsSettings,
    MailSettings,
    Settings,
    WorkbookSettings,
    load_settings,
)
from hsb_sheets.domain.tabs import FORM_RESPONSES, REFERRALS, ReferralsTab
from hsb_sheets.errors import ConfigError
from hsb_sheets.resources import shipped
from hsb_sheets.services.demo_coordinators import TABS, add_coordinator_edits, coordinators_did, jobs_did
from hsb_sheets.services.demo_data import demo_responses
from hsb_sheets.services.overview import overview_batch
from hsb_sheets.services.rule_source import read_rule_csv
from hsb_sheets.services.runner import JobOutcome, Quiet, Watcher, watch_job
from hsb_sheets.services.workspace import Workspace, add_demo_interventions, import_responses, init_workspace

CaseKind = tuple[str, str, str]  # service, route, meeting
DEMO_MARKER = ".hsb-state/demo-workspace"  # written first into every workspace the demo makes
MARKER_TEXT = "Made by 'hsb-sheets demo': fictional referrals only. Never point real settings here.\n"


@dataclass
class Demo:
    """A demo workspace made ready, and how many fictional responses this time added to it."""

    workspace: Workspace
    added: int


@dataclass
class DemoRun:
    """What running the demo's jobs did, and where to look at the results."""

    outcomes: list[JobOutcome] = field(default_factory=list)
    cases: Counter[CaseKind] = field(default_factory=Counter)
    register: Path = Path()
    outbox: Path = Path()
    invites: Path = Path()
    coordinators_did: list[str] = field(default_factory=list)  # case ids and register values, no names
    jobs_did: list[str] = field(default_factory=list)


def claim_folder(directory: Path) -> None:
    """Refuse a folder holding settings or a register the demo did not make; mark a new one as the demo's."""
    marker = directory / DEMO_MARKER
    if marker.is_file():
        return
    found = [name for name in (SETTINGS_FILE, WorkbookSettings().path) if (directory / name).exists()]
    if found:
        raise ConfigError(
            f"{directory} holds a workspace the demo did not make ({' and '.join(found)}); the demo adds "
            "fictional referrals and never does so to a real register. Run it in a new folder, for example "
            "'hsb-sheets demo demo-workspace'."
        )
    try:
        marker.parent.mkdir(parents=True, exist_ok=True)
        marker.write_text(MARKER_TEXT, encoding="utf-8")
    except OSError as problem:
        raise ConfigError(f"Cannot make the demo workspace in {directory}: {problem.strerror}.") from None


def demo_settings(settings_file: Path) -> Settings:
    """The demo's settings: its file's, with no environment overrides and every backend local."""
    settings = load_settings(settings_file, environ={})
    local = {
        "workbook": WorkbookSettings(),
        "mail": MailSettings(),
        "calendar": CalendarSettings(),
        "forms": FormsSettings(),
    }
    return settings.model_copy(update=local)


def prepare_demo(directory: Path) -> Demo:
    """Make the workspace with the fictional Directory; add the fictional responses once."""
    claim_folder(directory)
    seed = read_rule_csv(shipped(DIRECTORY_EXAMPLE))
    workspace = init_workspace(directory, directory_seed=seed, load=demo_settings)
    ctx = workspace.ctx
    with ctx.workbook.session():
        has_responses = bool(ctx.workbook.read([FORM_RESPONSES])[FORM_RESPONSES].rows)
    added = 0
    if not has_responses:
        header, rows = demo_responses(ctx.form, ctx.now())
        added, _ = import_responses(ctx, header, rows)
    return Demo(workspace, added)


def run_demo(demo: Demo, watcher: Watcher | None = None) -> DemoRun:
    """Run every job, holding the run lease: intake, meetings, then what coordinators type, then again.

    Interventions join after intake; the coordinators' edits (a meeting held with decisions, a route
    override, linked cases, a criminal status now, a step done) after the first meetings run, so that
    the second acts on them, and reminders and the digest see the result.
    """
    watcher = watcher or Quiet()
    ctx, settings = demo.workspace.ctx, demo.workspace.settings
    run = DemoRun(
        register=settings.resolve(settings.workbook.path),
        outbox=settings.resolve(settings.mail.outbox),
        invites=settings.resolve(settings.calendar.ics_folder),
    )
    with ctx.lease.hold():
        run.outcomes.append(watch_job(ctx, "intake", watcher))
        add_demo_interventions(ctx)
        run.outcomes.append(watch_job(ctx, "meetings", watcher))
        if add_coordinator_edits(ctx):
            run.outcomes.append(watch_job(ctx, "meetings", watcher))
        for job in ("reminders", "digest"):
            run.outcomes.append(watch_job(ctx, job, watcher))
        ctx.workbook.write(overview_batch(ctx))  # as a run's last write brings it up to date
    tables = ctx.workbook.read(TABS)
    run.cases = cases_by_kind(tables[REFERRALS].records())
    run.coordinators_did = coordinators_did(ctx.form, tables)
    run.jobs_did = jobs_did(ctx.form, tables)
    return run


def cases_by_kind(records: Iterable[Mapping[str, str]]) -> Counter[CaseKind]:
    """How many cases the register holds of each service, route and meeting (no personal data)."""
    return Counter(
        (r.get(ReferralsTab.SERVICE, ""), r.get(ReferralsTab.ROUTE, ""), r.get(ReferralsTab.MEETING, ""))
        for r in records
    )
