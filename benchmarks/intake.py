"""Intake benchmarks, printed as JSON lines (run by hand: ``python benchmarks/intake.py``).

1. Validation plus routing throughput of the pure core over 50,000 synthetic responses
   (target: at least 10,000 responses per second on one core).
2. Wall time of one intake run over a local .xlsx register holding 5,000 referrals when 200 new
   responses arrive (target: under 5 seconds), including writing the acknowledgements.
"""

from __future__ import annotations

import argparse
import json
import random
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from hsb_sheets.adapters.workbook.base import WriteBatch
from hsb_sheets.bootstrap import build_context
from hsb_sheets.config import load_settings
from hsb_sheets.domain.facts import fact_catalogue
from hsb_sheets.domain.form import TIMESTAMP, FormDefinition
from hsb_sheets.domain.intake import CaseNumbers, DuplicateIndex, assess, plan_intake
from hsb_sheets.domain.responses import map_columns, read_responses
from hsb_sheets.domain.rules import parse_rule_table
from hsb_sheets.domain.tabs import FORM_RESPONSES, OUTBOX
from hsb_sheets.services.intake import intake_batch, run_intake
from hsb_sheets.services.setup import setup_register
from hsb_sheets.services.workspace import create_workspace, import_responses


def synthetic_answers(form: FormDefinition, rng: random.Random, n: int, received: datetime) -> dict[str, str]:
    """A plausible response; about one in ten has a mistake."""
    answers: dict[str, str] = {}
    for f in form.fields:
        if f.type in ("choice",):
            answers[f.id] = rng.choice(f.choices)
        elif f.type == "checkboxes":
            answers[f.id] = rng.choice(["None of these", "Early Help", "Early Help, Children's Social Care"])
        elif f.type == "email":
            answers[f.id] = f"worker{n % 500}@example.org" if f.required or rng.random() < 0.3 else ""
        elif f.type == "date":
            answers[f.id] = ""
        else:
            answers[f.id] = f"Synthetic text {n} for benchmarking the intake of referrals."
    born = received.date() - timedelta(days=rng.randint(5 * 365, 20 * 365))
    answers["child_dob"] = born.strftime("%d/%m/%Y")
    answers["incident_date"] = (received.date() - timedelta(days=rng.randint(0, 60))).strftime("%d/%m/%Y")
    answers["referrer_phone"] = "01632 960123"
    answers["child_postcode"] = "PE1 1AA"
    answers["police_involved"] = "Yes" if answers["criminal_status"] != "None" else answers["police_involved"]
    if rng.random() < 0.1:
        answers["child_dob"] = "31/02/2014"
    return answers


def core_throughput(count: int) -> dict[str, object]:
    ctx_form = build_context(load_settings(create_workspace(Path(tempfile.mkdtemp())))).form
    from hsb_sheets.resources import shipped
    from hsb_sheets.services.rule_source import read_rule_csv

    table = parse_rule_table(*read_rule_csv(shipped("config/routing_rules.csv")), fact_catalogue(ctx_form))
    rng = random.Random(42)
    received = datetime(2026, 3, 10, 9, 0)
    responses = [synthetic_answers(ctx_form, rng, n, received) for n in range(count)]
    duplicates = DuplicateIndex()
    started = time.perf_counter()
    valid = 0
    for n, answers in enumerate(responses):
        result = assess(ctx_form, table, answers, received, duplicates, str(n))
        valid += not isinstance(result, list)
    elapsed = time.perf_counter() - started
    return {
        "benchmark": "core_validate_and_route",
        "responses": count,
        "valid": valid,
        "seconds": round(elapsed, 3),
        "responses_per_second": round(count / elapsed),
        "target": 10_000,
    }


def intake_run(existing: int, new: int) -> dict[str, object]:
    folder = Path(tempfile.mkdtemp())
    settings = load_settings(create_workspace(folder / "ws"))
    now = datetime(2026, 3, 10, 12, 0, tzinfo=UTC)
    ctx = build_context(settings, clock=lambda: now)
    setup_register(ctx)
    rng = random.Random(7)
    header = [TIMESTAMP, *(f.title for f in ctx.form.fields)]

    def rows(start: int, count: int) -> list[list[str]]:
        out = []
        for n in range(start, start + count):
            received = datetime(2026, 1, 1, 8, 0) + timedelta(minutes=17 * n)
            answers = synthetic_answers(ctx.form, rng, n, received)
            answers["referrer_email"] = f"worker{n}@example.org"
            answers["child_dob"] = "01/01/2012"
            out.append([received.strftime("%d/%m/%Y %H:%M:%S"), *(answers[f.id] for f in ctx.form.fields)])
        return out

    # Fill the register directly (as if earlier runs had ingested these), without sending mail.
    import_responses(ctx, header, rows(0, existing))
    with ctx.workbook.session():
        tab = ctx.workbook.read([FORM_RESPONSES])[FORM_RESPONSES]
        responses = read_responses(map_columns(ctx.form, tab.header, timestamp_required=True), tab.rows)
        from hsb_sheets.domain.tabs import ROUTING_RULES
        from hsb_sheets.services.rule_source import rules_from_tab

        table = rules_from_tab(ctx.form, ctx.workbook.read([ROUTING_RULES])[ROUTING_RULES])
        plan = plan_intake(ctx.form, table, responses, set(), DuplicateIndex(), CaseNumbers([]))
        batch = intake_batch(ctx, plan)
        ctx.workbook.write(WriteBatch(appends=[a for a in batch.appends if a.tab != OUTBOX]))
    import_responses(ctx, header, rows(existing, new))

    started = time.perf_counter()
    report = run_intake(ctx)
    elapsed = time.perf_counter() - started
    return {
        "benchmark": "intake_run_xlsx",
        "referrals_on_register": len(plan.referrals),
        "new_responses": new,
        "registered": len(report.registered),
        "issues": report.issues,
        "emails": len(report.delivery.sent),
        "seconds": round(elapsed, 3),
        "target_seconds": 5,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--responses", type=int, default=50_000)
    parser.add_argument("--existing", type=int, default=5_000)
    parser.add_argument("--new", type=int, default=200)
    args = parser.parse_args()
    print(json.dumps(core_throughput(args.responses)), flush=True)
    print(json.dumps(intake_run(args.existing, args.new)), flush=True)


if __name__ == "__main__":
    main()
