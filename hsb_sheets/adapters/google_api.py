"""Building Google API clients from the discovery documents bundled with google-api-python-client,
and executing their requests with bounded retries.

One place decides the transport (httplib2 with a timeout, authorised by google-auth credentials)
and how an endpoint override replaces https://...googleapis.com/ so tests can point an adapter at a
local fake server. :func:`execute` is the one choke point through which the Calendar, Gmail and Forms
adapters send requests: it retries rate limits, 5xx answers, connection errors and token-endpoint
failures that are transport-level, with bounded, jittered exponential backoff that honours
``Retry-After``, and logs one line per retry. :func:`failure` turns an error answer into the text
and transience a port error needs, keeping Google's reason and naming the fix for the usual ones.
"""

from __future__ import annotations

import json
import logging
import random
import re
import time
from collections.abc import Callable
from typing import Any

import google_auth_httplib2
import httplib2
from google.api_core.client_options import ClientOptions
from google.auth.credentials import Credentials
from google.auth.exceptions import TransportError
from googleapiclient.discovery import build
from googleapiclient.errors import HttpError

from hsb_sheets.adapters.google_auth_errors import TOKEN_ERRORS, is_transient_token_error
from hsb_sheets.logs import log

RETRYABLE = frozenset({429, 500, 502, 503, 504})
# Google answers some rate limits with 403 rather than 429; these reasons mean "slow down", not "refused":
# https://developers.google.com/workspace/calendar/api/guides/errors
# https://developers.google.com/gmail/api/guides/handle-errors
RATE_LIMIT_REASONS = frozenset({"rateLimitExceeded", "userRateLimitExceeded"})
# Usage limits that a few seconds' wait does not lift (Calendar's "Calendar usage limits exceeded" is 403
# quotaExceeded, Gmail's daily limit 403 dailyLimitExceeded): not retried now, but a later run may succeed.
QUOTA_REASONS = frozenset({"quotaExceeded", "dailyLimitExceeded", "RESOURCE_EXHAUSTED"})
# What to do about the usual refusals; the adapter adds its own (e.g. Calendar's forbiddenForServiceAccounts).
# accessNotConfigured / SERVICE_DISABLED: "<API> has not been used in project N before or it is disabled".
COMMON_FIXES = {
    "accessNotConfigured": "enable the {api} API for the key's project in the Google Cloud console "
    "(APIs & Services > Library)",
    "SERVICE_DISABLED": "enable the {api} API for the key's project in the Google Cloud console "
    "(APIs & Services > Library)",
    "rateLimitExceeded": "Google's rate limit; the next run tries again",
    "userRateLimitExceeded": "Google's rate limit; the next run tries again",
    "quotaExceeded": "Google's usage limit; the next run tries again",
    "dailyLimitExceeded": "Google's daily limit; the next run tries again",
}
# Connection failures (socket timeouts are TimeoutError, an OSError; so are refused and reset connections).
CONNECTION_ERRORS: tuple[type[Exception], ...] = (OSError, httplib2.HttpLib2Error)
BASE_DELAY = 1.0
MAX_DELAY = 32.0
_TOKEN = re.compile(r"[A-Za-z_]{1,64}")  # a machine reason such as rateLimitExceeded, never free text


class _TokenRequest(google_auth_httplib2.Request):
    """Token requests whose connection errors are google-auth's TransportError.

    google_auth_httplib2 wraps only httplib2's own errors; a refused or timed-out connection to the
    token endpoint would otherwise look like the API itself being unreachable.
    """

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        try:
            return super().__call__(*args, **kwargs)
        except OSError as problem:
            raise TransportError(problem) from problem


class _AuthorizedHttp(google_auth_httplib2.AuthorizedHttp):
    def __init__(self, credentials: Credentials, http: httplib2.Http) -> None:
        super().__init__(credentials, http=http)
        self._request = _TokenRequest(self.http)  # the request credentials.refresh() is given


def fetch_token(credentials: Credentials, timeout: float = 30.0) -> None:
    """Ask the token endpoint for an access token now (``doctor``); google-auth's error if refused."""
    credentials.refresh(_TokenRequest(httplib2.Http(timeout=timeout)))


def build_service(
    api: str,
    version: str,
    credentials: Credentials,
    endpoint: str | None,
    service_path: str,
    timeout: float = 30.0,
) -> Any:
    """A client for one API; ``endpoint`` is the root URL to use instead of Google's."""
    options = ClientOptions(api_endpoint=endpoint.rstrip("/") + "/" + service_path) if endpoint else None
    http = _AuthorizedHttp(credentials, httplib2.Http(timeout=timeout))
    return build(
        api, version, http=http, client_options=options, static_discovery=True, cache_discovery=False
    )


def status(problem: HttpError) -> int:
    """The HTTP status of an error answer."""
    return int(problem.resp.status)


def reason(problem: HttpError) -> str:
    """Google's machine-readable reason from the error's JSON body (e.g. rateLimitExceeded), or ''."""
    try:
        error = json.loads(problem.content.decode("utf-8"))["error"]
    except (ValueError, KeyError, TypeError, AttributeError):
        return ""
    if not isinstance(error, dict):
        return ""
    candidates = [e.get("reason") for e in error.get("errors") or [] if isinstance(e, dict)]
    candidates += [d.get("reason") for d in error.get("details") or [] if isinstance(d, dict)]
    candidates.append(error.get("status"))
    return next((str(c) for c in candidates if isinstance(c, str) and _TOKEN.fullmatch(c)), "")


def _retryable(problem: HttpError) -> bool:
    code = status(problem)
    return code in RETRYABLE or (code == 403 and reason(problem) in RATE_LIMIT_REASONS)


def transient(problem: HttpError) -> bool:
    """Whether a later run may succeed unchanged: 429, 5xx, and 403 rate or usage limits."""
    code = status(problem)
    return code == 429 or code >= 500 or reason(problem) in RATE_LIMIT_REASONS | QUOTA_REASONS


def failure(
    problem: HttpError, *, api: str, doing: str, fixes: dict[str, str] | None = None
) -> tuple[str, bool]:
    """The message for a port error (Google's status and reason, and the fix) and whether it is transient.

    ``api`` names the product ("Google Calendar"); ``fixes`` maps a reason to advice for this API.
    """
    code, why = status(problem), reason(problem)
    fix = {**COMMON_FIXES, **(fixes or {})}.get(why, "")
    text = f"{api} refused to {doing} (HTTP {code} {why})".replace(" )", ")")
    if fix:
        text += ": " + fix.format(api=api.removeprefix("Google ").strip() or api)
    return text + ".", transient(problem)


def _retry_after(problem: HttpError) -> float | None:
    value = problem.resp.get("retry-after")  # httplib2 lower-cases header names
    try:
        return max(0.0, float(value)) if value is not None else None
    except ValueError:  # an HTTP date: fall back to backoff
        return None


def _delay(attempt: int, retry_after: float | None, rng: Callable[[], float]) -> float:
    """Google's Retry-After if given, else full-jitter exponential backoff; never above MAX_DELAY."""
    if retry_after is not None:
        return min(MAX_DELAY, retry_after)
    return rng() * min(MAX_DELAY, BASE_DELAY * 2**attempt)


def execute(
    request: Any,
    *,
    api: str,
    doing: str,
    retries: int,
    sleep: Callable[[float], None] = time.sleep,
    rng: Callable[[], float] = random.random,
) -> Any:
    """Execute a discovery client's request, retrying up to ``retries`` times while it may help.

    429, 500, 502, 503, 504, 403 rate limits, connection errors and token errors that are
    transport-level (the token endpoint unreachable or answering 5xx) are retried; any other error,
    or the last one when retries run out, is raised (an HttpError, the connection error, or
    google-auth's RefreshError / TransportError) for the adapter to turn into its port's error.
    ``doing`` must be fixed text, never request data.
    """
    for attempt in range(retries + 1):
        try:
            return request.execute(num_retries=0)  # the client library's own retries log nothing
        except HttpError as problem:
            if attempt == retries or not _retryable(problem):
                raise
            why = f"HTTP {status(problem)} {reason(problem)}".strip()
            wait = _delay(attempt, _retry_after(problem), rng)
        except CONNECTION_ERRORS as problem:
            if attempt == retries:
                raise
            why = type(problem).__name__
            wait = _delay(attempt, None, rng)
        except TOKEN_ERRORS as problem:
            if attempt == retries or not is_transient_token_error(problem):
                raise
            why = f"token {type(problem).__name__}"
            wait = _delay(attempt, None, rng)
        log(
            "google api retry",
            logging.WARNING,
            api=api,
            doing=doing,
            reason=why,
            wait_seconds=round(wait, 2),
            attempt=f"{attempt + 1}/{retries + 1}",
        )
        sleep(wait)
    raise AssertionError("unreachable")
