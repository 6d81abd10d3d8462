"""``run``: run jobs once against the configured backend."""

from __future__ import annotations

import click

from hsb_sheets.cli.common import AppState
from hsb_sheets.cli.report import print_digest, print_intake, print_meetings, print_reminders
from hsb_sheets.services.digest import run_digest
from hsb_sheets.services.intake import run_intake
from hsb_sheets.services.meetings import run_meetings
from hsb_sheets.services.reminders import run_reminders

JOBS = ("intake", "meetings", "reminders", "digest")


@click.command()
@click.option(
    "--job", "job_names", multiple=True, type=click.Choice(JOBS), help="Run only this job (repeatable)."
)
@click.option("--dry-run", is_flag=True, help="Show what would be written and sent; change nothing.")
@click.pass_obj
def run(state: AppState, job_names: tuple[str, ...], dry_run: bool) -> None:
    """Run jobs once (all of them unless --job is given)."""
    ctx = state.context()
    for job in job_names or JOBS:
        if job == "intake":
            print_intake(run_intake(ctx, dry_run=dry_run))
        elif job == "meetings":
            print_meetings(run_meetings(ctx, dry_run=dry_run))
        elif job == "reminders":
            print_reminders(run_reminders(ctx, dry_run=dry_run))
        else:
            print_digest(run_digest(ctx, dry_run=dry_run))
