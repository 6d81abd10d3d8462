"""What keeps the web form safe as a public endpoint: who the client is, the limits on what it may
send and how often, and the security headers of every answer.

Behind a reverse proxy every request comes from the proxy's address, so the client's own address and
whether it used TLS are read from X-Forwarded-For and X-Forwarded-Proto, but only when the request
came from the proxy the settings name (``[web] trusted_proxy``): anyone else could write those headers.
"""

from __future__ import annotations

import math
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

# Nothing but the form's own stylesheet and script; no inline code, no framing, no other site.
CSP = (
    "default-src 'none'; style-src 'self'; script-src 'self'; img-src 'self'; form-action 'self'; "
    "base-uri 'none'; frame-ancestors 'none'"
)
HSTS = "max-age=31536000"


@dataclass(frozen=True)
class Client:
    """Where a request came from: the client's address, and whether it reached us over TLS."""

    address: str
    tls: bool


def client_of(environ: dict[str, Any], trusted_proxy: str) -> Client:
    """The client of a request; forwarded headers count only from the trusted proxy."""
    peer = str(environ.get("REMOTE_ADDR") or "")
    tls = environ.get("wsgi.url_scheme") == "https"
    if not trusted_proxy or peer != trusted_proxy:
        return Client(peer, tls)
    # The proxy appends the address it saw, so the last entry is the one it vouches for;
    # earlier entries were written by the client and prove nothing.
    forwarded = [part.strip() for part in str(environ.get("HTTP_X_FORWARDED_FOR") or "").split(",")]
    proto = str(environ.get("HTTP_X_FORWARDED_PROTO") or "").split(",")[-1].strip().lower()
    return Client(forwarded[-1] or peer, tls or proto == "https")


def security_headers(client: Client) -> list[tuple[str, str]]:
    """The headers every answer carries; HSTS only over TLS (a browser ignores it otherwise)."""
    headers = [
        ("Content-Security-Policy", CSP),
        ("X-Frame-Options", "DENY"),
        ("X-Content-Type-Options", "nosniff"),
        ("Referrer-Policy", "no-referrer"),
        ("Cache-Control", "no-store"),
        ("Cross-Origin-Opener-Policy", "same-origin"),
    ]
    if client.tls:
        headers.append(("Strict-Transport-Security", HSTS))
    return headers


class BodyTooLarge(Exception):
    """The request body is over the limit (it was not kept)."""


class BadLength(Exception):
    """The request's Content-Length is not a number."""


def read_body(environ: dict[str, Any], limit: int) -> bytes:
    """The request body; BodyTooLarge, with nothing read, if it is declared longer than ``limit``.

    Behind a reverse proxy, the proxy's own body limit (client_max_body_size in nginx) answers first.
    """
    raw = str(environ.get("CONTENT_LENGTH") or "0").strip()
    if not raw.isdigit():
        raise BadLength
    length = int(raw)
    if length > limit:
        raise BodyTooLarge
    return bytes(environ["wsgi.input"].read(length))


class RateLimit:
    """At most ``limit`` events per client address in any ``seconds``-long window (a sliding log)."""

    def __init__(self, limit: int, seconds: float, clock: Callable[[], float] = time.monotonic) -> None:
        self.limit, self.seconds, self._clock = limit, seconds, clock
        self._events: dict[str, deque[float]] = {}
        self._lock = threading.Lock()

    def take(self, key: str) -> int | None:
        """Record one event for ``key``: None if allowed, else the whole seconds until one would be."""
        now = self._clock()
        with self._lock:
            if len(self._events) > 10_000:  # forget addresses that went quiet, so memory stays bounded
                self._events = {k: v for k, v in self._events.items() if v and v[-1] > now - self.seconds}
            events = self._events.setdefault(key, deque())
            while events and events[0] <= now - self.seconds:
                events.popleft()
            if len(events) >= self.limit:
                return max(1, math.ceil(events[0] + self.seconds - now))
            events.append(now)
            return None

    def give_back(self, key: str) -> None:
        """Undo the latest event of ``key`` (the submission it stood for was not kept)."""
        with self._lock:
            events = self._events.get(key)
            if events:
                events.pop()
