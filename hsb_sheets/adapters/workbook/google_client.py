"""The one HTTP choke point of the Google register: gspread's client with bounded retries.

:class:`SheetsHTTPClient` rewrites the endpoint (tests point it at a local fake), counts requests,
and retries 429, 5xx, Google's 403 rate-limit answers (``rateLimitExceeded``, ``userRateLimitExceeded``
in the error body) and connection errors with bounded, jittered exponential backoff that honours
``Retry-After``. Any other error answer is raised as gspread's APIError for the adapter to explain;
:func:`reasons` reads Google's machine reasons from it.
"""

from __future__ import annotations

import contextlib
import random
import time
from collections.abc import Callable, Mapping, MutableMapping
from typing import Any

import requests
from gspread.exceptions import APIError
from gspread.http_client import HTTPClient

from hsb_sheets.adapters.google_api import RATE_LIMIT_REASONS
from hsb_sheets.errors import WorkbookError

SCOPES = ("https://www.googleapis.com/auth/spreadsheets",)
GOOGLE = "https://sheets.googleapis.com"
RETRYABLE = frozenset({429, 500, 502, 503, 504})
# Sheets also answers "slow down" as 403 with one of these reasons (in error.errors[].reason, or an
# ErrorInfo in error.details): https://developers.google.com/workspace/sheets/api/limits
RATE_LIMITED = RATE_LIMIT_REASONS | {"RATE_LIMIT_EXCEEDED"}
API_DISABLED = frozenset({"accessNotConfigured", "SERVICE_DISABLED"})


def reasons(response: requests.Response) -> set[str]:
    """Every machine-readable reason in an error answer (errors[].reason, details[].reason, status)."""
    try:
        error = response.json().get("error", {})
    except (ValueError, AttributeError):
        return set()
    if not isinstance(error, dict):
        return set()
    found = [e.get("reason") for e in error.get("errors") or [] if isinstance(e, dict)]
    found += [d.get("reason") for d in error.get("details") or [] if isinstance(d, dict)]
    found.append(error.get("status"))
    return {r for r in found if isinstance(r, str) and r}


def _retryable(response: requests.Response) -> bool:
    if response.status_code in RETRYABLE:
        return True
    return response.status_code == 403 and bool(reasons(response) & RATE_LIMITED)


class SheetsHTTPClient(HTTPClient):
    """gspread's HTTP client with an endpoint override, a request counter and bounded retries.

    gspread's own BackOffHTTPClient is not used: in 6.2.1 it never stops retrying.
    """

    def __init__(
        self,
        session: requests.Session,
        *,
        endpoint: str | None = None,
        retries: int = 5,
        base_delay: float = 1.0,
        max_delay: float = 32.0,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        super().__init__(None, session)  # type: ignore[arg-type]  # the session carries the auth
        self.endpoint = endpoint.rstrip("/") if endpoint else None
        self.retries = retries
        self.base_delay = base_delay
        self.max_delay = max_delay
        self.sleep = sleep
        self.requests = 0
        self.timeout = 60.0

    def _delay(self, attempt: int, retry_after: str | None) -> float:
        if retry_after is not None:
            with contextlib.suppress(ValueError):
                return min(self.max_delay, max(0.0, float(retry_after)))
        return random.uniform(0, min(self.max_delay, self.base_delay * 2**attempt))

    def request(
        self,
        method: str,
        endpoint: str,
        params: Any = None,
        data: bytes | None = None,
        json: Mapping[str, Any] | None = None,
        files: Any = None,
        headers: MutableMapping[str, str] | None = None,
    ) -> requests.Response:
        """One API call, retried while Google answers 429/5xx/403 rate limits or the connection fails."""
        url = endpoint.replace(GOOGLE, self.endpoint, 1) if self.endpoint else endpoint
        for attempt in range(self.retries + 1):
            self.requests += 1
            try:
                response = self.session.request(
                    method=method,
                    url=url,
                    json=json,
                    params=params,
                    data=data,
                    files=files,
                    headers=headers,
                    timeout=self.timeout,
                )
            except requests.RequestException as problem:
                if attempt == self.retries:
                    raise WorkbookError(
                        f"Google Sheets could not be reached ({type(problem).__name__}) after {attempt + 1} "
                        "tries. This step wrote nothing; the next run will finish the work."
                    ) from None
                self.sleep(self._delay(attempt, None))
                continue
            if response.ok:
                return response
            if _retryable(response):
                if attempt == self.retries:
                    why = " ".join([str(response.status_code), *sorted(reasons(response) & RATE_LIMITED)])
                    raise WorkbookError(
                        f"Google Sheets is busy (HTTP {why}) after {attempt + 1} tries. "
                        "This step wrote nothing; the next run will finish the work."
                    )
                self.sleep(self._delay(attempt, response.headers.get("Retry-After")))
                continue
            raise APIError(response)
        raise AssertionError("unreachable")
