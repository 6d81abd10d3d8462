"""The one execute-and-retry helper of the discovery-based Google adapters, against a fake request."""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator
from typing import Any

import httplib2
import pytest
from googleapiclient.errors import HttpError

from hsb_sheets.adapters.google_api import MAX_DELAY, execute, reason
from hsb_sheets.logs import LOGGER, Text

PERSONAL = "Jo Bloggs"  # fictional; stands for anything from a request or an answer body


class FakeRequest:
    """A discovery HttpRequest that answers with the given outcomes in turn; records num_retries."""

    def __init__(self, *outcomes: Any) -> None:
        self.outcomes = list(outcomes)
        self.num_retries: list[int] = []
        self.body = json.dumps({"summary": PERSONAL})

    def execute(self, num_retries: int = 0) -> Any:
        self.num_retries.append(num_retries)
        outcome = self.outcomes.pop(0)
        if isinstance(outcome, BaseException):
            raise outcome
        return outcome


def answer(code: int, why: str = "", retry_after: str | None = None) -> HttpError:
    """An error answer in Google's JSON shape; its message carries personal data, as Google's may."""
    headers = {"status": str(code)}
    if retry_after is not None:
        headers["retry-after"] = retry_after
    message = f"Invalid attendee {PERSONAL}"
    body = {"error": {"code": code, "message": message, "errors": [{"reason": why, "message": message}]}}
    return HttpError(httplib2.Response(headers), json.dumps(body).encode())


class Lines(logging.Handler):
    """Formatted log lines, as the text log shows them."""

    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.setFormatter(Text())
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(self.format(record))


@pytest.fixture
def log_lines() -> Iterator[list[str]]:
    """The hsb_sheets log lines written during the test (whatever an earlier test configured)."""
    handler = Lines()
    logger = logging.getLogger(LOGGER + ".jobs")
    level = logger.level
    logger.addHandler(handler)
    logger.setLevel(logging.DEBUG)
    yield handler.lines
    logger.removeHandler(handler)
    logger.setLevel(level)


def run(request: FakeRequest, retries: int = 5, rng: float = 1.0) -> tuple[Any, list[float]]:
    sleeps: list[float] = []
    doing = "create an event"
    result = execute(
        request, api="Calendar", doing=doing, retries=retries, sleep=sleeps.append, rng=lambda: rng
    )
    return result, sleeps


def test_rate_limits_and_server_errors_are_retried_until_it_succeeds(log_lines: list[str]) -> None:
    request = FakeRequest(
        answer(429, "rateLimitExceeded"),
        answer(503, "backendError"),
        answer(403, "userRateLimitExceeded"),
        answer(403, "rateLimitExceeded"),
        {"id": "made"},
    )
    result, sleeps = run(request, rng=0.5)
    assert result == {"id": "made"}
    assert request.num_retries == [0] * 5  # the client library's own silent retries are never used
    assert sleeps == [0.5, 1.0, 2.0, 4.0]  # jittered (here: half) exponential backoff
    assert len(log_lines) == 4
    assert "reason=HTTP 429 rateLimitExceeded wait_seconds=0.5" in log_lines[0]
    assert "reason=HTTP 503 backendError wait_seconds=1.0" in log_lines[1]
    assert "reason=HTTP 403 userRateLimitExceeded wait_seconds=2.0" in log_lines[2]
    assert all("api=Calendar doing=create an event" in line for line in log_lines)
    assert not any(PERSONAL in line or "Invalid attendee" in line for line in log_lines)


def test_retry_after_is_honoured_and_every_wait_is_bounded() -> None:
    _, sleeps = run(FakeRequest(answer(429, "rateLimitExceeded", retry_after="7"), {}), rng=0.0)
    assert sleeps == [7.0]
    _, sleeps = run(FakeRequest(answer(503, retry_after="3600"), {}))
    assert sleeps == [MAX_DELAY]
    outcomes = [answer(500)] * 8
    _, sleeps = run(FakeRequest(*outcomes, {}), retries=8)
    assert sleeps == [1.0, 2.0, 4.0, 8.0, 16.0, 32.0, 32.0, 32.0]


def test_it_gives_up_after_the_retries_and_raises_the_last_answer(log_lines: list[str]) -> None:
    request = FakeRequest(answer(503), answer(502), answer(504), {"id": "too late"})
    with pytest.raises(HttpError) as raised:
        run(request, retries=2)
    assert int(raised.value.resp.status) == 504 and len(request.num_retries) == 3
    assert len(log_lines) == 2 and "attempt=2/3" in log_lines[1]


@pytest.mark.parametrize("code, why", [(403, "forbidden"), (404, "notFound"), (409, "duplicate"), (400, "")])
def test_refusals_are_not_retried(code: int, why: str, log_lines: list[str]) -> None:
    request = FakeRequest(answer(code, why), {"id": "never"})
    with pytest.raises(HttpError) as raised:
        run(request)
    assert int(raised.value.resp.status) == code and len(request.num_retries) == 1 and log_lines == []


def test_connection_errors_are_retried_then_raised(log_lines: list[str]) -> None:
    request = FakeRequest(
        TimeoutError("timed out"), httplib2.ServerNotFoundError("no such host"), ConnectionResetError(), {}
    )
    assert run(request)[0] == {}
    assert [line.split("reason=")[1].split()[0] for line in log_lines] == [
        "TimeoutError",
        "ServerNotFoundError",
        "ConnectionResetError",
    ]
    with pytest.raises(ConnectionRefusedError):
        run(FakeRequest(ConnectionRefusedError(), ConnectionRefusedError()), retries=1)


def test_only_a_machine_reason_is_read_from_the_body() -> None:
    assert reason(answer(403, "rateLimitExceeded")) == "rateLimitExceeded"
    assert reason(answer(403, f"{PERSONAL} is not allowed")) == ""  # free text is never taken
    details = {"error": {"code": 429, "details": [{"reason": "RATE_LIMIT_EXCEEDED"}], "status": "X"}}
    assert reason(HttpError(httplib2.Response({"status": "429"}), json.dumps(details).encode())) == (
        "RATE_LIMIT_EXCEEDED"
    )
    assert reason(HttpError(httplib2.Response({"status": "502"}), b"<html>Bad gateway</html>")) == ""
