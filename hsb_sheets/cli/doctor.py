"""``doctor``: check settings, credentials, the register, the rules and the Directory."""

from __future__ import annotations

import click
from rich.table import Table

from hsb_sheets.cli.common import AppState, console
from hsb_sheets.services.doctor import run_doctor


@click.command()
@click.pass_obj
def doctor(state: AppState) -> None:
    """Check that everything the jobs need is in place, with a hint for anything that is not."""
    checks = run_doctor(state.config_path)
    table = Table(title="hsb-sheets doctor")
    for column in ("Check", "", "Detail", "How to fix"):
        table.add_column(column)
    for check in checks:
        table.add_row(
            check.name, "[green]ok[/green]" if check.ok else "[red]fix[/red]", check.detail, check.fix
        )
    console.print(table)
    failing = [c.name for c in checks if not c.ok]
    for check in checks:  # the same again as plain lines, whole, for logs and narrow terminals
        if not check.ok:
            console.print(f"{check.name}: {check.detail} Fix: {check.fix}")
    if failing:
        raise click.ClickException(f"{len(failing)} check(s) need attention: {', '.join(failing)}.")
    console.print("Everything the jobs need is in place.")
