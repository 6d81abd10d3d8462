"""Fault-injection harness: the jobs killed at random moments beside coordinators' work (run by hand).

    PYTHONPATH=. python -m benchmarks.fault_harness --trials 200 --seed 1

Each trial makes a fresh local workspace (``hsb-sheets init``) with the example Directory and a few
fictional referrals, then plays ``--rounds`` rounds. In a round coordinators may sort a tab, insert
a blank row, delete a row, type edits (a Worker, Notes, an Agreed start, a Cancelled, a new
intervention and its End date, a Resolution) or save the register through LibreOffice; new
referrals arrive (pasted into *Form responses 1*, or sent through the web form, whose server runs
for the whole trial); the register may be held open (LibreOffice's lock file) for a round or two, or
a stale copy saved over it after the run. Then the jobs run (``hsb-sheets run``) and are SIGKILLed
at a random moment with probability ``--kill-probability``; a killed run is followed by a clean one.
A final clean run ends the trial, and every invariant is checked from the register, the ``.eml``
outbox and the ``.ics`` files (see benchmarks/fault_checks.py).

Prints one JSON line per trial and a summary line. Every choice is seeded (``--seed``, trial number);
only the moment each kill lands is not, so ``--seed S --trial T`` replays trial T's choices.
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path
from typing import Any

from benchmarks.fault_data import read_form
from benchmarks.fault_runner import Runner
from benchmarks.fault_trial import Options, Timing, Trial

JOBS = ("intake", "meetings", "reminders", "digest")
SUMMED = (
    "runs",
    "kills",
    "stale_saves",
    "libreoffice_saves",
    "held_open_runs",
    "lost",
    "duplicated",
    "reused_ids",
    "mismatched_invitations",
    "mismatched_acknowledgements",
    "lost_edits",
    "leftover_temp_files",
    "errors",
)


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    """The command line."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--trials", type=int, default=200, help="how many trials (default 200)")
    parser.add_argument("--trial", type=int, default=None, help="run only this trial (to replay a finding)")
    parser.add_argument(
        "--first-trial", type=int, default=0, help="number of the first trial (to split a run)"
    )
    parser.add_argument("--rounds", type=int, default=4, help="rounds per trial (default 4)")
    parser.add_argument("--responses", type=int, default=5, help="referrals each trial starts with")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--kill-probability", type=float, default=0.5)
    parser.add_argument(
        "--jobs", default="", help=f"comma-separated subset of {', '.join(JOBS)} (default all)"
    )
    parser.add_argument("--no-libreoffice", action="store_true", help="never save through LibreOffice")
    parser.add_argument("--no-web-form", action="store_true", help="no web-form server; paste responses only")
    parser.add_argument(
        "--spawn",
        choices=("fork", "subprocess"),
        default="fork",
        help="fork a pre-imported CLI per run (fast, default) or start python each time",
    )
    parser.add_argument(
        "--workdir", type=Path, default=None, help="where workspaces go (default: a temp dir)"
    )
    parser.add_argument("--keep", action="store_true", help="keep the workspaces afterwards")
    parser.add_argument("--trace", action="store_true", help="list each trial's steps in its JSON line")
    args = parser.parse_args(argv)
    jobs = tuple(j.strip() for j in args.jobs.split(",") if j.strip())
    unknown = sorted(set(jobs) - set(JOBS))
    if unknown:
        parser.error(f"unknown job(s): {', '.join(unknown)}")
    args.job_names = jobs
    return args


def main(argv: list[str] | None = None) -> int:
    """Run the trials, print their JSON lines and the summary; exit 1 if anything broke."""
    args = parse_args(argv)
    options = Options(
        seed=args.seed,
        rounds=args.rounds,
        responses=args.responses,
        kill_probability=args.kill_probability,
        libreoffice=not args.no_libreoffice and shutil.which("soffice") is not None,
        web_form=not args.no_web_form,
        jobs=args.job_names,
        trace=args.trace,
    )
    root = args.workdir or Path(tempfile.mkdtemp(prefix="hsb-fault-harness-"))
    root.mkdir(parents=True, exist_ok=True)
    scratch = root / "scratch"
    scratch.mkdir(exist_ok=True)
    runner = Runner(args.spawn, scratch)
    form, timing = read_form(), Timing()
    numbers = (
        [args.trial]
        if args.trial is not None
        else list(range(args.first_trial, args.first_trial + args.trials))
    )
    totals: Counter[str] = Counter()
    kinds: Counter[str] = Counter()
    started = time.monotonic()
    try:
        for number in numbers:
            workspace = root / f"trial-{number:03d}"
            if workspace.exists():
                shutil.rmtree(workspace)
            trial = Trial(number, workspace, runner, form, options, timing, root / "soffice-profile")
            record = trial.run()
            print(json.dumps(record), flush=True)
            totals.update({k: record[k] for k in SUMMED})
            totals["trials_with_problems"] += any(record[k] for k in SUMMED[5:])
            kinds.update(p.kind for p in trial.problems)
            if not args.keep:
                shutil.rmtree(workspace, ignore_errors=True)
    finally:
        if not args.keep and args.workdir is None:
            shutil.rmtree(root, ignore_errors=True)
    summary: dict[str, Any] = {
        "summary": True,
        "seed": args.seed,
        "trials": len(numbers),
        "rounds": args.rounds,
        "spawn": args.spawn,
        "libreoffice": options.libreoffice,
        "web_form": options.web_form,
        **{k: totals[k] for k in SUMMED},
        "trials_with_problems": totals["trials_with_problems"],
        "by_kind": dict(sorted(kinds.items())),
        "seconds": round(time.monotonic() - started, 1),
    }
    print(json.dumps(summary), flush=True)
    return 1 if summary["trials_with_problems"] else 0


if __name__ == "__main__":
    sys.exit(main())
