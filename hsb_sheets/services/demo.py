"""The demo: a local workspace with fictional referrals, every job run once, and what happened.

Two steps, so the command line can say what was added before the jobs' own summaries: prepare the
workspace (settings, register, fictional Directory and responses), then run the jobs.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

from hsb_sheets.bootstrap import DIRECTORY_EXAMPLE
from hsb_sheets.domain.tabs import FORM_RESPONSES, REFERRALS, ReferralsTab
from hsb_sheets.resources import shipped
from hsb_sheets.services.demo_data import demo_responses
from hsb_sheets.services.rule_source import read_rule_csv
from hsb_sheets.services.runner import JobOutcome, Quiet, Watcher, watch_job
from hsb_sheets.services.workspace import Workspace, add_demo_interventions, import_responses, init_workspace

CaseKind = tuple[str, str, str]  # service, route, meeting


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


def prepare_demo(directory: Path) -> Demo:
    """Make the workspace with the fictional Directory; add the fictional responses once."""
    workspace = init_workspace(directory, directory_seed=read_rule_csv(shipped(DIRECTORY_EXAMPLE)))
    ctx = workspace.ctx
    with ctx.workbook.session():
        has_responses = bool(ctx.workbook.read([FORM_RESPONSES])[FORM_RESPONSES].rows)
    added = 0
    if not has_responses:
        header, rows = demo_responses(ctx.form, ctx.now())
        added, _ = import_responses(ctx, header, rows)
    return Demo(workspace, added)


def run_demo(demo: Demo, watcher: Watcher | None = None) -> DemoRun:
    """Run every job once (interventions join after intake), holding the run lease."""
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
        for job in ("meetings", "reminders", "digest"):
            run.outcomes.append(watch_job(ctx, job, watcher))
    run.cases = cases_by_kind(ctx.workbook.read([REFERRALS])[REFERRALS].records())
    return run


def cases_by_kind(records: Iterable[Mapping[str, str]]) -> Counter[CaseKind]:
    """How many cases the register holds of each service, route and meeting (no personal data)."""
    return Counter(
        (r.get(ReferralsTab.SERVICE, ""), r.get(ReferralsTab.ROUTE, ""), r.get(ReferralsTab.MEETING, ""))
        for r in records
    )
