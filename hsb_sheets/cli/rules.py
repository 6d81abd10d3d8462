"""``rules check``: validate the decision table and run its worked examples."""

from __future__ import annotations

from pathlib import Path

import click

from hsb_sheets.bootstrap import EXAMPLES_FILE
from hsb_sheets.cli.common import AppState, console
from hsb_sheets.domain.tabs import ROUTING_RULES
from hsb_sheets.services.rules_in_use import check_examples, workspace_rules_difference
from hsb_sheets.services.rules_update import UPDATE_HINT


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
    """Check the table parses and covers every case, then run the worked examples.

    In a workspace, first say how the register's Routing rules tab differs from the shipped table.
    """
    if state.has_workspace():
        _show_difference(state)
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
        failed = len({f.example for f in failures})
        raise click.ClickException(f"{failed} of {count} worked examples failed.")
    console.print(f"All {count} worked examples pass.")


def _show_difference(state: AppState) -> None:
    difference = workspace_rules_difference(state.context())
    if not difference:
        console.print(f"The '{ROUTING_RULES}' tab holds the shipped table.")
        return
    console.print(f"The '{ROUTING_RULES}' tab differs from the shipped table ({difference.summary()}):")
    for line in difference.describe():
        console.print(f"  {line}")
    console.print(UPDATE_HINT)
