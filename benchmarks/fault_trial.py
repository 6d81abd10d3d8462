"""One trial of the fault harness: a fresh workspace, rounds of coordinators' work and killed runs, checks.

A fresh workspace per trial makes every finding reproducible from its seed and trial number alone
(``--seed S --trial T``); each trial still runs several rounds over the same register, so faults
build on each other (a stale save after a killed run, a sort while a meeting is half-invited).
Every choice comes from the trial's own random generator; only the moment a kill lands varies.
"""

from __future__ import annotations

import random
import re
import time
from collections import Counter
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any

from benchmarks import fault_actions as act
from benchmarks.fault_checks import (
    LONDON,
    Edit,
    Ledger,
    Problem,
    Response,
    canonical,
    check_workspace,
    read_outbox,
    read_register,
)
from benchmarks.fault_data import FormFields, directory_rows, make_referral, paste_timestamp
from benchmarks.fault_runner import FormServer, Outcome, Runner

SORTS = {
    "Referrals": ("Child last name", "Received", "Worker", "Case ID"),
    "Meetings": ("Proposed start", "Type", "Case ID"),
    "Interventions": ("Start date", "Case ID"),
    "Intake issues": ("Received",),
    "Form responses 1": ("Your agency", "Timestamp"),
    "Outbox": ("State", "Recipient", "Key"),
}
INTERVENTION_KINDS = ("Safety planning", "AIM3 assessment", "TA-HSB work")


@dataclass
class Options:
    """How the harness runs (the command line's options)."""

    seed: int = 1
    rounds: int = 4
    responses: int = 5
    kill_probability: float = 0.5
    libreoffice: bool = True
    web_form: bool = True
    jobs: tuple[str, ...] = ()
    trace: bool = False  # put each trial's steps in its record


@dataclass
class Timing:
    """A running estimate of how long a whole run takes, the range a kill is drawn from."""

    typical: float = 1.5

    def note(self, seconds: float) -> None:
        """Fold in a run that finished by itself."""
        self.typical = 0.8 * self.typical + 0.2 * seconds


@dataclass
class Trial:
    """One trial's workspace, choices and findings."""

    number: int
    workspace: Path
    runner: Runner
    form: FormFields
    options: Options
    timing: Timing
    profile: Path
    rng: random.Random = field(init=False)
    ledger: Ledger = field(default_factory=Ledger)
    stats: Counter[str] = field(default_factory=Counter)
    problems: list[Problem] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    numbered: int = 0
    lock: Path | None = None
    held_rounds: int = 0
    steps: list[str] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.rng = random.Random(f"{self.options.seed}:{self.number}")
        self.register = self.workspace / "register.xlsx"
        self.config = self.workspace / "hsb-sheets.toml"
        self.today = datetime.now(LONDON).date()

    # -- running the jobs ----------------------------------------------------------------------

    def command(self, *args: str) -> list[str]:
        """A command line for this workspace."""
        return ["--config", str(self.config), *args]

    def run_jobs(self, kill: bool) -> Outcome:
        """Run the jobs once, SIGKILLed at a random moment if ``kill``; count and note the outcome."""
        args = self.command("run", *(a for j in self.options.jobs for a in ("--job", j)))
        delay = random.uniform(0, self.timing.typical) if kill else None  # timing is not seeded
        outcome = self.runner.run(args, kill_after=delay)
        self.stats["runs"] += 1
        self.stats["held_open_runs"] += self.lock is not None
        self.steps.append(
            f"run{' (held open)' if self.lock else ''}: {'killed' if outcome.killed else outcome.code}"
        )
        if outcome.killed:
            self.stats["kills"] += 1
        elif outcome.code != 0:
            self.errors.append(outcome.last_line or f"exit status {outcome.code}")
        elif self.lock is None:
            self.timing.note(outcome.seconds)
        self.observe()
        return outcome

    def observe(self) -> None:
        """Note which response each case id names now; a register nobody can read is an error."""
        try:
            tables = read_register(self.register)
            self.problems += self.ledger.observe(tables, read_outbox(self.workspace / "outbox"))
        except Exception as problem:
            self.errors.append(f"{type(problem).__name__} reading the register")

    # -- the trial -----------------------------------------------------------------------------

    def lift_rate_limits(self) -> None:
        """One test client sends every web-form referral, so the per-address limits would refuse it
        (they are tested in tests/integration/test_web_form.py; here they would only hide what matters)."""
        text = self.config.read_text(encoding="utf-8")
        text = re.sub(r"(?m)^submissions_per_window = \d+", "submissions_per_window = 100000", text)
        text = re.sub(r"(?m)^posts_per_minute = \d+", "posts_per_minute = 100000", text)
        self.config.write_text(text, encoding="utf-8")

    def run(self) -> dict[str, Any]:
        """Set up, play every round, finish cleanly and check; the trial's JSON record."""
        started = time.monotonic()
        setup = self.runner.run(["init", str(self.workspace)])
        if setup.code != 0:
            self.errors.append(f"init failed: {setup.last_line}")
            return self.record(started)
        act.append_rows(self.register, "Directory", _records(directory_rows()))
        self.lift_rate_limits()
        self.paste(self.options.responses)
        server = FormServer(self.runner, self.config) if self.options.web_form else None
        try:
            for _ in range(self.options.rounds):
                self.round(server)
        finally:
            if server is not None:
                server.stop()
        self.end_hold(save=True)
        final = self.runner.run(self.command("run", *(a for j in self.options.jobs for a in ("--job", j))))
        self.stats["runs"] += 1
        if final.code != 0:
            self.errors.append(f"final run: {final.last_line or final.code}")
        self.problems += check_workspace(self.workspace, self.ledger)
        return self.record(started)

    def round(self, server: FormServer | None) -> None:
        """Coordinators' work, new referrals, maybe a hold or a stale copy, a run that may be killed."""
        rng = self.rng
        self.steps.append("-- round")
        if self.lock is None and rng.random() < 0.7:
            for _ in range(rng.randint(1, 3)):
                self.coordinator_action()
        if self.lock is None and rng.random() < 0.3:
            self.paste(rng.randint(1, 2))
        if server is not None and rng.random() < 0.6:
            self.web_form(server, rng.randint(1, 2))
        if self.lock is None and rng.random() < 0.15:
            self.start_hold()
        stale = self.lock is None and rng.random() < 0.2
        aside = self.workspace.parent / f"{self.workspace.name}-stale.xlsx"
        if stale:
            act.save_aside(self.register, aside)
            self.stats["stale_saves"] += 1
            self.steps.append("stale copy taken")
        outcome = self.run_jobs(kill=rng.random() < self.options.kill_probability)
        if outcome.killed:
            self.run_jobs(kill=False)  # the next scheduled run finishes the work
        if stale:
            self.steps.append("stale copy saved back")
            act.save_back(aside, self.register)
            aside.unlink()
            self.observe()
        if self.lock is not None:
            self.held_rounds -= 1
            if self.held_rounds <= 0:
                self.end_hold(save=rng.random() < 0.7)

    def start_hold(self) -> None:
        """A coordinator opens the register in LibreOffice (its lock file) for a round or two."""
        self.lock = act.hold_open(self.register)
        act.save_aside(self.register, self.workspace.parent / f"{self.workspace.name}-held.xlsx")
        self.held_rounds = self.rng.randint(1, 2)
        self.steps.append("held open")

    def end_hold(self, save: bool) -> None:
        """They close it, saving (what they opened) or not."""
        if self.lock is None:
            return
        held = self.workspace.parent / f"{self.workspace.name}-held.xlsx"
        self.steps.append("closed, saved" if save else "closed, not saved")
        if save:
            act.save_back(held, self.register)
        held.unlink()
        act.release(self.lock)
        self.lock = None

    # -- new referrals -------------------------------------------------------------------------

    def _referral(self) -> tuple[str, dict[str, str], bool]:
        self.numbered += 1
        valid = self.rng.random() > 0.2
        referral = make_referral(self.rng, self.number, self.numbered, self.today, valid)
        return referral.tag, referral.answers, valid

    def paste(self, count: int) -> None:
        """Responses pasted into "Form responses 1" from a CSV export (some with mistakes)."""
        now = datetime.now(LONDON).replace(tzinfo=None)
        records = []
        for _ in range(count):
            tag, answers, valid = self._referral()
            instant = paste_timestamp(now, self.numbered)
            as_cell = self.rng.random() < 0.5  # a real date cell, or Google's text
            record: dict[str, Any] = {
                "Timestamp": instant if as_cell else instant.strftime("%d/%m/%Y %H:%M:%S")
            }
            record.update({self.form.titles[f]: answers[f] for f in self.form.ids})
            records.append(record)
            self.ledger.responses[tag] = Response(tag, valid, canonical(instant))
        act.append_rows(self.register, "Form responses 1", records)
        self.steps.append(f"pasted {count}")

    def web_form(self, server: FormServer, count: int) -> None:
        """Valid referrals sent through the local web form (kept in the journal, copied in later)."""
        sent = set()
        for _ in range(count):
            tag, answers, _ = self._referral()
            if answers["child_dob"] == "31/02/2014":  # the form would show it back: send it corrected
                answers["child_dob"] = "01/02/2014"
            if server.submit(answers):
                self.ledger.responses[tag] = Response(tag, True)
                self.stats["web_form"] += 1
                sent.add(tag)
            else:
                self.errors.append("the web form did not accept a valid referral")
        self.steps.append(f"web form {len(sent)}")
        if self.lock is None and sent:
            self._wait_for_copy(sent)

    def _wait_for_copy(self, wanted: set[str]) -> None:
        """Let the form's background copy land before anyone edits the register (so seeds replay)."""
        deadline, seen = time.monotonic() + 10, -1.0
        while time.monotonic() < deadline:
            changed = self.register.stat().st_mtime
            if changed == seen:  # read again only once the copy replaced the file
                time.sleep(0.05)
                continue
            seen = changed
            try:
                rows = read_register(self.register).get("Form responses 1", [])
            except Exception:
                rows = []
            if wanted <= {r.get(self.form.titles["referrer_email"], "").lower() for r in rows}:
                return
            time.sleep(0.1)

    # -- coordinators --------------------------------------------------------------------------

    def coordinator_action(self) -> None:
        """One thing a coordinator does in the register."""
        rng = self.rng
        choice = rng.choices(
            ("sort", "insert", "delete", "edit", "correct", "libreoffice"),
            weights=(3, 2, 2, 5, 2, 1 if self.options.libreoffice else 0),
        )[0]
        try:
            if choice == "sort":
                tab = rng.choice(sorted(SORTS))
                act.sort_tab(self.register, tab, rng.choice(SORTS[tab]), rng.random() < 0.5)
            elif choice == "insert":
                act.insert_blank_row(self.register, rng.choice(sorted(SORTS)))
            elif choice == "delete":
                self.delete()
            elif choice == "edit":
                self.edit()
            elif choice == "correct":
                self.correct()
            else:
                act.libreoffice_save(self.register, self.profile)
                self.stats["libreoffice_saves"] += 1
            self.stats[f"action_{choice}"] += 1
            self.steps.append(choice)
        except act.ActionError as problem:
            self.errors.append(str(problem))

    def delete(self) -> None:
        """Delete a row: a sent Outbox entry or an Audit log line, or (rarely) a referral or an issue."""
        rng = self.rng
        tab = rng.choices(("Outbox", "Audit log", "Referrals", "Intake issues"), weights=(3, 2, 1, 1))[0]

        def pick(records: list[dict[str, str]]) -> int | None:
            allowed = [i for i, r in enumerate(records) if tab != "Outbox" or r.get("State") == "sent"]
            return rng.choice(allowed) if allowed else None

        gone = act.delete_row(self.register, tab, pick)
        if tab == "Referrals" and gone.get("Referrer email", "").lower() in self.ledger.responses:
            self.ledger.responses[gone["Referrer email"].lower()].deleted = True
            case = gone.get("Case ID", "")
            self.ledger.edits = [
                e for e in self.ledger.edits if (e.tab, e.key) != ("Referrals", (("Case ID", case),))
            ]
        if tab == "Intake issues" and gone:
            for response in self.ledger.responses.values():
                if response.received and response.received == gone.get("Received"):
                    response.deleted = True
            key = (("Received", gone.get("Received", "")),)
            self.ledger.edits = [e for e in self.ledger.edits if (e.tab, e.key) != ("Intake issues", key)]

    def edit(self) -> None:
        """Type a Worker, Notes, an Agreed start, a Cancelled, an intervention or its End date."""
        rng = self.rng
        tables = read_register(self.register)
        cases = [r for r in tables.get("Referrals", []) if r.get("Case ID")]
        meetings = [
            r for r in tables.get("Meetings", []) if r.get("Event ID") and r.get("Status") != "Cancelled"
        ]
        mine = [e for e in self.ledger.edits if e.tab == "Interventions" and e.column == "Case ID"]
        kind = rng.choice(("referral", "meeting", "intervention", "end date", "resolution"))
        if kind == "referral" and cases:
            row = rng.choice(cases)
            values: dict[str, Any] = rng.choice(
                (
                    {"Worker": f"Worker {rng.randint(1, 9)}"},
                    {"Notes": f"Harness note {rng.randint(1, 999)}"},
                    {"Status": "In progress", "Worker": f"Worker {rng.randint(1, 9)}"},
                )
            )
            self.type_in("Referrals", (("Case ID", row["Case ID"]),), values)
        elif kind == "meeting" and meetings:
            row = rng.choice(meetings)
            when = act.next_working_time(
                self.today, rng.randint(2, 6), rng.choice((10, 11, 14)), rng.choice((0, 30))
            )
            agreed: Any = when if rng.random() < 0.5 else when.strftime("%d/%m/%Y %H:%M")
            values = {"Status": "Cancelled"} if rng.random() < 0.15 else {"Agreed start": agreed}
            self.type_in("Meetings", (("Meeting", row["Meeting"]),), values)
        elif kind == "intervention":
            hsb = [r for r in cases if r.get("Service") == "hsb"]
            if hsb:
                self.add_intervention(rng.choice(hsb)["Case ID"])
        elif kind == "end date" and mine:
            key = rng.choice(mine).key
            end: Any = date.fromordinal(self.today.toordinal() - rng.randint(0, 20))
            self.type_in(
                "Interventions", key, {"End date": end if rng.random() < 0.5 else end.strftime("%d/%m/%Y")}
            )
        elif kind == "resolution":
            issues = [r for r in tables.get("Intake issues", []) if r.get("Received")]
            if issues:
                row = rng.choice(issues)
                self.type_in(
                    "Intake issues", (("Received", row["Received"]),), {"Resolution": "Contacted referrer"}
                )

    def correct(self) -> None:
        """Correct an answer in "Form responses 1" (the referrer's address, or another), re-format its
        Timestamp column, or type an unreadable value into a coordinator cell (it must stay there)."""
        rng = self.rng
        kind = rng.choice(("address", "answer", "timestamp format", "bad cell"))
        email, phone = self.form.titles["referrer_email"], self.form.titles["referrer_phone"]
        if kind in ("address", "answer"):
            rows = read_register(self.register).get("Form responses 1", [])
            known = [r[email] for r in rows if r.get(email, "").lower() in self.ledger.responses]
            if not known:
                return
            address = rng.choice(known)
            if kind == "address":
                corrected = address.replace("@", ".corrected@", 1)
                if act.type_values(
                    self.register, "Form responses 1", ((email, address),), {email: corrected}
                ):
                    self.ledger.aliases[corrected.lower()] = address.lower()
            else:
                act.type_values(
                    self.register, "Form responses 1", ((email, address),), {phone: "07700 900123"}
                )
        elif kind == "timestamp format":
            fmt = rng.choice(("yyyy-mm-dd hh:mm", "dd/mm/yyyy", "d mmm yyyy hh:mm:ss"))
            act.reformat_column(self.register, "Form responses 1", "Timestamp", fmt)
        else:
            tables = read_register(self.register)
            meetings = [r for r in tables.get("Meetings", []) if r.get("Meeting")]
            mine = [e for e in self.ledger.edits if e.tab == "Interventions" and e.column == "Case ID"]
            if mine and rng.random() < 0.5:
                self.type_in("Interventions", rng.choice(mine).key, {"End date": "31/12/9999"})
            elif meetings:
                self.type_in(
                    "Meetings", (("Meeting", rng.choice(meetings)["Meeting"]),), {"Agreed start": "next week"}
                )
        self.stats[f"correct_{kind.replace(' ', '_')}"] += 1
        self.steps.append(f"correct {kind}")

    def type_in(self, tab: str, key: tuple[tuple[str, str], ...], values: dict[str, Any]) -> None:
        """Type values into a row and remember them as edits that must survive."""
        if act.type_values(self.register, tab, key, values):
            for column, value in values.items():
                self.ledger.edits = [
                    e for e in self.ledger.edits if (e.tab, e.key, e.column) != (tab, key, column)
                ]
                self.ledger.edits.append(Edit(tab, key, column, canonical(value)))
            self.stats["edits"] += len(values)

    def add_intervention(self, case_id: str) -> None:
        """A coordinator records a new intervention on a case (a row of their own columns)."""
        start = date.fromordinal(self.today.toordinal() - self.rng.randint(30, 90)).strftime("%d/%m/%Y")
        kind = self.rng.choice(INTERVENTION_KINDS)
        key = (("Case ID", case_id), ("Intervention", kind), ("Start date", canonical(start)))
        if any(e.key == key for e in self.ledger.edits):
            return
        values = {
            "Case ID": case_id,
            "Intervention": kind,
            "Worker email": "hsb.worker@example.gov.uk",
            "Start date": start,
            "Sessions agreed": "6",
        }
        if act.append_rows(self.register, "Interventions", [values]):
            self.ledger.edits += [Edit("Interventions", key, c, canonical(v)) for c, v in values.items()]
            self.stats["edits"] += len(values)

    def record(self, started: float) -> dict[str, Any]:
        """The trial's JSON record: what was done, what broke (counts and details), how long it took."""
        from benchmarks.fault_checks import counts

        found = counts(self.problems)
        found["errors"] += len(self.errors)
        return {
            "trial": self.number,
            "seed": self.options.seed,
            "responses": len(self.ledger.responses),
            **{
                k: self.stats[k]
                for k in ("runs", "kills", "stale_saves", "libreoffice_saves", "held_open_runs")
            },
            **found,
            "problems": [{"kind": p.kind, "detail": p.detail} for p in self.problems[:25]],
            "error_lines": self.errors[:10],
            "seconds": round(time.monotonic() - started, 2),
            **({"steps": self.steps} if self.options.trace else {}),
        }


def _records(rows: list[list[str]]) -> list[dict[str, Any]]:
    head, *body = rows
    return [dict(zip(head, r, strict=False)) for r in body]
