"""Sheets requests per `run` of every job (benchmarks/sheets_calls.py, against the fake Sheets server):
at most 3 with nothing to do and 12 with new responses, meetings to invite and a reminder due, the
same whatever the register's size. Counts, not timing: the benchmark prints the seconds."""

from __future__ import annotations

from benchmarks.sheets_calls import run_size


def test_a_run_costs_the_same_few_requests_whatever_the_registers_size() -> None:
    small, larger = run_size(30), run_size(300)
    for figures in (small, larger):
        busy, idle = figures["busy_run"], figures["idle_run"]
        assert isinstance(busy, dict) and isinstance(idle, dict)
        assert busy["reminders_sent"] == 1  # the busy run really had a reminder due
        assert busy["requests"] <= 12
        assert idle["requests"] <= 3
    assert small["busy_run"]["requests"] == larger["busy_run"]["requests"]  # type: ignore[index]
    assert small["idle_run"]["requests"] == larger["idle_run"]["requests"]  # type: ignore[index]
