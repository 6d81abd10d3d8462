"""A bounded load test of the web form on 127.0.0.1, printed as JSON lines
(run by hand: ``python benchmarks/form_load.py``; ``make bench`` runs it too).

N concurrent clients, each behind its own forwarded address (the form trusts 127.0.0.1 as its proxy,
as behind nginx), each send one submission with a mistake and then more valid fictional referrals
than the rate limit allows. The form stores into a real workspace: the SQLite journal, copied in the
background into the .xlsx register. Afterwards every accepted referral must be in the journal and
in "Form responses 1" exactly once, and nothing refused or mistaken may be in either.
Bounded by count (clients x per-client) and by time (--seconds); it only ever talks to loopback.
"""

from __future__ import annotations

import argparse
import json
import re
import sqlite3
import statistics
import sys
import tempfile
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import requests

from hsb_sheets.bootstrap import JOURNAL_FILE, build_context
from hsb_sheets.config import WebSettings, load_settings
from hsb_sheets.domain.tabs import FORM_RESPONSES
from hsb_sheets.services.setup import setup_register
from hsb_sheets.services.workspace import create_workspace
from hsb_sheets.web.form_app import make_form_server

HOST = "127.0.0.1"  # loopback only, whatever the arguments
TOKEN = re.compile(r'name="csrf_token" value="([^"]+)"')


@dataclass
class Tally:
    """What the clients saw, shared between their threads."""

    accepted: list[str] = field(default_factory=list)
    refused: list[str] = field(default_factory=list)
    corrected: int = 0
    failures: list[str] = field(default_factory=list)
    latencies: list[float] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)


def referral(marker: str, **changes: str) -> dict[str, str]:
    """A valid, fictional referral whose description carries ``marker``."""
    answers = {
        "referrer_name": "Pat Example",
        "referrer_email": "pat.example@example.org",
        "referrer_phone": "01632 960123",
        "referrer_agency": "School or college",
        "child_first_name": "Robin",
        "child_last_name": "Loadtest",
        "child_dob": "15/06/2012",
        "child_gender": "Not known",
        "child_area": "Peterborough",
        "learning_needs": "No",
        "open_to_services": "None of these",
        "parent_carer_aware": "Yes",
        "behaviour_description": f"Fictional load-test referral {marker}, describing nothing real.",
        "incident_date": "01/03/2026",
        "traffic_light": "Green",
        "online_element": "No",
        "harm_caused": "No",
        "persistent": "No",
        "risk_to_self": "No",
        "police_involved": "No",
        "criminal_status": "None",
        "accepted_responsibility": "Not known",
    }
    answers.update(changes)
    return answers


def client(url: str, number: int, count: int, deadline: float, tally: Tally) -> None:
    """One referrer: a submission with a mistake, then ``count`` valid ones, until the deadline."""
    session = requests.Session()
    session.headers["X-Forwarded-For"] = f"198.51.{100 + number // 250}.{number % 250 + 1}"  # TEST-NET-2
    plan = [("mistake", referral(f"c{number}-mistake", referrer_name=""))]
    plan += [(f"c{number}-s{k}", referral(f"c{number}-s{k}")) for k in range(count)]
    for marker, answers in plan:
        if time.monotonic() > deadline:
            return
        try:
            page = session.get(url, timeout=30)
            match = TOKEN.search(page.text)
            assert match is not None, "the form page has no token"
            began = time.perf_counter()
            answer = session.post(url, data={**answers, "csrf_token": match.group(1)}, timeout=30)
            took = time.perf_counter() - began
        except (requests.RequestException, AssertionError) as problem:
            with tally.lock:
                tally.failures.append(type(problem).__name__)
            continue
        with tally.lock:
            tally.latencies.append(took)
            if marker == "mistake" and answer.status_code == 200 and "There is a problem" in answer.text:
                tally.corrected += 1
            elif answer.status_code == 200 and "Referral sent" in answer.text:
                tally.accepted.append(marker)
            elif answer.status_code == 429 and answer.headers.get("Retry-After"):
                tally.refused.append(marker)
            else:
                tally.failures.append(f"{marker}: {answer.status_code}")


def markers(texts: list[str]) -> Counter[str]:
    """How often each load-test marker appears among stored descriptions."""
    found = (re.search(r"referral (c\d+-\S+),", text) for text in texts)
    return Counter(m.group(1) for m in found if m)


def stored(folder: Path, ctx_journal_path: Path, description_title: str) -> tuple[Counter[str], Counter[str]]:
    """The markers in the journal's submissions and in the register's "Form responses 1"."""
    with sqlite3.connect(f"file:{ctx_journal_path}?mode=ro", uri=True) as db:
        rows = [json.loads(r[0]) for r in db.execute("SELECT row FROM submissions")]
        header = json.loads(db.execute("SELECT header FROM submissions LIMIT 1").fetchone()[0])
    column = header.index(description_title)
    in_journal = markers([row[column] for row in rows])
    ctx = build_context(load_settings(folder / "hsb-sheets.toml"))
    tab = ctx.workbook.read([FORM_RESPONSES])[FORM_RESPONSES]
    in_register = markers([record.get(description_title, "") for record in tab.records()])
    return in_journal, in_register


def compare(name: str, accepted: list[str], found: Counter[str]) -> dict[str, int]:
    """Lost (accepted, not stored), duplicated (stored twice) and strays (stored, never accepted)."""
    wanted = set(accepted)
    return {
        f"{name}_stored": sum(found.values()),
        f"{name}_lost": len(wanted - set(found)),
        f"{name}_duplicated": sum(n - 1 for n in found.values() if n > 1),
        f"{name}_strays": len(set(found) - wanted),
    }


def run(clients: int, per_client: int, limit: int, seconds: float) -> dict[str, object]:
    """Serve the form from a fresh workspace, load it, and account for every submission."""
    folder = Path(tempfile.mkdtemp(prefix="hsb-form-load-")) / "ws"
    settings_file = create_workspace(folder)
    settings = load_settings(settings_file)
    ctx = build_context(settings)
    setup_register(ctx)
    web = WebSettings(
        trusted_proxy=HOST, submissions_per_window=limit, posts_per_minute=max(30, per_client + 2)
    )
    server = make_form_server(ctx, HOST, 0, web)
    url = f"http://{HOST}:{server.server_port}/"
    threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True).start()
    tally = Tally()
    began = time.perf_counter()
    deadline = time.monotonic() + seconds
    threads = [
        threading.Thread(target=client, args=(url, n, per_client, deadline, tally)) for n in range(clients)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    elapsed = time.perf_counter() - began
    server.shutdown()
    server.server_close()
    copied = server.get_app().copier.wait(120)
    title = ctx.form.field("behaviour_description").title
    in_journal, in_register = stored(folder, settings.resolve(JOURNAL_FILE), title)
    latencies = sorted(tally.latencies)
    return {
        "benchmark": "web form under load (127.0.0.1)",
        "clients": clients,
        "per_client": per_client,
        "rate_limit": f"{limit} accepted per {web.window_seconds:.0f} s per address",
        "seconds": round(elapsed, 2),
        "posts": len(latencies),
        "posts_per_second": round(len(latencies) / elapsed, 1),
        "submissions_per_second": round(len(tally.accepted) / elapsed, 1),
        "p50_ms": round(statistics.median(latencies) * 1000, 1) if latencies else None,
        "p95_ms": round(latencies[int(0.95 * (len(latencies) - 1))] * 1000, 1) if latencies else None,
        "accepted": len(tally.accepted),
        "refused_429": len(tally.refused),
        "shown_back_with_errors": tally.corrected,
        "failures": tally.failures[:10],
        "copied_to_register": copied,
        **compare("journal", tally.accepted, in_journal),
        **compare("register", tally.accepted, in_register),
    }


def main() -> int:
    """Run once and print the figures; exit 1 if a referral was lost, stored twice or miscounted."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--clients", type=int, default=16)
    parser.add_argument("--per-client", type=int, default=6, help="valid referrals each client tries")
    parser.add_argument("--limit", type=int, default=5, help="accepted referrals per address per window")
    parser.add_argument("--seconds", type=float, default=60.0, help="stop starting submissions after this")
    args = parser.parse_args()
    if not (1 <= args.clients <= 200 and 1 <= args.per_client <= 50 and 0 < args.seconds <= 600):
        parser.error("keep it bounded: 1-200 clients, 1-50 referrals each, at most 600 seconds")
    figures = run(args.clients, args.per_client, args.limit, args.seconds)
    print(json.dumps(figures))
    expected = args.clients * min(args.per_client, args.limit)
    sound = (
        figures["journal_lost"] == figures["journal_duplicated"] == figures["journal_strays"] == 0
        and figures["register_lost"] == figures["register_duplicated"] == figures["register_strays"] == 0
        and not figures["failures"]
        and figures["accepted"] == expected
    )
    print(
        json.dumps(
            {"check": "every accepted referral stored exactly once", "expected": expected, "ok": sound}
        )
    )
    return 0 if sound else 1


if __name__ == "__main__":
    sys.exit(main())
