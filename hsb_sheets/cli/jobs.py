"""``run``, ``worker`` and ``status``: the jobs once, on their schedules, and how they last went."""

from __future__ import annotations

import click

from hsb_sheets.cli.common import AppState, console
from hsb_sheets.cli.layout import show
from hsb_sheets.cli.report import Printer
from hsb_sheets.domain.tabs import JobStatusTab
from hsb_sheets.services.runner import JOBS, run_jobs
from hsb_sheets.services.status import read_status


@click.command()
@click.option(
    "--job", "job_names", multiple=True, type=click.Choice(list(JOBS)), help="Run only this job (repeatable)."
)
@click.option(
    "--once", is_flag=True, help="Run every job once (for cron or a scheduled container); the default."
)
@click.option("--dry-run", is_flag=True, help="Show what would be written and sent; change nothing.")
@click.pass_obj
def run(state: AppState, job_names: tuple[str, ...], once: bool, dry_run: bool) -> None:
    """Run jobs once (all of them unless --job is given), holding the run lease.

    A job that fails does not stop the others; the exit status is then 1, naming each failed job.
    """
    if once and job_names:
        raise click.UsageError("--once runs every job; leave out --job, or leave out --once.")
    run_jobs(state.context(), job_names, dry_run=dry_run, watcher=Printer(spinner=True))


@click.command()
@click.pass_obj
def worker(state: AppState) -> None:
    """Run the jobs on their schedules (Settings: [schedule]) until stopped with SIGTERM or Ctrl-C."""
    from hsb_sheets.scheduler import run_worker

    run_worker(state.settings(), state.context())


@click.command()
@click.pass_obj
def status(state: AppState) -> None:
    """The last run of each job, and anything failing or waiting for a person (exit status 0: a report)."""
    report = read_status(state.context())
    rows = [
        (
            row[JobStatusTab.JOB],
            row.get(JobStatusTab.LAST_RUN) or "never",
            row.get(JobStatusTab.OUTCOME, ""),
            row.get(JobStatusTab.DURATION, ""),
            row.get(JobStatusTab.COUNTS, ""),
        )
        for row in report.jobs
    ]
    show("Jobs", ("Job", "Last run", "Outcome", "Seconds", "Counts"), rows)
    for line in report.attention:
        console.print(f"[yellow]attention[/yellow] {line}")
    if not report.attention:
        console.print("Nothing is failing or waiting for a person.")
