"""Workspace commands: ``init``, ``setup`` and ``demo``."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import click
from rich.table import Table

from hsb_sheets.cli.common import AppState, console
from hsb_sheets.cli.report import Printer
from hsb_sheets.domain.tabs import FORM_RESPONSES
from hsb_sheets.services.demo import CaseKind, prepare_demo, run_demo
from hsb_sheets.services.setup import setup_register
from hsb_sheets.services.workspace import init_workspace


@click.command()
@click.argument("directory", default=".", type=click.Path(file_okay=False, path_type=Path))
def init(directory: Path) -> None:
    """Make a local workspace in DIRECTORY: settings, register workbook and outbox."""
    workspace = init_workspace(directory)
    console.print(f"Workspace ready in {directory}.")
    for change in workspace.changes:
        console.print(f"  {change}")
    console.print(f"Register: {workspace.settings.resolve(workspace.settings.workbook.path)}")


@click.command()
@click.option(
    "--update-rules",
    is_flag=True,
    help="Replace the Routing rules tab with the shipped table (its old rows are kept in the Audit log).",
)
@click.pass_obj
def setup(state: AppState, update_rules: bool) -> None:
    """Create or repair the register: tabs, header rows, seeded rules and settings."""
    changes = setup_register(state.context(), update_rules=update_rules)
    if not changes:
        console.print("The register is already set up; nothing changed.")
    for change in changes:
        console.print(change)


@click.command()
@click.argument("directory", default="demo-workspace", type=click.Path(file_okay=False, path_type=Path))
def demo(directory: Path) -> None:
    """Make a workspace with fictional referrals, run every job once and show what happened."""
    prepared = prepare_demo(directory)
    if prepared.added:
        console.print(f"Added {prepared.added} fictional form responses to '{FORM_RESPONSES}'.")
    run = run_demo(prepared, Printer())
    console.print(_cases_table(run.cases))
    for title, lines in (
        ("What coordinators did", run.coordinators_did),
        ("What the jobs did", run.jobs_did),
    ):
        if lines:
            console.print(f"{title}:")
            for line in lines:
                console.print(f"  {line}", markup=False, highlight=False)
    console.print(f"Register:  {run.register}")
    console.print(f"Emails:    {run.outbox} (.eml files; open them in any mail program)")
    console.print(f"Invites:   {run.invites} (the latest .ics of each meeting)")
    console.print(
        f"Run again: hsb-sheets --config {prepared.workspace.settings_file} run  (nothing is duplicated)"
    )


def _cases_table(cases: Counter[CaseKind]) -> Table:
    """Cases on the register by service, route and meeting (no personal data)."""
    table = Table(title="Cases on the register")
    for column in ("Service", "Route", "Meeting", "Cases"):
        table.add_column(column, justify="right" if column == "Cases" else "left")
    for (service, route, meeting), count in sorted(cases.items()):
        table.add_row(service, route, meeting or "-", str(count))
    return table
