"""Workspace commands: ``init``, ``setup`` and ``demo``."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping
from pathlib import Path

import click
from rich.table import Table

from hsb_sheets.bootstrap import DIRECTORY_EXAMPLE, build_context
from hsb_sheets.cli.common import AppState, console
from hsb_sheets.cli.report import print_outcome
from hsb_sheets.config import load_settings
from hsb_sheets.domain.tabs import FORM_RESPONSES, REFERRALS
from hsb_sheets.resources import shipped
from hsb_sheets.services.demo_data import demo_responses
from hsb_sheets.services.rule_source import read_rule_csv
from hsb_sheets.services.runner import run_job
from hsb_sheets.services.setup import setup_register
from hsb_sheets.services.workspace import add_demo_interventions, create_workspace, import_responses


@click.command()
@click.argument("directory", default=".", type=click.Path(file_okay=False, path_type=Path))
def init(directory: Path) -> None:
    """Make a local workspace in DIRECTORY: settings, register workbook and outbox."""
    settings = load_settings(create_workspace(directory))
    changes = setup_register(build_context(settings))
    console.print(f"Workspace ready in {directory}.")
    for change in changes:
        console.print(f"  {change}")
    console.print(f"Register: {settings.resolve(settings.workbook.path)}")


@click.command()
@click.pass_obj
def setup(state: AppState) -> None:
    """Create or repair the register: tabs, header rows, seeded rules and settings."""
    changes = setup_register(state.context())
    if not changes:
        console.print("The register is already set up; nothing changed.")
    for change in changes:
        console.print(change)


@click.command()
@click.argument("directory", default="demo-workspace", type=click.Path(file_okay=False, path_type=Path))
def demo(directory: Path) -> None:
    """Make a workspace with fictional referrals, run every job once and show what happened."""
    settings = load_settings(create_workspace(directory))
    ctx = build_context(settings)
    setup_register(ctx, directory_seed=read_rule_csv(shipped(DIRECTORY_EXAMPLE)))
    with ctx.workbook.session():
        has_responses = bool(ctx.workbook.read([FORM_RESPONSES])[FORM_RESPONSES].rows)
    if not has_responses:
        header, rows = demo_responses(ctx.form, ctx.now())
        added, _ = import_responses(ctx, header, rows)
        console.print(f"Added {added} fictional form responses to '{FORM_RESPONSES}'.")
    with ctx.lease.hold():
        print_outcome(run_job(ctx, "intake"))
        add_demo_interventions(ctx)
        print_outcome(run_job(ctx, "meetings"))
        print_outcome(run_job(ctx, "reminders"))
        print_outcome(run_job(ctx, "digest"))
    console.print(_routes_table(ctx.workbook.read([REFERRALS])[REFERRALS].records()))
    console.print(f"Register:  {settings.resolve(settings.workbook.path)}")
    console.print(
        f"Emails:    {settings.resolve(settings.mail.outbox)} (.eml files; open them in any mail program)"
    )
    console.print(
        f"Invites:   {settings.resolve(settings.calendar.ics_folder)} (the latest .ics of each meeting)"
    )
    console.print(
        f"Run again: hsb-sheets --config {directory / 'hsb-sheets.toml'} run  (nothing is duplicated)"
    )


def _routes_table(records: Iterable[Mapping[str, str]]) -> Table:
    """Cases on the register by service, route and meeting (no personal data)."""
    counts = Counter((r.get("Service", ""), r.get("Route", ""), r.get("Meeting", "")) for r in records)
    table = Table(title="Cases on the register")
    for column in ("Service", "Route", "Meeting", "Cases"):
        table.add_column(column, justify="right" if column == "Cases" else "left")
    for (service, route, meeting), count in sorted(counts.items()):
        table.add_row(service, route, meeting or "-", str(count))
    return table
