"""``rules check``: validate the decision table and run its worked examples."""

from __future__ import annotations

from pathlib import Path

import click

from hsb_sheets.bootstrap import EXAMPLES_FILE
from hsb_sheets.cli.common import AppState, console
from hsb_sheets.services.rules_in_use import check_examples


@click.group()
def rules() -> None:
    """Work with the routing decision table."""


@rules.command()
@click.option(
    "--examples",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help=f"Worked examples CSV (default: the shipped hsb_sheets/{EXAMPLES_FILE}).",
)
@click.pass_obj
def check(state: AppState, examples: Path | None) -> None:
    """Check the table parses and covers every case, then run the worked examples."""
    source = state.rule_source()
    console.print(
        f"{len(source.table.rows)} rules from {source.origin} parse and give every case a "
        "service, a route and a recording system."
    )
    count, failures = check_examples(source, examples)
    for failure in failures:
        console.print(
            f"[red]FAIL[/red] {failure.example}: {failure.output} expected "
            f"'{failure.expected}', got '{failure.actual}'"
        )
    if failures:
        raise click.ClickException(f"{len(failures)} of {count} worked examples failed.")
    console.print(f"All {count} worked examples pass.")
