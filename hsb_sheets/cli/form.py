"""``form``: the referral form on the web (local mode)."""

from __future__ import annotations

import click

from hsb_sheets.cli.common import AppState, console


@click.group()
def form() -> None:
    """The referral form."""


@form.command()
@click.pass_obj
def publish(state: AppState) -> None:
    """Create the referral form in Google Forms, or update the published one in place."""
    from hsb_sheets.bootstrap import FORM_STATE, build_forms, load_form
    from hsb_sheets.services.google_form import LINK_STEPS
    from hsb_sheets.services.google_form import publish as publish_form

    settings = state.settings()
    form_definition = load_form(
        settings.resolve(settings.service.form_definition) if settings.service.form_definition else None
    )
    published = publish_form(
        form_definition, build_forms(settings), settings.resolve(FORM_STATE), settings.forms.form_id
    )
    verb = "Created" if published.created else "Updated"
    console.print(f"{verb} the form {published.form_id} with {len(published.items)} questions.")
    if published.published_now:
        console.print("Published it: it now accepts responses.")
    if published.responder_uri:
        console.print(f"Practitioners fill it in at {published.responder_uri}")
    console.print(f"Edit it at https://docs.google.com/forms/d/{published.form_id}/edit")
    if published.created:
        console.print("To link it to the register (the API cannot do this):")
        for number, step in enumerate(LINK_STEPS, start=1):
            console.print(f"  {number}. {step}")


@form.command()
@click.option(
    "--host",
    default="127.0.0.1",
    show_default=True,
    help="Address to listen on (put a TLS reverse proxy in front; see [web] trusted_proxy).",
)
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
        serve_form(state.context(), host, port, ready, state.settings().web)
    except KeyboardInterrupt:
        console.print("Stopped.")
