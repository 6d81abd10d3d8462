"""The referral form as a small WSGI application, for local mode (`hsb-sheets form serve`).

It renders the same form as hsb_sheets/config/referral_form.yaml defines, validates with the same
core rules, shows errors beside the questions with a summary at the top (as the GOV.UK Design System
does) and protects against cross-site requests with a double-submit token; the limits on what a
client may send, and the security headers, are in hsb_sheets/web/guard.py. A submission that fails a check is
shown back and stored nowhere. An accepted one is stored in the journal before the browser is
answered, then copied into "Form responses 1" in the background; if the register is busy or held
open, the next intake run copies it.
"""

from __future__ import annotations

import contextlib
import logging
import math
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
from hsb_sheets.config import WebSettings
from hsb_sheets.domain.validation import validate_response
from hsb_sheets.errors import HsbError
from hsb_sheets.resources import shipped
from hsb_sheets.services.context import Context
from hsb_sheets.services.submissions import copy_submissions, submission_for
from hsb_sheets.web.guard import (
    BadLength,
    BodyTooLarge,
    Client,
    RateLimit,
    client_of,
    read_body,
    security_headers,
)

StartResponse = Callable[[str, list[tuple[str, str]]], Any]
CSRF = "csrf_token"
NOT_STORED = (
    "Your referral could not be saved, so it has not been sent yet. Your answers are still here: "
    "send it again in a few minutes"
)
TOO_MANY = (
    "Your network has sent {count} referrals in the last {window}, the most this form takes in that time. "
    "Your answers are still here: send this referral again in"
)
STATIC = {"form.css": "text/css; charset=utf-8", "form.js": "text/javascript; charset=utf-8"}
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
    """GET shows the form; POST checks the submission, stores it if accepted, and shows the result.

    Every answer carries the security headers of hsb_sheets/web/guard.py. A POST is refused, before
    anything is stored, when its client sent too many lately (429), when its body is over the limit
    (413) or when its cross-site token is wrong (403).
    """

    def __init__(
        self, ctx: Context, web: WebSettings | None = None, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.ctx = ctx
        self.web = web or WebSettings()
        self.copier = Copier(lambda: copy_submissions(ctx, ctx.journal))
        self.attempts = RateLimit(self.web.posts_per_minute, 60.0, clock)
        self.accepted = RateLimit(self.web.submissions_per_window, self.web.window_seconds, clock)
        self._static = {
            f"/static/{name}": (kind, shipped(f"templates/web/static/{name}").read_bytes())
            for name, kind in STATIC.items()
        }
        self._order = {f.id: n for n, f in enumerate(ctx.form.fields)}
        self._last = datetime.min.replace(tzinfo=UTC)
        self._instants = threading.Lock()

    def _instant(self) -> datetime:
        """Now, in UTC; later than any submission this form has stored, so no two share an instant."""
        with self._instants:
            self._last = max(self.ctx.clock().astimezone(UTC), self._last + timedelta(microseconds=1))
            return self._last

    def _page(
        self,
        start: StartResponse,
        client: Client,
        status: str,
        body: str | bytes,
        *extra: tuple[str, str],
        kind: str = "text/html; charset=utf-8",
    ) -> Iterable[bytes]:
        data = body.encode("utf-8") if isinstance(body, str) else body
        headers = [("Content-Type", kind), ("Content-Length", str(len(data))), *security_headers(client)]
        start(status, [*headers, *extra])
        return [data]

    def _problem(
        self, start: StartResponse, client: Client, status: str, heading: str, *lines: str, **kw: Any
    ) -> Iterable[bytes]:
        extra: tuple[tuple[str, str], ...] = kw.get("extra", ())
        page = self.ctx.templates.render(
            "web/problem.html.j2",
            heading=heading,
            paragraphs=lines,
            link_text=kw.get("link_text", "Go to the referral form"),
        )
        return self._page(start, client, status, page, *extra)

    def _form(
        self,
        start: StartResponse,
        client: Client,
        status: str,
        values: Values,
        errors: dict[str, str],
        *extra: tuple[str, str],
        token: str = "",
    ) -> Iterable[bytes]:
        token = token or secrets.token_urlsafe(24)
        page = self.ctx.templates.render(
            "web/form.html.j2", form=self.ctx.form, values=values, errors=errors, csrf_token=token
        )
        cookie = f"{CSRF}={token}; HttpOnly; SameSite=Strict; Path=/" + ("; Secure" if client.tls else "")
        return self._page(start, client, status, page, ("Set-Cookie", cookie), *extra)

    def __call__(self, environ: dict[str, Any], start: StartResponse) -> Iterable[bytes]:
        client = client_of(environ, self.web.trusted_proxy)
        method, path = environ.get("REQUEST_METHOD", "GET"), environ.get("PATH_INFO", "/")
        if path in self._static and method in ("GET", "HEAD"):
            kind, data = self._static[path]
            return self._page(start, client, "200 OK", data, kind=kind)
        if path != "/":
            return self._problem(
                start, client, "404 Not Found", "Page not found", "If you typed the address, check it."
            )
        if method in ("GET", "HEAD"):
            return self._form(start, client, "200 OK", Values({}), {})
        if method != "POST":
            return self._problem(
                start, client, "405 Method Not Allowed", "Page not found", extra=(("Allow", "GET, POST"),)
            )
        return self._post(environ, start, client)

    def _post(self, environ: dict[str, Any], start: StartResponse, client: Client) -> Iterable[bytes]:
        limit = self.web.max_body_bytes
        wait = self.attempts.take(client.address)
        if wait is not None:  # a flood: the body (if within the limit) is read and dropped unparsed
            with contextlib.suppress(BodyTooLarge, BadLength, OSError):
                read_body(environ, limit)
            return self._problem(
                start,
                client,
                "429 Too Many Requests",
                "Too many attempts",
                "This form has been sent too many times from your network in the last minute.",
                f"Wait {_minutes(wait)}, then go back and send your referral again.",
                extra=(("Retry-After", str(wait)),),
            )
        try:
            body = read_body(environ, limit)
            data = parse_qs(body.decode("utf-8"), keep_blank_values=True, max_num_fields=500)
        except BodyTooLarge:
            longest = max((f.max_length or 0 for f in self.ctx.form.fields), default=0)
            return self._problem(
                start,
                client,
                "413 Content Too Large",
                "Your answers are too long to send",
                "Nothing was sent.",
                *([f"The longest answer the form takes is {longest:,} characters."] if longest else []),
                "Go to the form and send the referral again with shorter answers.",
            )
        except (BadLength, ValueError, OSError):  # UnicodeDecodeError is a ValueError
            return self._problem(start, client, "400 Bad Request", "The form could not be read")
        jar = cookies.SimpleCookie(environ.get("HTTP_COOKIE", ""))
        cookie = jar[CSRF].value if CSRF in jar else ""
        if not cookie or data.get(CSRF, [""])[0] != cookie:
            return self._problem(
                start,
                client,
                "403 Forbidden",
                "The form expired",
                "Your answers were not sent.",
                link_text="Start again",
            )
        return self._submit(start, client, data, cookie)

    def _submit(
        self, start: StartResponse, client: Client, data: dict[str, list[str]], token: str
    ) -> Iterable[bytes]:
        received = self._instant()
        answers = {}
        for f in self.ctx.form.fields:
            picked = [v for v in data.get(f.id, []) if v]
            answers[f.id] = ", ".join(picked) if f.type == "checkboxes" else (picked[0] if picked else "")
        now = received.astimezone(self.ctx.timezone).replace(tzinfo=None)
        checked = validate_response(self.ctx.form, answers, now)
        if isinstance(checked, list):  # shown back to be corrected, stored nowhere, and not counted
            errors: dict[str, str] = {}
            for problem in sorted(checked, key=lambda p: self._order.get(p.field, len(self._order))):
                errors.setdefault(problem.field, problem.instruction or problem.message)
            return self._form(start, client, "200 OK", Values(data), errors, token=token)
        wait = self.accepted.take(client.address)
        if wait is not None:
            busy = TOO_MANY.format(
                count=self.web.submissions_per_window, window=_minutes(self.web.window_seconds)
            )
            errors = {"submit": f"{busy} {_minutes(wait)}"}
            retry = ("Retry-After", str(wait))
            return self._form(
                start, client, "429 Too Many Requests", Values(data), errors, retry, token=token
            )
        try:
            self.ctx.journal.add_submission(submission_for(self.ctx, uuid.uuid4().hex, received, answers))
        except JournalError as problem:
            self.accepted.give_back(client.address)
            log.error("A referral could not be stored; the referrer was asked to try again: %s", problem)
            page = {"submit": NOT_STORED}
            return self._form(start, client, "503 Service Unavailable", Values(data), page, token=token)
        self.copier.request()
        return self._page(start, client, "200 OK", self.ctx.templates.render("web/sent.html.j2"))


def _minutes(seconds: float) -> str:
    minutes = max(1, math.ceil(seconds / 60))
    return f"{minutes} minute" + ("" if minutes == 1 else "s")


def make_form_server(ctx: Context, host: str, port: int, web: WebSettings | None = None) -> Any:
    """A threaded WSGI server for the form (a slow client blocks nobody); port 0 picks a free one."""
    from socketserver import ThreadingMixIn
    from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

    class Server(ThreadingMixIn, WSGIServer):
        daemon_threads = True
        request_queue_size = 128  # socketserver's 5 refused connections when many referrers arrive at once

    class Quiet(WSGIRequestHandler):
        timeout = 30  # seconds a client may stay silent mid-request before it is dropped

        def log_message(self, format: str, *args: Any) -> None:  # request lines could carry form data
            return

    return make_server(host, port, FormApp(ctx, web), server_class=Server, handler_class=Quiet)


def serve(
    ctx: Context,
    host: str,
    port: int,
    ready: Callable[[str], None] | None = None,
    web: WebSettings | None = None,
) -> None:
    """Serve the form until interrupted, with the limits and trusted proxy of ``web``."""
    with make_form_server(ctx, host, port, web) as server:
        if ready is not None:
            ready(f"http://{host}:{server.server_port}/")
        try:
            server.serve_forever()
        finally:  # let a copy under way finish, so no half-made temporary file is left behind
            server.get_app().copier.wait(10)
