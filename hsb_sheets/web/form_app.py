"""The referral form as a small WSGI application, for local mode (`hsb-sheets form serve`).

It renders the same form as hsb_sheets/config/referral_form.yaml defines, validates with the same
core rules, shows errors beside the questions with a summary at the top (as GOV.UK forms do) and
protects against cross-site requests with a double-submit token. A submission that fails a check is
shown back and stored nowhere. An accepted one is stored in the journal before the browser is
answered, then copied into "Form responses 1" in the background; if the register is busy or held
open, the next intake run copies it.
"""

from __future__ import annotations

import logging
import secrets
import threading
import time
import uuid
from collections.abc import Callable, Iterable
from datetime import UTC, datetime, timedelta
from http import cookies
from typing import Any
from urllib.parse import parse_qs

from hsb_sheets.adapters.journal.base import JournalError
from hsb_sheets.domain.validation import validate_response
from hsb_sheets.errors import HsbError
from hsb_sheets.services.context import Context
from hsb_sheets.services.submissions import copy_submissions, submission_for

StartResponse = Callable[[str, list[tuple[str, str]]], Any]
CSRF = "csrf_token"
NOT_STORED = (
    "Your referral could not be saved, so it has not been sent yet. Your answers are still here: "
    "send it again in a few minutes"
)
log = logging.getLogger(__name__)


class Values:
    """Submitted values by field id, as the template asks for them."""

    def __init__(self, data: dict[str, list[str]]) -> None:
        self.data = data

    def get(self, key: str, default: str = "") -> str:
        return self.data.get(key, [default])[0]

    def getlist(self, key: str) -> list[str]:
        return self.data.get(key, [])


class Copier:
    """Copies the journal's submissions into the register on a background thread, one copy at a time,
    so the browser never waits for the register (which an intake run or a desktop program may hold)."""

    def __init__(self, copy: Callable[[], object]) -> None:
        self._copy = copy
        self._lock = threading.Lock()
        self._wanted = False
        self._thread: threading.Thread | None = None

    def request(self) -> None:
        """Ask for a copy soon (requests made while one runs are served by one more copy)."""
        with self._lock:
            self._wanted = True
            if self._thread is None:
                self._thread = threading.Thread(target=self._run, name="form-copier", daemon=True)
                self._thread.start()

    def wait(self, timeout: float) -> bool:
        """Wait until no copy is running or wanted; False if still busy after ``timeout`` seconds."""
        deadline = time.monotonic() + timeout
        while True:
            with self._lock:
                thread = self._thread
            remaining = deadline - time.monotonic()
            if thread is None or remaining <= 0:
                return thread is None
            thread.join(remaining)

    def _run(self) -> None:
        while True:
            with self._lock:
                if not self._wanted:
                    self._thread = None
                    return
                self._wanted = False
            try:
                self._copy()
            except HsbError as problem:  # messages carry no personal data
                log.warning("Web-form submissions wait in the journal for the next intake run: %s", problem)
            except Exception as problem:  # never let the thread die silently; never log the data
                log.error(
                    "Copying web-form submissions failed (%s); intake will copy them.", type(problem).__name__
                )


class FormApp:
    """GET shows the form; POST checks the submission, stores it if accepted, and shows the result."""

    def __init__(self, ctx: Context) -> None:
        self.ctx = ctx
        self.copier = Copier(lambda: copy_submissions(ctx, ctx.journal))
        self._last = datetime.min.replace(tzinfo=UTC)
        self._instants = threading.Lock()

    def _instant(self) -> datetime:
        """Now, in UTC; later than any submission this form has stored, so no two share an instant."""
        with self._instants:
            self._last = max(self.ctx.clock().astimezone(UTC), self._last + timedelta(microseconds=1))
            return self._last

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
        received = self._instant()
        answers = {}
        for f in self.ctx.form.fields:
            picked = [v for v in data.get(f.id, []) if v]
            answers[f.id] = ", ".join(picked) if f.type == "checkboxes" else (picked[0] if picked else "")
        now = received.astimezone(self.ctx.timezone).replace(tzinfo=None)
        checked = validate_response(self.ctx.form, answers, now)
        if isinstance(checked, list):  # shown back to be corrected, and stored nowhere
            errors: dict[str, str] = {}
            for problem in checked:
                errors.setdefault(problem.field, problem.message)
            return self._page(start, "200 OK", self._form(token, Values(data), errors))
        try:
            self.ctx.journal.add_submission(submission_for(self.ctx, uuid.uuid4().hex, received, answers))
        except JournalError as problem:
            log.error("A referral could not be stored; the referrer was asked to try again: %s", problem)
            page = self._form(token, Values(data), {"submit": NOT_STORED})
            return self._page(start, "503 Service Unavailable", page)
        self.copier.request()
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
        try:
            server.serve_forever()
        finally:  # let a copy under way finish, so no half-made temporary file is left behind
            server.get_app().copier.wait(10)
