"""Coordinators' changes to a case, acted on once by the meetings job: route override, facts now, links.

Each scenario runs on the in-memory register, the local one (.xlsx register, .ics invitations) and
a Google spreadsheet (the fake Sheets server): the same behaviour on every backend.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
import requests

from hsb_sheets.adapters.calendar.base import Calendar
from hsb_sheets.adapters.calendar.ics import IcsCalendar
from hsb_sheets.adapters.calendar.memory import MemoryCalendar
from hsb_sheets.adapters.mail.memory import MemoryMailer
from hsb_sheets.adapters.workbook.base import Update, Workbook, WriteBatch
from hsb_sheets.adapters.workbook.google_sheets import SheetsHTTPClient, SheetsWorkbook
from hsb_sheets.adapters.workbook.memory import MemoryWorkbook
from hsb_sheets.adapters.workbook.xlsx import XlsxWorkbook
from hsb_sheets.bootstrap import build_context
from hsb_sheets.config import Settings
from hsb_sheets.domain.tabs import (
    AUDIT_LOG,
    FORM_RESPONSES,
    MEETINGS,
    OUTBOX,
    REFERRALS,
    AuditLogTab,
    MeetingsTab,
    OutboxTab,
    ReferralsTab,
)
from hsb_sheets.resources import shipped
from hsb_sheets.services.context import Context
from hsb_sheets.services.intake import run_intake
from hsb_sheets.services.meetings import run_meetings
from hsb_sheets.services.rule_source import read_rule_csv
from hsb_sheets.services.setup import setup_register
from tests.conftest import FixedClock, valid_answers
from tests.fakes.google_sheets import FakeSheets
from tests.unit.test_intake_service import submit

CASE_1, CASE_2, CASE_3 = "HSB-2026-0001", "HSB-2026-0002", "HSB-2026-0003"
BACKENDS = ("memory", "local", "google")


@pytest.fixture(params=BACKENDS)
def ctx(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Context]:
    """A set-up register with the example Directory, on each backend."""
    clock = FixedClock(datetime(2026, 3, 12, 10, 0, tzinfo=UTC))
    mailer = MemoryMailer()
    server: FakeSheets | None = None
    workbook: Workbook
    calendar: Calendar
    if request.param == "memory":
        workbook, calendar = MemoryWorkbook(), MemoryCalendar()
    elif request.param == "local":
        workbook = XlsxWorkbook(tmp_path / "register.xlsx", lock_timeout=0.2)
        calendar = IcsCalendar(tmp_path / "invites", mailer, "hsb@example.gov.uk", "HSB", ZoneInfo("UTC"))
    else:
        server = FakeSheets()
        url = server.start()
        server.create("register")
        workbook = SheetsWorkbook(SheetsHTTPClient(requests.Session(), endpoint=url), "register")
        calendar = MemoryCalendar()
    context = build_context(
        Settings(base_dir=tmp_path), workbook=workbook, mailer=mailer, calendar=calendar, clock=clock
    )
    setup_register(context, directory_seed=read_rule_csv(shipped("config/directory.example.csv")))
    yield context
    if server is not None:
        server.stop()


def refer(ctx: Context, *cases: dict[str, str]) -> None:
    """Each case referred (ten minutes apart) and registered by intake."""
    submit(
        ctx,
        *(
            (f"10/03/2026 09:{10 * n:02d}:00", valid_answers(referrer_email=f"r{n}@example.org", **answers))
            for n, answers in enumerate(cases)
        ),
    )
    run_intake(ctx)


def set_case(ctx: Context, case_id: str, values: dict[str, str]) -> None:
    ctx.workbook.write(WriteBatch(updates=[Update(REFERRALS, ReferralsTab.CASE_ID, case_id, values)]))


def set_meeting(ctx: Context, meeting: str, values: dict[str, str]) -> None:
    ctx.workbook.write(WriteBatch(updates=[Update(MEETINGS, MeetingsTab.MEETING, meeting, values)]))


def rows(ctx: Context, tab: str) -> list[dict[str, str]]:
    return list(ctx.workbook.read([tab])[tab].records())


def case(ctx: Context, case_id: str) -> dict[str, str]:
    return next(r for r in rows(ctx, REFERRALS) if r[ReferralsTab.CASE_ID] == case_id)


def meetings(ctx: Context) -> dict[str, dict[str, str]]:
    return {r[MeetingsTab.MEETING]: r for r in rows(ctx, MEETINGS)}


def audited(ctx: Context, action: str) -> list[str]:
    """The detail of each Audit log line of this action."""
    return [r[AuditLogTab.DETAIL] for r in rows(ctx, AUDIT_LOG) if r[AuditLogTab.ACTION] == action]


def sent(ctx: Context) -> list[tuple[str, str, int]]:
    """Every invitation sent to attendees: (method, event id, sequence), whatever the calendar."""
    if isinstance(ctx.calendar, MemoryCalendar):
        return list(ctx.calendar.sent)
    assert isinstance(ctx.mailer, MemoryMailer)
    keys = [e.key.split("|") for e in ctx.mailer.sent if e.key.startswith("invite|")]
    return [(method, event, int(sequence)) for _, event, sequence, method in keys]


def descriptions(ctx: Context) -> list[str]:
    """What each invitation sent says: the event's description (in the .ics file, unfolded)."""
    if isinstance(ctx.calendar, MemoryCalendar):
        return [event.description for event in ctx.calendar.events.values()]
    assert isinstance(ctx.mailer, MemoryMailer)
    found = []
    for email in ctx.mailer.sent:
        for attachment in email.attachments:
            text = (
                attachment.content.decode() if isinstance(attachment.content, bytes) else attachment.content
            )
            found.append(re.sub(r"\r?\n[ \t]", "", text).replace("\\n", "\n").replace("\\,", ","))
    return found


def test_an_override_moves_the_meeting_once(ctx: Context) -> None:
    refer(ctx, {"traffic_light": "Amber"})
    run_meetings(ctx)
    [first] = meetings(ctx).values()
    assert (first[MeetingsTab.TYPE], first[MeetingsTab.STATUS]) == ("multi_agency_planning", "Invited")

    set_case(ctx, CASE_1, {ReferralsTab.ROUTE_OVERRIDE: "strategy_discussion"})
    report = run_meetings(ctx)
    assert report.decided == [CASE_1] and report.cancelled == [f"{CASE_1}-1"]
    assert report.created == [f"{CASE_1}-2"]
    now = meetings(ctx)
    assert now[f"{CASE_1}-1"][MeetingsTab.STATUS] == "Cancelled"
    assert (now[f"{CASE_1}-2"][MeetingsTab.TYPE], now[f"{CASE_1}-2"][MeetingsTab.STATUS]) == (
        "strategy_discussion",
        "Invited",
    )
    assert "csc.cambs@example.gov.uk" in now[f"{CASE_1}-2"][MeetingsTab.ATTENDEES]
    cancel = ("CANCEL", first[MeetingsTab.EVENT_ID], 1)
    assert sorted(sent(ctx)) == sorted(
        [
            ("REQUEST", first[MeetingsTab.EVENT_ID], 0),
            cancel,
            ("REQUEST", now[f"{CASE_1}-2"][MeetingsTab.EVENT_ID], 0),
        ]
    )
    row = case(ctx, CASE_1)
    assert (row[ReferralsTab.ROUTE], row[ReferralsTab.MEETING]) == (
        "strategy_discussion",
        "strategy_discussion",
    )
    assert row[ReferralsTab.DECIDED_WITH] == "route override: strategy_discussion"
    assert audited(ctx, "route overridden") == [
        "with route override: strategy_discussion: route: early_help → strategy_discussion; "
        "meeting: multi_agency_planning → strategy_discussion; "
        "invitees: early_help, hsb_service → childrens_social_care, police, hsb_service"
    ]
    assert audited(ctx, "meeting not needed") == [f"{CASE_1}-1: the route is now strategy_discussion"]

    again = run_meetings(ctx)  # acted on once: a rerun sends, creates and audits nothing more
    assert (again.decided, again.created, again.cancelled) == ([], [], [])
    assert sent(ctx).count(cancel) == 1 and len(sent(ctx)) == 3 and len(meetings(ctx)) == 2
    assert len(audited(ctx, "route overridden")) == 1
    kinds = [r[OutboxTab.KIND] for r in rows(ctx, OUTBOX)]
    assert kinds.count("invite_cancel") == 1


def test_facts_now_decide_the_case_again_once_and_leave_the_form_answers(ctx: Context) -> None:
    refer(
        ctx,
        {
            "child_dob": "15/06/2011",
            "child_gender": "Male",
            "traffic_light": "Red",
            "police_involved": "Yes",
            "criminal_status": "Under investigation",
            "accepted_responsibility": "No",
        },
    )
    run_meetings(ctx)
    answers = rows(ctx, FORM_RESPONSES)
    before = case(ctx, CASE_1)
    assert "aim_deferred_until_responsibility" in before[ReferralsTab.FLAGS]
    set_case(
        ctx, CASE_1, {ReferralsTab.CRIMINAL_STATUS_NOW: "Convicted", ReferralsTab.RESPONSIBILITY_NOW: "Yes"}
    )
    report = run_meetings(ctx)
    assert report.decided == [CASE_1] and report.cancelled == [] and report.created == []
    row = case(ctx, CASE_1)
    assert row[ReferralsTab.ASSESSMENT_TOOLS] == "AIM3, JSOAP, ERASOR"
    assert "aim_deferred_until_responsibility" not in row[ReferralsTab.FLAGS]
    assert row[ReferralsTab.CRIMINAL_PROCESS] == "No"
    assert row[ReferralsTab.ROUTE] == before[ReferralsTab.ROUTE]
    assert row[ctx.form.field("criminal_status").column] == "Under investigation"  # the answer stays
    [detail] = audited(ctx, "case decided again")
    assert detail.startswith("with criminal status now: Convicted; responsibility now: Yes: ")
    assert "assessment tools: AIM3, JSOAP → AIM3, JSOAP, ERASOR" in detail
    assert (
        "flags: aim_deferred_until_responsibility, lead_professional_needed → lead_professional_needed"
        in detail
    )

    assert run_meetings(ctx).decided == []
    assert len(audited(ctx, "case decided again")) == 1
    assert rows(ctx, FORM_RESPONSES) == answers


def test_links_are_mirrored_both_ways_and_an_unknown_id_gets_a_reason(ctx: Context) -> None:
    refer(ctx, {}, {"child_first_name": "Sam"}, {"child_first_name": "Ash"})
    set_case(ctx, CASE_1, {ReferralsTab.LINKED_CASES: f"{CASE_2}, HSB-2026-0099"})
    run_meetings(ctx)
    first, second, third = case(ctx, CASE_1), case(ctx, CASE_2), case(ctx, CASE_3)
    assert (first[ReferralsTab.LINKED_WITH], second[ReferralsTab.LINKED_WITH]) == (CASE_2, CASE_1)
    assert first[ReferralsTab.REASON] == "Linked cases 'HSB-2026-0099' is not a case on the Referrals tab"
    assert (third[ReferralsTab.LINKED_WITH], third[ReferralsTab.REASON], second[ReferralsTab.REASON]) == (
        "",
        "",
        "",
    )
    assert sorted(audited(ctx, "linked cases")) == [f"linked with {CASE_1}", f"linked with {CASE_2}"]

    run_meetings(ctx)
    assert len(audited(ctx, "linked cases")) == 2 and len(audited(ctx, "referral cell unreadable")) == 1
    set_case(ctx, CASE_3, {ReferralsTab.LINKED_CASES: CASE_1.lower()})
    set_case(ctx, CASE_1, {ReferralsTab.LINKED_CASES: CASE_2})
    run_meetings(ctx)
    assert case(ctx, CASE_1)[ReferralsTab.LINKED_WITH] == f"{CASE_2}, {CASE_3}"
    assert case(ctx, CASE_3)[ReferralsTab.LINKED_WITH] == CASE_1
    assert case(ctx, CASE_1)[ReferralsTab.REASON] == ""


PERSONAL = ("Zephyrine", "Quillfeather", "Orrin", "29/02/2012", "2012-02-29", "PE7 3QZ", "marigold")


def test_invitations_list_linked_case_ids_and_nothing_personal(ctx: Context) -> None:
    child = {
        "child_last_name": "Quillfeather",
        "child_dob": "29/02/2012",
        "child_postcode": "PE7 3QZ",
        "traffic_light": "Red",
        "behaviour_description": "A fictional account of the marigold treehouse, for testing only.",
    }
    refer(ctx, {**child, "child_first_name": "Zephyrine"}, {**child, "child_first_name": "Orrin"})
    set_case(ctx, CASE_2, {ReferralsTab.LINKED_CASES: CASE_1})
    run_meetings(ctx)
    texts = descriptions(ctx)
    assert len(texts) == 2
    assert [word for text in texts for word in PERSONAL if word in text] == []
    assert sorted(re.findall(r"considered separately\): (HSB-\d{4}-\d{4})\.", "\n".join(texts))) == [
        CASE_1,
        CASE_2,
    ]


def test_a_held_meeting_stays_and_an_unusable_override_is_a_reason(ctx: Context) -> None:
    refer(ctx, {"traffic_light": "Red"}, {"traffic_light": "Red", "child_first_name": "Sam"})
    run_meetings(ctx)
    set_meeting(ctx, f"{CASE_1}-1", {MeetingsTab.STATUS: "Held"})
    set_case(ctx, CASE_1, {ReferralsTab.ROUTE_OVERRIDE: "early help"})
    set_case(ctx, CASE_2, {ReferralsTab.ROUTE_OVERRIDE: "universal"})
    report = run_meetings(ctx)
    assert report.decided == [CASE_2]  # the other row is still worked
    assert case(ctx, CASE_1)[ReferralsTab.REASON].startswith("Route override 'early help' is not a route")
    assert case(ctx, CASE_1)[ReferralsTab.ROUTE] == "strategy_discussion"
    assert meetings(ctx)[f"{CASE_2}-1"][MeetingsTab.STATUS] == "Cancelled"
    assert [m for m, _, _ in sent(ctx)].count("CANCEL") == 1

    set_case(ctx, CASE_1, {ReferralsTab.ROUTE_OVERRIDE: "early_help"})
    report = run_meetings(ctx)
    assert report.created == [f"{CASE_1}-2"] and report.cancelled == []
    assert meetings(ctx)[f"{CASE_1}-1"][MeetingsTab.STATUS] == "Held"
    assert meetings(ctx)[f"{CASE_1}-2"][MeetingsTab.TYPE] == "multi_agency_planning"
    assert case(ctx, CASE_1)[ReferralsTab.REASON] == ""


def test_clearing_an_override_returns_the_case_to_its_rules(ctx: Context) -> None:
    refer(ctx, {"traffic_light": "Amber"})
    run_meetings(ctx)
    set_case(ctx, CASE_1, {ReferralsTab.ROUTE_OVERRIDE: "universal"})
    run_meetings(ctx)
    assert meetings(ctx)[f"{CASE_1}-1"][MeetingsTab.STATUS] == "Cancelled"
    set_case(ctx, CASE_1, {ReferralsTab.ROUTE_OVERRIDE: ""})
    report = run_meetings(ctx)
    assert report.created == [f"{CASE_1}-2"]  # the cancelled meeting stays cancelled: a new one is asked for
    row = case(ctx, CASE_1)
    assert (row[ReferralsTab.ROUTE], row[ReferralsTab.DECIDED_WITH]) == ("early_help", "")
    assert audited(ctx, "case decided again")[0].startswith("with the answers on the form: route: universal")


def test_the_same_values_on_several_cases_decide_each_case_and_give_each_its_reason(ctx: Context) -> None:
    refer(
        ctx,
        {"traffic_light": "Red"},
        {"traffic_light": "Red", "child_first_name": "Sam"},
        {"traffic_light": "Red", "child_first_name": "Alex"},
    )
    run_meetings(ctx)
    for case_id in (CASE_1, CASE_2):  # read once for both: each still gets the reason
        set_case(ctx, case_id, {ReferralsTab.ROUTE_OVERRIDE: "early help"})
    set_case(ctx, CASE_3, {ReferralsTab.ROUTE_OVERRIDE: "universal"})
    report = run_meetings(ctx)
    assert report.decided == [CASE_3]
    unusable = "Route override 'early help' is not a route"
    for case_id in (CASE_1, CASE_2):
        assert case(ctx, case_id)[ReferralsTab.REASON].startswith(unusable)
    for case_id in (CASE_1, CASE_2):
        set_case(ctx, case_id, {ReferralsTab.ROUTE_OVERRIDE: "universal"})
    report = run_meetings(ctx)
    assert report.decided == [CASE_1, CASE_2]  # the third, decided with these values, is not again
    assert [case(ctx, c)[ReferralsTab.ROUTE] for c in (CASE_1, CASE_2, CASE_3)] == ["universal"] * 3
    assert {case(ctx, c)[ReferralsTab.REASON] for c in (CASE_1, CASE_2, CASE_3)} == {""}
