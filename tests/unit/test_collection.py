"""A run holds off cyclic garbage collection while it builds its tables, and always resumes it."""

from __future__ import annotations

import gc
import threading
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from hsb_sheets.scheduler import Turns
from hsb_sheets.services import runner
from hsb_sheets.services.collection import collection_held
from hsb_sheets.services.context import Context
from hsb_sheets.services.runner import JobsFailed, run_jobs


@pytest.fixture(autouse=True)
def collecting() -> Iterator[None]:
    """Each test starts with collection on, and leaves it as it found it."""
    was = gc.isenabled()
    gc.enable()
    yield
    if not was:
        gc.disable()


class Counted:
    """A job's report: nothing counted."""

    def counts(self) -> dict[str, int]:
        return {}


def probing(monkeypatch: pytest.MonkeyPatch, seen: dict[str, bool], fail: str = "") -> None:
    """Jobs that record whether collection was on while they ran (``fail`` raises)."""

    def job(name: str) -> Callable[..., Any]:
        def run(ctx: Context, *, dry_run: bool = False) -> Counted:
            seen[name] = gc.isenabled()
            if name == fail:
                raise RuntimeError("a fault")
            return Counted()

        return run

    for name in list(runner.JOBS):
        monkeypatch.setitem(runner.JOBS, name, job(name))


def test_every_job_runs_with_collection_held_and_it_resumes_after(
    memory_context: Context, monkeypatch: pytest.MonkeyPatch
) -> None:
    seen: dict[str, bool] = {}
    probing(monkeypatch, seen)
    run_jobs(memory_context)
    assert seen == {name: False for name in runner.JOBS}
    assert gc.isenabled()


def test_collection_resumes_after_a_failed_run(
    memory_context: Context, monkeypatch: pytest.MonkeyPatch
) -> None:
    seen: dict[str, bool] = {}
    probing(monkeypatch, seen, fail="meetings")
    with pytest.raises(JobsFailed):
        run_jobs(memory_context)
    assert not any(seen.values()) and gc.isenabled()


def test_collection_stays_off_if_it_was_off_before() -> None:
    gc.disable()
    with collection_held():
        assert not gc.isenabled()
    assert not gc.isenabled()


def test_overlapping_holds_resume_collection_only_when_the_last_ends() -> None:
    first_in, second_in, first_out = threading.Event(), threading.Event(), threading.Event()
    during: list[bool] = []

    def second() -> None:
        first_in.wait()
        with collection_held():
            second_in.set()
            first_out.wait()
            during.append(gc.isenabled())  # the first hold ended: this one still holds

    thread = threading.Thread(target=second)
    thread.start()
    with collection_held():
        first_in.set()
        second_in.wait()
    first_out.set()
    thread.join()
    assert during == [False]
    assert gc.isenabled()


def test_the_workers_turn_runs_its_jobs_with_collection_held(
    memory_context: Context, monkeypatch: pytest.MonkeyPatch
) -> None:
    seen: dict[str, bool] = {}
    probing(monkeypatch, seen)
    Turns(memory_context, lease_wait=0, gather=0).tick("intake")
    assert seen == {"intake": False}
    assert gc.isenabled()
