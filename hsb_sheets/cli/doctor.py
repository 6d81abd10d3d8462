"""``doctor``: check settings, credentials, the register, the rules and the Directory."""

from __future__ import annotations

import click
from rich.markup import escape

from hsb_sheets.cli.common import AppState, console
from hsb_sheets.services.doctor import Check, run_doctor

MARK = {"ok": "[green]ok  [/green]", "fix": "[red]fix [/red]", "skip": "[yellow]skip[/yellow]"}


@click.command()
@click.pass_obj
def doctor(state: AppState) -> None:
    """Check that everything the jobs need is in place, with a hint for anything that is not.

    Every problem is listed at once, each on its own line with how to fix it underneath.
    """
    checks = run_doctor(state.config_path)
    console.print("hsb-sheets doctor")
    for check in checks:
        print_check(check)
    problems = sum(len(check.problems) for check in checks)
    failing = [check.name for check in checks if check.problems]
    if failing:
        raise click.ClickException(
            f"{problems} problem(s) in {len(failing)} check(s) need attention: {', '.join(failing)}."
        )
    console.print("Everything the jobs need is in place.")


def print_check(check: Check) -> None:
    """A check's lines: 'ok' or 'skip' with what it saw, or one 'fix' line per problem and its hint.

    Lines are printed whole (the terminal wraps them), so that logs and searches find each one.
    """
    if not check.problems:
        mark = MARK["skip"] if check.skipped else MARK["ok"]
        console.print(f"{mark} {escape(check.name)}: {escape(check.detail)}")
        return
    for problem in check.problems:
        console.print(f"{MARK['fix']} {escape(check.name)}: {escape(problem.detail)}")
        console.print(f"     Fix: {escape(problem.fix)}")
