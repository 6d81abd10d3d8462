"""``triage FILE``: validate and route a CSV of responses, with no side effects."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import click

from hsb_sheets.cli.common import AppState
from hsb_sheets.cli.layout import show
from hsb_sheets.services.triage import triage_file


def _parse_today(_: click.Context, __: click.Parameter, value: str | None) -> date | None:
    if value is None:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise click.BadParameter("use the form YYYY-MM-DD") from None


@click.command()
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--format", "output", type=click.Choice(["table", "json"]), default="table", show_default=True)
@click.option(
    "--today",
    callback=_parse_today,
    help="Received date for rows without a Timestamp (YYYY-MM-DD; default: today where the service is).",
)
@click.pass_obj
def triage(state: AppState, file: Path, output: str, today: date | None) -> None:
    """Validate and route every response in FILE (headers: question titles or field ids)."""
    source = state.rule_source()
    results = triage_file(source, file, state.clock(), today)
    if output == "json":
        click.echo(json.dumps(results, indent=2, ensure_ascii=False))
        return
    headers = ("Row", "Valid", "Service", "Route", "Meeting", "Tools", "Flags / problems")
    rows: list[tuple[str, ...]] = []
    for result in results:
        if result["valid"]:
            d = result["decision"]
            rows.append(
                (
                    str(result["row"]),
                    "yes",
                    d["service"],
                    d["route"],
                    d["meeting"] or "",
                    ", ".join(d["assessment_tools"]),
                    ", ".join(d["flags"]),
                )
            )
        else:
            problems = "\n".join(e["message"] for e in result["errors"])
            rows.append((str(result["row"]), "no", "", "", "", "", problems))
    show(f"Triage of {file.name} (rules from {source.origin})", headers, rows)
