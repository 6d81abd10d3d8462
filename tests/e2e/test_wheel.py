"""The built wheel, installed outside the checkout, runs the command line and the cron jobs.

The wheel is built from a copy of the sources and installed (without its dependencies) into a fresh
virtual environment in a temporary folder. That environment reaches the dependencies through a
``.pth`` line naming this interpreter's site-packages, which adds them to the path without running
their ``.pth`` files, so an editable install of the checkout stays invisible: hsb_sheets itself can
only come from the wheel. Every command runs in a folder outside the checkout, without PYTHONPATH.
"""

from __future__ import annotations

import csv
import json
import os
import re
import shutil
import signal
import site
import subprocess
import sys
import time
import urllib.request
import venv
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import openpyxl
import pytest

from hsb_sheets.domain.tabs import REFERRALS
from tests.conftest import ROOT, valid_answers


@dataclass(frozen=True)
class Installed:
    """A virtual environment holding the wheel, and a working folder outside the checkout."""

    venv: Path
    work: Path
    env: dict[str, str]

    def run(self, *args: str, config: Path | None = None) -> subprocess.CompletedProcess[str]:
        """Run a program from the environment's bin/ in the working folder."""
        env = dict(self.env, HSB_SHEETS_CONFIG=str(config)) if config else self.env
        return subprocess.run(
            [str(self.venv / "bin" / args[0]), *args[1:]],
            cwd=self.work,
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )

    def start(self, *args: str) -> subprocess.Popen[str]:
        """Start a long-running program from the environment's bin/ in the working folder."""
        return subprocess.Popen(
            [str(self.venv / "bin" / args[0]), *args[1:]],
            cwd=self.work,
            env=self.env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )


def _build_wheel(dist: Path, scratch: Path) -> Path:
    """Build the wheel from a clean copy of what it is made of (no stale build/ folder)."""
    source = scratch / "source"
    source.mkdir()
    for name in ("pyproject.toml", "README.md"):
        shutil.copy2(ROOT / name, source / name)
    shutil.copytree(ROOT / "hsb_sheets", source / "hsb_sheets", ignore=shutil.ignore_patterns("__pycache__"))
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "--quiet", "--wheel-dir", str(dist), str(source)],
        check=True,
        capture_output=True,
        timeout=300,
    )
    (wheel,) = dist.glob("hsb_sheets-*.whl")
    return wheel


def _clean_env(bin_dir: Path) -> dict[str, str]:
    """This process's environment without anything that would point Python back at the checkout."""
    env = {
        key: value
        for key, value in os.environ.items()
        if key not in ("PYTHONPATH", "PYTHONHOME", "VIRTUAL_ENV") and not key.startswith("HSB_SHEETS_")
    }
    env["PATH"] = f"{bin_dir}{os.pathsep}{env.get('PATH', '')}"
    env["PYTHONNOUSERSITE"] = "1"
    env["COLUMNS"] = "200"  # rich wraps lines at 80 columns when it writes to a pipe
    return env


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> Installed:
    scratch = tmp_path_factory.mktemp("wheel")
    wheel = _build_wheel(scratch / "dist", scratch)
    env_dir = scratch / "venv"
    venv.create(env_dir, with_pip=False, symlinks=True)
    python = env_dir / "bin" / "python"
    # Install before the environment can see any other site-packages, so pip touches nothing else.
    subprocess.run(
        [sys.executable, "-m", "pip", "--python", str(python), "install", "--no-deps", "--quiet", str(wheel)],
        check=True,
        capture_output=True,
        timeout=300,
    )
    own = subprocess.run(
        [str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
        check=True,
        capture_output=True,
        text=True,
    ).stdout.strip()
    # (a .venv inside the checkout is fine: its site-packages holds at most an editable finder for
    # hsb_sheets, which only a .pth file it runs could install, and this line runs none)
    outer = [p for p in site.getsitepackages() if Path(p).is_dir() and Path(p).resolve() != ROOT]
    (Path(own) / "zz_dependencies.pth").write_text("".join(f"{p}\n" for p in outer))
    work = scratch / "work"
    work.mkdir()
    return Installed(env_dir, work, _clean_env(env_dir / "bin"))


def test_hsb_sheets_comes_from_the_wheel_and_ships_its_data(installed: Installed) -> None:
    assert not installed.work.resolve().is_relative_to(ROOT)
    probe = installed.run(
        "python",
        "-c",
        "import json, hsb_sheets, hsb_sheets.jobs.all; from importlib.resources import files; "
        "pkg = files('hsb_sheets'); print(json.dumps([hsb_sheets.__file__, "
        "[n for n in ('py.typed', 'config/referral_form.yaml', 'templates/web/form.html.j2') "
        "if pkg.joinpath(n).is_file()]]))",
    )
    assert probe.returncode == 0, probe.stderr
    location, data = json.loads(probe.stdout)
    assert Path(location).resolve().is_relative_to(installed.venv.resolve())
    assert data == ["py.typed", "config/referral_form.yaml", "templates/web/form.html.j2"]


def test_init_demo_and_the_cron_jobs_run_from_the_wheel(installed: Installed) -> None:
    init = installed.run("hsb-sheets", "init", "empty")
    assert init.returncode == 0, init.stderr
    assert (installed.work / "empty" / "register.xlsx").is_file()
    demo = installed.run("hsb-sheets", "demo", "demo")
    assert demo.returncode == 0, demo.stderr
    workspace = installed.work / "demo"
    book = openpyxl.load_workbook(workspace / "register.xlsx", read_only=True)
    assert sum(1 for row in book[REFERRALS].iter_rows(min_row=2, values_only=True) if any(row)) > 0
    emails = sorted(p.name for p in (workspace / "outbox").glob("*.eml"))
    assert any(name.startswith("acknowledgement") for name in emails)
    settings = workspace / "hsb-sheets.toml"
    cron = installed.run("python", "-m", "hsb_sheets.jobs.all", config=settings)
    assert cron.returncode == 0 and "job finished job=digest" in cron.stderr, cron.stderr
    assert sorted(p.name for p in (workspace / "outbox").glob("*.eml")) == emails  # nothing sent twice


def test_triage_and_rules_check_use_the_shipped_tables(installed: Installed) -> None:
    ids = list(valid_answers())
    source = installed.work / "responses.csv"
    with source.open("w", newline="", encoding="utf-8") as fh:
        csv.writer(fh).writerows([ids, [valid_answers(traffic_light="Red")[i] for i in ids]])
    triage = installed.run("hsb-sheets", "triage", str(source), "--format", "json", "--today", "2026-03-10")
    assert triage.returncode == 0, triage.stderr
    assert json.loads(triage.stdout)[0]["decision"]["route"] == "strategy_discussion"
    rules = installed.run("hsb-sheets", "rules", "check")
    assert rules.returncode == 0 and "worked examples pass" in rules.stdout, rules.stdout + rules.stderr


@pytest.fixture
def running(installed: Installed) -> Iterator[list[subprocess.Popen[str]]]:
    processes: list[subprocess.Popen[str]] = []
    yield processes
    for process in processes:
        if process.poll() is None:
            process.kill()
            process.wait(timeout=10)


def test_the_web_form_and_the_worker_start_from_the_wheel(
    installed: Installed, running: list[subprocess.Popen[str]]
) -> None:
    assert installed.run("hsb-sheets", "init", "served").returncode == 0
    settings = str(installed.work / "served" / "hsb-sheets.toml")
    server = installed.start("hsb-sheets", "--config", settings, "form", "serve", "--port", "0")
    running.append(server)
    assert server.stdout is not None
    address = re.search(r"http://127\.0\.0\.1:\d+/", server.stdout.readline())
    assert address, "the form server did not say where it listens"
    with urllib.request.urlopen(address.group(0), timeout=10) as page:
        assert page.status == 200 and "Your phone number" in page.read().decode()
    server.send_signal(signal.SIGINT)
    _, errors = server.communicate(timeout=30)
    assert server.returncode == 0, errors
    worker = installed.start("hsb-sheets", "--config", settings, "worker")
    running.append(worker)
    assert worker.stderr is not None
    assert "worker started" in worker.stderr.readline()
    time.sleep(0.5)  # as tests/e2e/test_operations.py: let the scheduler start before it is stopped
    worker.send_signal(signal.SIGTERM)
    _, errors = worker.communicate(timeout=30)
    assert worker.returncode == 0 and "worker stopped" in errors, errors
