"""Running ``hsb-sheets`` commands for the fault harness, killing them at chosen moments.

Two ways to start a command, both a real, separate process that SIGKILL stops dead:

- ``fork`` (the default): the harness imports the CLI once, then forks a child per command that calls
  it, so a run costs its work and not three seconds of imports, and a kill lands inside the work;
- ``subprocess``: ``python -m hsb_sheets`` from scratch each time, exactly as cron would start it.

The referral form's server (``hsb-sheets form serve``) is started the same way and fed over HTTP.
"""

from __future__ import annotations

import contextlib
import os
import re
import signal
import socket
import subprocess
import sys
import time
import traceback
import urllib.parse
import urllib.request
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
ADDRESS = re.compile(r"[\w.+-]+@[\w-]+(\.[\w-]+)+")


@dataclass
class Outcome:
    """How one command ended: its exit code (None if killed), seconds, and its last stderr line."""

    code: int | None
    seconds: float
    killed: bool
    last_line: str


def scrubbed(line: str) -> str:
    """A stderr line fit to print: no addresses, at most 200 characters."""
    return ADDRESS.sub("<address>", line.strip())[:200]


class Runner:
    """Starts ``hsb-sheets`` commands as child processes and waits for (or kills) them."""

    def __init__(self, spawn: str, scratch: Path) -> None:
        self.spawn = spawn
        self.scratch = scratch
        self.count = 0
        if spawn == "fork":
            import hsb_sheets.cli  # noqa: F401  (imported once, before any fork)

    def start(self, args: list[str], log: str = "") -> tuple[int | subprocess.Popen[bytes], Path]:
        """Start a command; its process (a pid when forked) and the file its output goes to."""
        self.count += 1
        output = self.scratch / (log or f"command-{self.count % 8}.log")
        if self.spawn == "subprocess":
            env = dict(os.environ, PYTHONPATH=os.pathsep.join([str(REPO), os.environ.get("PYTHONPATH", "")]))
            with output.open("wb") as fh:
                proc = subprocess.Popen(
                    [sys.executable, "-m", "hsb_sheets", *args], stdout=fh, stderr=fh, env=env
                )
            return proc, output
        sys.stdout.flush()
        sys.stderr.flush()
        pid = os.fork()
        if pid == 0:  # the child: run the command, never return into the harness
            _child(args, output)
        return pid, output

    def run(self, args: list[str], kill_after: float | None = None, timeout: float = 300) -> Outcome:
        """Run a command to its end, or SIGKILL it after ``kill_after`` seconds if it is still running."""
        started = time.monotonic()
        proc, output = self.start(args)
        deadline = started + (kill_after if kill_after is not None else timeout)
        code = _poll(proc)
        while code is None and time.monotonic() < deadline:
            time.sleep(0.005)
            code = _poll(proc)
        killed = False
        if code is None:
            _signal(proc, signal.SIGKILL)
            killed = kill_after is not None
            code = _wait(proc)
        seconds = time.monotonic() - started
        return Outcome(None if killed else code, seconds, killed, _last_line(output))


def _child(args: list[str], output: Path) -> None:
    code = 70
    try:
        fd = os.open(output, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        os.dup2(fd, 1)
        os.dup2(fd, 2)
        from hsb_sheets.cli import cli

        try:
            cli.main(args=args, prog_name="hsb-sheets")
            code = 0
        except SystemExit as ended:
            code = ended.code if isinstance(ended.code, int) else (0 if ended.code is None else 1)
    except BaseException:
        traceback.print_exc()
    finally:
        with contextlib.suppress(Exception):
            sys.stdout.flush()
            sys.stderr.flush()
        os._exit(code)


def _poll(proc: int | subprocess.Popen[bytes]) -> int | None:
    if isinstance(proc, subprocess.Popen):
        return proc.poll()
    pid, status = os.waitpid(proc, os.WNOHANG)
    return os.waitstatus_to_exitcode(status) if pid else None


def _wait(proc: int | subprocess.Popen[bytes]) -> int:
    if isinstance(proc, subprocess.Popen):
        return proc.wait()
    return os.waitstatus_to_exitcode(os.waitpid(proc, 0)[1])


def _signal(proc: int | subprocess.Popen[bytes], signum: int) -> None:
    with contextlib.suppress(ProcessLookupError):
        if isinstance(proc, subprocess.Popen):
            proc.send_signal(signum)
        else:
            os.kill(proc, signum)


def _last_line(output: Path) -> str:
    try:
        lines = [line for line in output.read_text(errors="replace").splitlines() if line.strip()]
    except OSError:
        return ""
    return scrubbed(lines[-1]) if lines else ""


class FormServer:
    """``hsb-sheets form serve`` for one workspace, fed fictional referrals over HTTP as a browser would."""

    def __init__(self, runner: Runner, config: Path) -> None:
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            self.port = probe.getsockname()[1]
        self.proc, _ = runner.start(
            ["--config", str(config), "form", "serve", "--port", str(self.port)], "form.log"
        )
        self.url = f"http://127.0.0.1:{self.port}/"
        deadline = time.monotonic() + 60
        while True:
            try:
                urllib.request.urlopen(self.url, timeout=5).close()
                break
            except OSError:
                if time.monotonic() > deadline or _poll(self.proc) is not None:
                    raise RuntimeError("the referral form did not start") from None
                time.sleep(0.1)

    def submit(self, answers: dict[str, str]) -> bool:
        """Fill in and send the form; True if it said the referral was sent."""
        with urllib.request.urlopen(self.url, timeout=30) as page:
            cookie = page.headers.get("Set-Cookie", "").split(";", 1)[0]
            html = page.read().decode("utf-8")
        token = re.search(r'name="csrf_token" value="([^"]+)"', html)
        data = dict(answers, csrf_token=token.group(1) if token else "")
        request = urllib.request.Request(
            self.url, data=urllib.parse.urlencode(data).encode(), headers={"Cookie": cookie}, method="POST"
        )
        try:
            with urllib.request.urlopen(request, timeout=60) as answer:
                return "Referral sent" in answer.read().decode("utf-8")
        except OSError:
            return False

    def stop(self) -> None:
        """Stop it as Ctrl-C would (a copy under way finishes first)."""
        _signal(self.proc, signal.SIGINT)
        deadline = time.monotonic() + 20
        while _poll(self.proc) is None:
            if time.monotonic() > deadline:
                _signal(self.proc, signal.SIGKILL)
                _wait(self.proc)
                return
            time.sleep(0.05)
