"""``form``: the referral form on the web (local mode)."""

from __future__ import annotations

import click

from hsb_sheets.cli.common import AppState, console


@click.group()
def form() -> None:
    """The referral form."""


@form.command()
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option(
    "--port", default=8080, show_default=True, type=int, help="Port to listen on (0: any free port)."
)
@click.pass_obj
def serve(state: AppState, host: str, port: int) -> None:
    """Serve the referral form; submissions go to 'Form responses 1' as Google Forms would put them."""
    from hsb_sheets.web.form_app import serve as serve_form

    def ready(url: str) -> None:
        console.print(f"The referral form is at {url} (Ctrl-C to stop).")

    try:
        serve_form(state.context(), host, port, ready)
    except KeyboardInterrupt:
        console.print("Stopped.")
