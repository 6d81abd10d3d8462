"""The referral form as a small WSGI application, for local mode (`hsb-sheets form serve`).

It renders the same form as hsb_sheets/config/referral_form.yaml defines, validates with the same core rules,
shows errors beside the questions with a summary at the top (as GOV.UK forms do), protects against
cross-site requests with a double-submit token, and appends every submission, valid or not, to
"Form responses 1" exactly as Google Forms would (the intake job then decides).
"""

from __future__ import annotations

import secrets
from collections.abc import Callable, Iterable
from http import cookies
from typing import Any
from urllib.parse import parse_qs

from hsb_sheets.domain.form import TIMESTAMP
from hsb_sheets.domain.validation import validate_response
from hsb_sheets.services.context import Context
from hsb_sheets.services.workspace import import_responses

StartResponse = Callable[[str, list[tuple[str, str]]], Any]
CSRF = "csrf_token"


class Values:
    """Submitted values by field id, as the template asks for them."""

    def __init__(self, data: dict[str, list[str]]) -> None:
        self.data = data

    def get(self, key: str, default: str = "") -> str:
        return self.data.get(key, [default])[0]

    def getlist(self, key: str) -> list[str]:
        return self.data.get(key, [])


class FormApp:
    """GET shows the form; POST records the submission and shows the result."""

    def __init__(self, ctx: Context) -> None:
        self.ctx = ctx

    def _page(
        self, start: StartResponse, status: str, body: str, token: str | None = None
    ) -> Iterable[bytes]:
        headers = [
            ("Content-Type", "text/html; charset=utf-8"),
            ("X-Frame-Options", "DENY"),
            ("Content-Security-Policy", "default-src 'self'; style-src 'unsafe-inline'"),
            ("Cache-Control", "no-store"),
        ]
        if token:
            headers.append(("Set-Cookie", f"{CSRF}={token}; HttpOnly; SameSite=Strict; Path=/"))
        start(status, headers)
        return [body.encode("utf-8")]

    def _form(self, token: str, values: Values, errors: dict[str, str]) -> str:
        return self.ctx.templates.render(
            "web/form.html.j2", form=self.ctx.form, values=values, errors=errors, csrf_token=token
        )

    def __call__(self, environ: dict[str, Any], start: StartResponse) -> Iterable[bytes]:
        method, path = environ.get("REQUEST_METHOD", "GET"), environ.get("PATH_INFO", "/")
        if path != "/":
            return self._page(start, "404 Not Found", "<h1>Page not found</h1>")
        if method == "GET":
            token = secrets.token_urlsafe(24)
            return self._page(start, "200 OK", self._form(token, Values({}), {}), token)
        if method != "POST":
            return self._page(start, "405 Method Not Allowed", "<h1>Method not allowed</h1>")
        length = int(environ.get("CONTENT_LENGTH") or 0)
        if length > 200_000:
            return self._page(start, "413 Content Too Large", "<h1>That is too much text</h1>")
        data = parse_qs(environ["wsgi.input"].read(length).decode("utf-8"), keep_blank_values=True)
        jar = cookies.SimpleCookie(environ.get("HTTP_COOKIE", ""))
        cookie = jar[CSRF].value if CSRF in jar else ""
        if not cookie or data.get(CSRF, [""])[0] != cookie:
            return self._page(
                start, "403 Forbidden", "<h1>The form expired</h1><p><a href='/'>Start again</a></p>"
            )
        return self._submit(start, data, cookie)

    def _submit(self, start: StartResponse, data: dict[str, list[str]], token: str) -> Iterable[bytes]:
        now = self.ctx.now()
        answers = {}
        for f in self.ctx.form.fields:
            picked = [v for v in data.get(f.id, []) if v]
            answers[f.id] = ", ".join(picked) if f.type == "checkboxes" else (picked[0] if picked else "")
        header = [TIMESTAMP, *(f.title for f in self.ctx.form.fields)]
        row = [now.strftime("%d/%m/%Y %H:%M:%S"), *(answers[f.id] for f in self.ctx.form.fields)]
        import_responses(self.ctx, header, [row])  # every submission is kept, as Google Forms keeps it
        checked = validate_response(self.ctx.form, answers, now)
        if isinstance(checked, list):
            errors: dict[str, str] = {}
            for problem in checked:
                errors.setdefault(problem.field, problem.message)
            return self._page(start, "200 OK", self._form(token, Values(data), errors))
        return self._page(start, "200 OK", self.ctx.templates.render("web/sent.html.j2"))


def make_form_server(ctx: Context, host: str, port: int) -> Any:
    """A threaded WSGI server for the form (a slow client blocks nobody); port 0 picks a free one."""
    from socketserver import ThreadingMixIn
    from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

    class Server(ThreadingMixIn, WSGIServer):
        daemon_threads = True

    class Quiet(WSGIRequestHandler):
        def log_message(self, format: str, *args: Any) -> None:  # request lines could carry form data
            return

    return make_server(host, port, FormApp(ctx), server_class=Server, handler_class=Quiet)


def serve(ctx: Context, host: str, port: int, ready: Callable[[str], None] | None = None) -> None:
    """Serve the form until interrupted."""
    with make_form_server(ctx, host, port) as server:
        if ready is not None:
            ready(f"http://{host}:{server.server_port}/")
        server.serve_forever()
