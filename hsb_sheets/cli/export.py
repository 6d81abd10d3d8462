"""``export CASE_ID``: everything held about one child, in one file for the data protection officer."""

from __future__ import annotations

import getpass
from pathlib import Path

import click

from hsb_sheets.cli.common import AppState, console
from hsb_sheets.services.subject_access import FORMATS, default_output, export_case


def _os_user() -> str:
    try:
        return getpass.getuser()
    except (KeyError, OSError):  # no name for this user id (a container)
        return "unknown user"


@click.command()
@click.argument("case_id")
@click.option("--format", "fmt", type=click.Choice(FORMATS), default="pdf", show_default=True)
@click.option(
    "--output",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="The file to write (it must not exist; default: subject-access-CASE_ID-DATE.FORMAT here).",
)
@click.option(
    "--requested-by",
    default=None,
    help="Who asked for the export, for the audit log (default: the user running this command).",
)
@click.pass_obj
def export(state: AppState, case_id: str, fmt: str, output: Path | None, requested_by: str | None) -> None:
    """Gather everything held about a case's child for a subject access request, into one file.

    Other people's details (the referrer, professionals), free text that may name them, and other
    children's case ids are marked for redaction. The file is readable by you alone (mode 0600), and
    the export is recorded in the Audit log.
    """
    ctx = state.context()
    who = " ".join((requested_by or _os_user()).split()) or _os_user()
    path = output or default_output(case_id, fmt, ctx.now().date().isoformat())
    dossier = export_case(ctx, case_id, fmt, path, who)
    console.print(
        f"Wrote {path}: {len(dossier.items)} value(s) held about {dossier.case_id}, "
        f"{dossier.marked} marked for redaction. The export is recorded in the Audit log."
    )
