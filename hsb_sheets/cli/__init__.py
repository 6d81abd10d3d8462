"""The ``hsb-sheets`` command line (click). Expected failures end with one message, never a traceback."""

from __future__ import annotations

from typing import Any

import click

from hsb_sheets.cli.common import AppState
from hsb_sheets.errors import HsbError


class _Group(click.Group):
    """Turns expected failures (HsbError) into a one-line message and exit status 1."""

    def invoke(self, ctx: click.Context) -> Any:
        from hsb_sheets.adapters.google_auth_errors import TOKEN_ERRORS, explain_token_error

        try:
            return super().invoke(ctx)
        except HsbError as problem:
            raise click.ClickException(str(problem)) from None
        except TOKEN_ERRORS as problem:  # an adapter that did not explain it itself
            raise click.ClickException(str(explain_token_error(problem))) from None


@click.group(cls=_Group)
@click.option(
    "--config",
    "config_path",
    envvar="HSB_SHEETS_CONFIG",
    type=click.Path(dir_okay=False),
    default=None,
    help="Settings file (default: ./hsb-sheets.toml).",
)
@click.version_option(package_name="hsb-sheets")
@click.pass_context
def cli(ctx: click.Context, config_path: str | None) -> None:
    """Run the Harmful Sexual Behaviour referral service on a register workbook."""
    ctx.obj = AppState(config_path)
    ctx.obj.configure_logging()


def main() -> None:
    """Console script entry point."""
    cli(prog_name="hsb-sheets")


def _register_commands() -> None:
    from hsb_sheets.cli import doctor, export, form, jobs, rules, triage, workspace

    cli.add_command(workspace.init)
    cli.add_command(workspace.setup)
    cli.add_command(workspace.demo)
    cli.add_command(jobs.run)
    cli.add_command(jobs.worker)
    cli.add_command(jobs.status)
    cli.add_command(triage.triage)
    cli.add_command(rules.rules)
    cli.add_command(doctor.doctor)
    cli.add_command(form.form)
    cli.add_command(export.export)


_register_commands()
