"""Meeting slot planning benchmark, printed as JSON lines (run by hand: ``python benchmarks/meetings.py``).

Plans slots for 1,000 pending meetings against a Meetings tab that already holds 10,000 booked ones
(target: under 2 seconds), first in the pure core, then as a whole meetings job run over an in-memory
register and calendar (template rendering, invitations and the register write included).
"""

from __future__ import annotations

import argparse
import json
import random
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from tempfile import mkdtemp
from zoneinfo import ZoneInfo

from hsb_sheets.adapters.calendar.memory import MemoryCalendar
from hsb_sheets.adapters.mail.memory import MemoryMailer
from hsb_sheets.adapters.workbook.base import Append, WriteBatch
from hsb_sheets.adapters.workbook.memory import MemoryWorkbook
from hsb_sheets.bootstrap import build_context
from hsb_sheets.config import Settings
from hsb_sheets.domain.slots import BusyIndex, SlotRequest, book, find_slot
from hsb_sheets.domain.tabs import (
    CASE_ID,
    DIRECTORY,
    MEETINGS,
    REFERRALS,
    DirectoryTab,
    MeetingsTab,
    ReferralsTab,
)
from hsb_sheets.domain.working_days import WorkingCalendar
from hsb_sheets.services.meetings import run_meetings
from hsb_sheets.services.setup import setup_register

LONDON = ZoneInfo("Europe/London")
NOW = datetime(2026, 3, 2, 8, 0, tzinfo=UTC)  # a Monday morning
AREAS = ("Cambridgeshire", "Peterborough")
ROLES = ("childrens_social_care", "police", "hsb_service", "early_help")


def address(area: str, role: str, n: int) -> str:
    return f"{role}.{n}.{area[:5].lower()}@example.gov.uk"


def booked_rows(count: int, rng: random.Random) -> list[dict[str, str]]:
    """Meetings already in the tab, spread over the coming months' office hours."""
    rows: list[dict[str, str]] = []
    for n in range(count):
        area = rng.choice(AREAS)
        day = NOW.date() + timedelta(days=rng.randint(0, 120))
        start = datetime(day.year, day.month, day.day, rng.randint(9, 15), 0, tzinfo=LONDON)
        attendees = [address(area, role, rng.randint(0, 9)) for role in ROLES[:3]]
        rows.append(
            {
                CASE_ID: f"HSB-2025-{n + 1:05d}",
                MeetingsTab.MEETING: f"HSB-2025-{n + 1:05d}-1",
                MeetingsTab.TYPE: "strategy_discussion",
                MeetingsTab.STATUS: "Invited",
                MeetingsTab.EVENT_START: start.strftime("%Y-%m-%d %H:%M"),
                MeetingsTab.ATTENDEES: ", ".join(attendees),
                MeetingsTab.EVENT_ID: f"hsbbooked{n:05d}",
                MeetingsTab.SEQUENCE: "0",
            }
        )
    return rows


def core(pending: int, booked: int) -> dict[str, object]:
    rng = random.Random(1)
    rows = booked_rows(booked, rng)
    work = WorkingCalendar(LONDON)
    started = time.perf_counter()
    busy = BusyIndex()
    for row in rows:
        start = datetime.strptime(row[MeetingsTab.EVENT_START], "%Y-%m-%d %H:%M").replace(tzinfo=LONDON)
        book(busy, row[MeetingsTab.ATTENDEES].split(", "), start, timedelta(hours=1))
    placed = 0
    for _ in range(pending):
        area = rng.choice(AREAS)
        attendees = tuple(address(area, role, rng.randint(0, 9)) for role in ROLES[:3])
        request = SlotRequest(
            attendees, NOW + timedelta(hours=2), work.window_end(NOW, 10), timedelta(hours=1)
        )
        slot = find_slot(work, request, busy)
        if slot is not None:
            book(busy, attendees, slot, timedelta(hours=1))
            placed += 1
    elapsed = time.perf_counter() - started
    return {
        "benchmark": "meetings_slot_planning_core",
        "pending": pending,
        "booked": booked,
        "placed": placed,
        "seconds": round(elapsed, 3),
        "target_seconds": 2,
    }


def job(pending: int, booked: int) -> dict[str, object]:
    rng = random.Random(2)
    ctx = build_context(
        Settings(base_dir=Path(mkdtemp())),
        workbook=MemoryWorkbook(),
        mailer=MemoryMailer(),
        calendar=MemoryCalendar(),
        clock=lambda: NOW,
    )
    setup_register(ctx)
    batch = WriteBatch()
    for area in AREAS:
        for role in ROLES:
            for n in range(10):
                batch.appends.append(
                    Append(
                        DIRECTORY,
                        {
                            DirectoryTab.AREA: area,
                            DirectoryTab.ROLE: role,
                            DirectoryTab.EMAIL: address(area, role, n),
                        },
                    )
                )
    batch.appends.extend(Append(MEETINGS, row) for row in booked_rows(booked, rng))
    area_column = ctx.form.field("child_area").column
    for n in range(pending):
        batch.appends.append(
            Append(
                REFERRALS,
                {
                    CASE_ID: f"HSB-2026-{n + 1:04d}",
                    area_column: rng.choice(AREAS),
                    ReferralsTab.MEETING: "multi_agency_planning",
                    ReferralsTab.INVITEES: "early_help, hsb_service",
                },
            )
        )
    ctx.workbook.write(batch)
    started = time.perf_counter()
    report = run_meetings(ctx)
    elapsed = time.perf_counter() - started
    return {
        "benchmark": "meetings_job_run_memory",
        "pending": pending,
        "booked": booked,
        "invited": len(report.invited),
        "needs_scheduling": len(report.needs_scheduling),
        "seconds": round(elapsed, 3),
        "target_seconds": 2,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--pending", type=int, default=1_000)
    parser.add_argument("--booked", type=int, default=10_000)
    args = parser.parse_args()
    print(json.dumps(core(args.pending, args.booked)), flush=True)
    print(json.dumps(job(args.pending, args.booked)), flush=True)


if __name__ == "__main__":
    main()
