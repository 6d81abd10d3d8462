"""The web form as a public endpoint, over real HTTP: its security headers, the trusted proxy, the
body limit, the rate limits, and answers echoed back only escaped."""

from __future__ import annotations

import contextlib
import socket
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import requests

from hsb_sheets.adapters.calendar.memory import MemoryCalendar
from hsb_sheets.adapters.journal.memory import MemoryJournal
from hsb_sheets.adapters.mail.memory import MemoryMailer
from hsb_sheets.adapters.workbook.memory import MemoryWorkbook
from hsb_sheets.bootstrap import build_context
from hsb_sheets.config import Settings, WebSettings
from hsb_sheets.services.setup import setup_register
from hsb_sheets.web.form_app import FormApp, make_form_server
from hsb_sheets.web.guard import CSP
from tests.conftest import FixedClock, valid_answers
from tests.integration.test_web_form import as_post, token


class Ticker:
    """A monotonic clock the test moves by hand."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@dataclass
class Site:
    url: str
    journal: MemoryJournal
    ticker: Ticker

    def post(self, answers: dict[str, str], **headers: str) -> requests.Response:
        session = requests.Session()
        session.headers.update(headers)
        return session.post(self.url, data=as_post(answers, token(session, self.url)), timeout=10)


@contextlib.contextmanager
def site(tmp_path: Path, clock: FixedClock, web: WebSettings) -> Iterator[Site]:
    journal = MemoryJournal()
    ctx = build_context(
        Settings(base_dir=tmp_path),
        workbook=MemoryWorkbook(),
        mailer=MemoryMailer(),
        calendar=MemoryCalendar(),
        clock=clock,
        journal=journal,
    )
    setup_register(ctx)
    ticker = Ticker()
    server = make_form_server(ctx, "127.0.0.1", 0, web)
    app = FormApp(ctx, web, ticker)
    server.set_app(app)
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    try:
        yield Site(f"http://127.0.0.1:{server.server_port}/", journal, ticker)
    finally:
        server.shutdown()
        server.server_close()
        assert app.copier.wait(30)


@pytest.fixture
def plain(tmp_path: Path, clock: FixedClock) -> Iterator[Site]:
    with site(tmp_path, clock, WebSettings()) as served:
        yield served


@pytest.fixture
def proxied(tmp_path: Path, clock: FixedClock) -> Iterator[Site]:
    web = WebSettings(trusted_proxy="127.0.0.1", submissions_per_window=2, posts_per_minute=6)
    with site(tmp_path, clock, web) as served:
        yield served


def test_every_answer_carries_the_security_headers(plain: Site) -> None:
    answers = [
        requests.get(plain.url, timeout=10),
        requests.get(plain.url + "static/form.css", timeout=10),
        requests.get(plain.url + "static/form.js", timeout=10),
        requests.get(plain.url + "nowhere", timeout=10),
        plain.post(valid_answers(child_last_name="")),
        plain.post(valid_answers()),
    ]
    assert [a.status_code for a in answers] == [200, 200, 200, 404, 200, 200]
    for answer in answers:
        assert answer.headers["Content-Security-Policy"] == CSP
        assert answer.headers["X-Content-Type-Options"] == "nosniff"
        assert answer.headers["Referrer-Policy"] == "no-referrer"
        assert answer.headers["Cache-Control"] == "no-store"
        assert answer.headers["X-Frame-Options"] == "DENY"
        assert "Strict-Transport-Security" not in answer.headers  # plain HTTP, no proxy vouching for TLS
    assert "'unsafe-inline'" not in CSP and "frame-ancestors 'none'" in CSP and "script-src 'self'" in CSP
    assert (
        answers[1].headers["Content-Type"].startswith("text/css")
        and ".govuk-visually-hidden" in answers[1].text
    )
    assert answers[2].headers["Content-Type"].startswith("text/javascript")
    for page in (answers[0], answers[4], answers[5]):
        assert "<style" not in page.text and "style=" not in page.text and "<script>" not in page.text
    assert "Secure" not in answers[0].headers["Set-Cookie"]
    assert requests.put(plain.url, timeout=10).headers["Allow"] == "GET, POST"


def test_hsts_and_secure_cookies_only_when_the_trusted_proxy_says_tls(proxied: Site, plain: Site) -> None:
    over_tls = {"X-Forwarded-Proto": "https", "X-Forwarded-For": "203.0.113.5"}
    behind = requests.get(proxied.url, headers=over_tls, timeout=10)
    assert behind.headers["Strict-Transport-Security"] == "max-age=31536000"
    assert "; Secure" in behind.headers["Set-Cookie"]
    assert "Strict-Transport-Security" not in requests.get(proxied.url, timeout=10).headers
    forged = requests.get(plain.url, headers=over_tls, timeout=10)  # no proxy is trusted: headers ignored
    assert "Strict-Transport-Security" not in forged.headers and "Secure" not in forged.headers["Set-Cookie"]


def test_a_body_over_the_limit_is_refused_and_nothing_is_stored(plain: Site) -> None:
    session = requests.Session()
    csrf = token(session, plain.url)
    huge = as_post(valid_answers(behaviour_description="x" * 150_000), csrf)
    answer = session.post(plain.url, data=huge, timeout=10)
    assert answer.status_code == 413 and "Your answers are too long to send" in answer.text
    assert "5,000 characters" in answer.text
    long_but_allowed = as_post(valid_answers(behaviour_description="é" * 5000), csrf)  # 30 kB encoded
    assert "Referral sent" in session.post(plain.url, data=long_but_allowed, timeout=10).text
    assert len(plain.journal.state.submissions) == 1


def test_a_body_far_over_the_limit_is_not_read_to_its_end(plain: Site) -> None:
    port = int(plain.url.rsplit(":", 1)[1].strip("/"))
    with socket.create_connection(("127.0.0.1", port), timeout=10) as raw:
        head = f"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: {50_000_000}\r\n\r\n"
        raw.sendall(head.encode() + b"a" * 200_000)  # then stops sending: the server must not wait for more
        assert raw.recv(100).startswith(b"HTTP/1.0 413")


def test_a_malformed_body_is_a_bad_request(plain: Site) -> None:
    session = requests.Session()
    csrf = token(session, plain.url)
    answer = session.post(
        plain.url, data=b"csrf_token=" + csrf.encode() + b"&referrer_name=\xff\xfe", timeout=10
    )
    assert answer.status_code == 400 and "could not be read" in answer.text
    assert plain.journal.state.submissions == {}


def test_accepted_referrals_are_rate_limited_per_client(proxied: Site) -> None:
    here = {"X-Forwarded-For": "198.51.100.7"}
    for _ in range(2):  # corrected mistakes are not counted
        assert "There is a problem" in proxied.post(valid_answers(child_last_name=""), **here).text
    assert all("Referral sent" in proxied.post(valid_answers(), **here).text for _ in range(2))
    refused = proxied.post(valid_answers(child_first_name="Robyn"), **here)
    assert refused.status_code == 429 and refused.headers["Retry-After"] == "600"
    assert "Your network has sent 2 referrals in the last 10 minutes" in refused.text
    assert "send this referral again in 10 minutes" in refused.text and 'value="Robyn"' in refused.text
    assert len(proxied.journal.state.submissions) == 2
    # The proxy vouches only for the last address: one the client wrote before it changes nothing.
    spoofed = {"X-Forwarded-For": "192.0.2.1, 198.51.100.7"}
    assert proxied.post(valid_answers(), **spoofed).status_code == 429
    assert "Referral sent" in proxied.post(valid_answers(), **{"X-Forwarded-For": "198.51.100.8"}).text
    proxied.ticker.now += 601
    assert "Referral sent" in proxied.post(valid_answers(), **here).text
    assert len(proxied.journal.state.submissions) == 4


def test_a_flood_of_posts_is_refused_before_anything_is_read(proxied: Site) -> None:
    here = {"X-Forwarded-For": "198.51.100.9"}
    session = requests.Session()
    csrf = token(session, proxied.url)
    statuses = [
        session.post(proxied.url, data=as_post({}, csrf), headers=here, timeout=10).status_code
        for _ in range(7)
    ]
    assert statuses == [200] * 6 + [429]
    flood = session.post(proxied.url, data=as_post(valid_answers(), csrf), headers=here, timeout=10)
    assert flood.status_code == 429 and flood.headers["Retry-After"] == "60"
    assert "Too many attempts" in flood.text and "Wait 1 minute" in flood.text
    assert proxied.journal.state.submissions == {}
    proxied.ticker.now += 61
    assert (
        "Referral sent" in session.post(proxied.url, data=as_post(valid_answers(), csrf), headers=here).text
    )


def test_a_forwarded_address_from_an_untrusted_peer_is_ignored(tmp_path: Path, clock: FixedClock) -> None:
    with site(tmp_path, clock, WebSettings(submissions_per_window=1)) as untrusted:
        assert "Referral sent" in untrusted.post(valid_answers(), **{"X-Forwarded-For": "198.51.100.1"}).text
        again = untrusted.post(valid_answers(), **{"X-Forwarded-For": "198.51.100.2"})
        assert again.status_code == 429


@pytest.mark.parametrize(
    "attack", ["<script>alert(1)</script>", '"><img src=x onerror=alert(1)>', "</textarea><b>bold</b>"]
)
def test_what_a_referrer_typed_is_echoed_only_escaped(plain: Site, attack: str) -> None:
    answer = plain.post(
        valid_answers(
            referrer_name=attack, behaviour_description=attack, traffic_light=attack, child_last_name=""
        )
    )
    assert "There is a problem" in answer.text
    assert attack not in answer.text and "<img" not in answer.text and "<b>" not in answer.text
    escaped = attack.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace('"', "&#34;")
    assert answer.text.count(escaped) == 2  # the name's value and the textarea's text
    assert plain.journal.state.submissions == {}


def test_a_referral_the_journal_could_not_store_does_not_count_against_the_limit(proxied: Site) -> None:
    here = {"X-Forwarded-For": "198.51.100.11"}
    proxied.journal.fail_next = 1
    assert proxied.post(valid_answers(), **here).status_code == 503
    assert all("Referral sent" in proxied.post(valid_answers(), **here).text for _ in range(2))
    assert len(proxied.journal.state.submissions) == 2
