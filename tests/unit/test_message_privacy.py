"""Every message template, rendered by the builder its job uses: personal details only for secure recipients.

DESIGN sections 5 and 6: an email to an address outside the secure domains carries only the case id,
what is due and the register link; a calendar invitation never carries the child's name, date of birth
or description. The register below holds one fictional child with distinctive details, put there by
the intake and meetings jobs. Each email is built by ``messages.BUILDERS`` (what ``deliver_pending``
calls) for a secure and an insecure recipient, each invitation by ``messages.invite_text`` (what the
meetings job calls), and every part is checked both ways: nothing personal where it must not be, and
everything a recipient needs where it must be, so removing a template's privacy branch in either
direction, or its case id, fails a test.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pytest

from hsb_sheets.adapters.calendar.memory import MemoryCalendar
from hsb_sheets.adapters.mail.memory import MemoryMailer
from hsb_sheets.adapters.workbook.base import Append, Update, WriteBatch
from hsb_sheets.adapters.workbook.memory import MemoryWorkbook
from hsb_sheets.bootstrap import build_context
from hsb_sheets.config import Settings
from hsb_sheets.domain.outbox_keys import OutboxKey
from hsb_sheets.domain.responses import response_id
from hsb_sheets.domain.tabs import (
    INTERVENTIONS,
    MEETINGS,
    OUTBOX,
    REFERRALS,
    SETTINGS,
    MeetingsTab,
    OutboxTab,
)
from hsb_sheets.resources import shipped
from hsb_sheets.services.context import Context
from hsb_sheets.services.intake import run_intake
from hsb_sheets.services.meetings import run_meetings
from hsb_sheets.services.messages import (
    BUILDERS,
    READS,
    Lookup,
    invite_text,
    lookup_from,
    reminder_context,
)
from hsb_sheets.services.notifications import queue_key
from hsb_sheets.services.policy import Policy, read_policy
from hsb_sheets.services.rule_source import read_rule_csv
from hsb_sheets.services.setup import setup_register
from hsb_sheets.services.templates import Templates
from tests.conftest import FixedClock, valid_answers
from tests.unit.test_intake_service import submit

CHILD = {
    "child_first_name": "Zephyrine",
    "child_last_name": "Quillfeather",
    "child_dob": "29/02/2012",
    "child_postcode": "PE7 3QZ",
    "behaviour_description": "A fictional account of the marigold treehouse, for testing only.",
}
INTERVENTION, WORKER = "Marigold safety work", "worker@example.gov.uk"
# Every form in which the child's details (or the intervention, named for the child) could appear.
PERSONAL = (
    "Zephyrine",
    "Quillfeather",
    "29/02/2012",
    "2012-02-29",
    "29 February 2012",
    "20120229",
    "PE7 3QZ",
    "marigold",
    "Marigold",
)
# Wording that only a secure recipient's reminder has: an insecure one must not even show the labels.
SECURE_ONLY = ("Child:", "Intervention:", "The worker is", WORKER)
SECURE = ("manager.pboro@example.gov.uk",)  # marked Secure in the Directory
INSECURE = (WORKER, "lead.professional@example.org")  # neither in a secure domain nor marked Secure
CASE, CASE_2, MEETING = "HSB-2026-0001", "HSB-2026-0002", "HSB-2026-0001-1"
DUE, DAY = date(2026, 3, 20), date(2026, 3, 12)
ISSUE = response_id("10/03/2026 09:05:00", [])  # the intake issue's id
LINK, AREA = "https://register.example.gov.uk/hsb", "Peterborough"
SERVICE, PARTS = "Harmful Sexual Behaviour Service", ("subject", "txt", "html")

REMINDER_KINDS = {
    # kind: (subject wording, text wording)
    "end_date": ("End summary due 20/03/2026", "has ended"),
    "due_soon": ("End summary due 20/03/2026", "in 3 working days"),
    "due_today": ("End summary due today", "is due today"),
    "escalation": ("Overdue end summary", "has not been recorded yet"),
    "review": ("Review due 20/03/2026", "A review of the intervention"),
}


CONTACT = "Contact: HSB coordinator, hsb@example.gov.uk, 01234 567890"  # the Settings default


def needs(
    subject: tuple[str, ...], body: tuple[str, ...], *, text: tuple[str, ...] = (), html: tuple[str, ...] = ()
) -> dict[str, tuple[str, ...]]:
    """What one email must say to whoever gets it: every part signed by the service, with who to contact."""
    signed = (SERVICE, CONTACT)
    return {"subject": subject, "text": (*body, *text, *signed), "html": (*body, *html, *signed)}


SECTIONS = (
    ("New referrals since {since}", "New referrals since {since}"),
    ("Intake issues waiting (all areas)", "Intake issues waiting for a coordinator (all areas)"),
    ("Meetings needing scheduling", "Meetings needing scheduling"),
    ("End summaries due this week", "End summaries due this week"),
    ("End summaries overdue", "End summaries overdue"),
    ("Notifications that failed", "Notifications that failed"),
)


def digest_needs(area: str, day: str, since: str, counts: str, *shown: str) -> dict[str, tuple[str, ...]]:
    """A digest's subject, and each section's line (text) and row (HTML) with what it lists.

    "New" is since the last working day before ``day``, named (``since``), not "0 new" unexplained.
    """
    lines, rows = [], []
    for (title, line), items in zip(SECTIONS, shown, strict=True):
        title, line = title.format(since=since), line.format(since=since)
        count = len(items.split(", ")) if items else 0
        lines.append(f"- {line}: {count} ({items})\n" if items else f"- {line}: 0\n")
        rows.append(f'<th align="left">{title}</th><td align="right">{count}</td><td>{items}</td>')
    subject = (f"HSB digest for {area}, {day}: {counts}",)
    return needs(subject, (area, day, LINK), text=tuple(lines), html=tuple(rows))


REQUIRED: dict[str, dict[str, tuple[str, ...]]] = {
    "acknowledgement": needs((CASE,), (CASE, "Dear Pat Example,")),
    "acknowledgement:unnamed": needs((CASE_2,), (CASE_2, "Hello,")),  # a coordinator blanked the name
    # A referrer with several submissions tells them apart by the time and the form row.
    "intake_issue": needs(
        ("needs correcting", "10/03/2026 09:05"),
        ("not a UK phone number", "on Tuesday 10 March 2026 at 09:05", "(form response 3)"),
    ),
    "needs_scheduling": needs(
        (CASE, "Strategy discussion"),
        (CASE, "strategy discussion", "no usable school contact for Peterborough", LINK),
    ),
    "digest": digest_needs(
        AREA,
        "11/03/2026",
        "Tuesday 10 March",
        "1 new since Tuesday 10 March, 1 overdue",
        CASE,
        ISSUE,
        MEETING,
        CASE,
        CASE,
        f"needs_scheduling {CASE}",
    ),
    # Two days later: nothing new in Cambridgeshire (only the intake issue, which is for all areas).
    "digest:quiet": digest_needs(
        "Cambridgeshire",
        "13/03/2026",
        "Thursday 12 March",
        "0 new since Thursday 12 March, 0 overdue",
        "",
        ISSUE,
        "",
        "",
        "",
        "",
    ),
    "step_escalation": needs(
        (CASE, "Overdue next step"),
        (CASE, "11/03/2026", "refer customer service centre", "coordinator", LINK),
    ),
    **{
        f"reminder:{kind}": needs((CASE, subject), (CASE, "20/03/2026", wording, "CAPITA", LINK))
        for kind, (subject, wording) in REMINDER_KINDS.items()
    },
}


class RecordingTemplates(Templates):
    """The real templates, noting which were rendered (to prove every one is covered here)."""

    def __init__(self, folder: Path) -> None:
        super().__init__(folder)
        self.rendered: set[str] = set()

    def render(self, name: str, **context: Any) -> str:
        self.rendered.add(name)
        return super().render(name, **context)


@dataclass(frozen=True)
class Register:
    """The jobs' context over the fictional register, and its Settings."""

    ctx: Context
    policy: Policy

    @property
    def templates(self) -> RecordingTemplates:
        assert isinstance(self.ctx.templates, RecordingTemplates)
        return self.ctx.templates


@pytest.fixture(scope="module")
def register(tmp_path_factory: pytest.TempPathFactory) -> Register:
    """Intake registers the child (twice, in two areas) and records an intake issue; meetings runs."""
    clock = FixedClock(datetime(2026, 3, 12, 10, 0, tzinfo=UTC))
    settings = Settings(base_dir=tmp_path_factory.mktemp("privacy"))
    ctx = build_context(
        settings, workbook=MemoryWorkbook(), mailer=MemoryMailer(), calendar=MemoryCalendar(), clock=clock
    )
    ctx.templates = RecordingTemplates(shipped("templates"))
    setup_register(ctx, directory_seed=read_rule_csv(shipped("config/directory.example.csv")))
    lead = {"lead_professional_email": INSECURE[1], "school_or_setting": "Larkspur Fictional School"}
    submit(
        ctx,
        ("10/03/2026 09:00:00", valid_answers(**CHILD, **lead, child_area=AREA, traffic_light="Red")),
        ("10/03/2026 09:05:00", valid_answers(**CHILD, child_area=AREA, referrer_phone="12")),
        ("10/03/2026 09:10:00", valid_answers(**CHILD, **lead, traffic_light="Red")),
    )
    run_intake(ctx)
    run_meetings(ctx)  # Peterborough has no school contact: Needs scheduling; Cambridgeshire is invited
    ctx.workbook.write(coordinator_edits())
    return Register(ctx, read_policy(ctx.workbook.read([SETTINGS])[SETTINGS]))


def coordinator_edits() -> WriteBatch:
    """Interventions (one reminded, one overdue, one due this week), a failed notification, a blanked name."""
    worked = {"Intervention": INTERVENTION, "Start date": "02/02/2026", "Worker email": WORKER}
    overdue = {"Intervention": "Earlier work", "Start date": "05/01/2026", "Status": "Overdue"}
    this_week = {"Intervention": "Group work", "Start date": "12/01/2026", "End summary due": "2026-03-13"}
    failed = queue_key(
        OutboxKey.needs_scheduling(MEETING, "x", SECURE[0]),
        CASE,
        "coordinator",
        SECURE[0],
        datetime(2026, 3, 11),
    )
    return WriteBatch(
        appends=[
            *(Append(INTERVENTIONS, {"Case ID": CASE} | row) for row in (worked, overdue, this_week)),
            Append(OUTBOX, {**failed.values, "State": "failed"}),
        ],
        updates=[Update(REFERRALS, "Case ID", CASE_2, {"Referrer name": ""})],
    )


def outbox_row(message: str, recipients: tuple[str, ...]) -> dict[str, str]:
    """The Outbox row the message's job would queue for these recipients."""
    kind, _, reminder = message.partition(":")
    if kind == "reminder":
        key, case_id = (
            OutboxKey.reminder(reminder, CASE, INTERVENTION, "02/02/2026", DUE, "worker", DAY),
            CASE,
        )
    else:
        key, case_id = {
            "acknowledgement": (OutboxKey.acknowledgement(CASE), CASE),
            "acknowledgement:unnamed": (OutboxKey.acknowledgement(CASE_2), CASE_2),
            "intake_issue": (OutboxKey.intake_issue(ISSUE), ""),
            "needs_scheduling": (
                OutboxKey.needs_scheduling(MEETING, "0123456789", "coordinator.pboro@example.gov.uk"),
                CASE,
            ),
            "digest": (OutboxKey.digest(AREA, date(2026, 3, 11), "coordinator.pboro@example.gov.uk"), ""),
            "step_escalation": (
                OutboxKey.step_escalation(
                    CASE, "refer_customer_service_centre", "routing", date(2026, 3, 11), DAY
                ),
                CASE,
            ),
            "digest:quiet": (
                OutboxKey.digest("Cambridgeshire", date(2026, 3, 13), "coordinator.cambs@example.gov.uk"),
                "",
            ),
        }[message]
    return dict(queue_key(key, case_id, "test", ", ".join(recipients), datetime(2026, 3, 12)).values)


def build(register: Register, message: str, recipients: tuple[str, ...]) -> dict[str, str]:
    """The message's subject, text and HTML, built as delivery builds it for these recipients."""
    entry = outbox_row(message, recipients)
    lookup = lookup_from(register.ctx.workbook.read(list(READS)))
    key = OutboxKey.parse(entry[OutboxTab.KEY])
    email = BUILDERS[key.kind](register.ctx, register.policy, key, entry, lookup)
    assert email is not None, message
    return {"subject": email.subject, "text": email.text, "html": email.html or ""}


def _reminder_context(
    register: Register, message: str, recipients: tuple[str, ...], lookup: Lookup
) -> dict[str, object]:
    entry = outbox_row(message, recipients)
    key = OutboxKey.parse(entry[OutboxTab.KEY])
    return reminder_context(register.ctx, register.policy, key, entry, lookup)


def leaks(parts: dict[str, str], words: tuple[str, ...]) -> list[tuple[str, str]]:
    """(part, word) for each word found in a part (the words are fictional: safe to show)."""
    return [(part, word) for part, text in parts.items() for word in words if word in text]


def missing(parts: dict[str, str], message: str) -> list[tuple[str, str]]:
    """(part, wording) for each required wording a part lacks."""
    return [
        (part, word) for part, words in REQUIRED[message].items() for word in words if word not in parts[part]
    ]


@pytest.mark.parametrize("message", sorted(REQUIRED))
def test_an_insecure_recipient_gets_no_personal_details(register: Register, message: str) -> None:
    parts = build(register, message, INSECURE)
    assert leaks(parts, PERSONAL + SECURE_ONLY) == []
    assert missing(parts, message) == []


@pytest.mark.parametrize("message", sorted(REQUIRED))
def test_a_secure_recipient_gets_what_the_message_needs(register: Register, message: str) -> None:
    """Reminders name the child and intervention (escalations the worker); nothing else is personal."""
    parts = build(register, message, SECURE)
    assert missing(parts, message) == []
    assert leaks({"subject": parts["subject"]}, PERSONAL + SECURE_ONLY) == []
    if message.startswith("reminder:"):
        wanted = ["Child: Zephyrine Quillfeather.", f"Intervention: {INTERVENTION}."]
        wanted += [f"The worker is {WORKER}."] if message == "reminder:escalation" else []
        for part in ("text", "html"):
            assert [w for w in wanted if w not in parts[part]] == [], part
        others = tuple(w for w in PERSONAL if w not in ("Zephyrine", "Quillfeather", "Marigold"))
        assert leaks(parts, others) == []
    else:
        assert leaks(parts, PERSONAL + SECURE_ONLY) == []


@pytest.mark.parametrize("kind", sorted(REMINDER_KINDS))
def test_the_reminder_builder_and_templates_each_keep_details_from_insecure_recipients(
    register: Register, kind: str
) -> None:
    """Two guards, each tested alone: the builder leaves the details out, the templates hide them."""
    lookup = lookup_from(register.ctx.workbook.read(list(READS)))
    insecure = _reminder_context(register, f"reminder:{kind}", INSECURE, lookup)
    assert insecure["secure"] is False
    assert leaks({name: str(value) for name, value in insecure.items()}, (*PERSONAL, WORKER)) == []
    secure = _reminder_context(register, f"reminder:{kind}", SECURE, lookup)
    assert secure["child_name"] == "Zephyrine Quillfeather" and secure["worker"] == WORKER
    mislabelled = secure | {"secure": False}  # a builder that forgot to leave the details out
    parts = {p: register.templates.render(f"email/reminder.{p}.j2", **mislabelled) for p in PARTS}
    assert leaks(parts, PERSONAL + SECURE_ONLY) == []


def test_one_secure_recipient_among_insecure_ones_gets_no_personal_details(register: Register) -> None:
    parts = build(register, "reminder:escalation", SECURE + INSECURE[1:])
    assert leaks(parts, PERSONAL + SECURE_ONLY) == []


def test_invitations_carry_no_personal_details(register: Register) -> None:
    """The meetings job's event, and the invite builder for the unbooked meeting, name only the case."""
    calendar = register.ctx.calendar
    assert isinstance(calendar, MemoryCalendar)
    [booked] = calendar.events.values()
    meetings = register.ctx.workbook.read([MEETINGS])[MEETINGS].records()
    meeting = next(m for m in meetings if m[MeetingsTab.CASE_ID] == CASE)
    start = datetime(2026, 3, 16, 10, 0, tzinfo=UTC)
    summary, description = invite_text(register.ctx, register.policy, meeting, start)
    for text in (summary, description, booked.summary, booked.description):
        assert [w for w in PERSONAL if w in text] == []
    assert summary == f"Strategy discussion: {CASE}"
    for wanted in (f"Strategy discussion for case {CASE}", "Monday 16 March 2026, 10:00", LINK, SERVICE):
        assert wanted in description
    assert booked.summary == f"Strategy discussion: {CASE_2}" and LINK in booked.description


def test_an_invitation_lists_linked_case_ids_never_names(register: Register) -> None:
    """DESIGN section 6: a meeting of linked cases names the other cases by id only."""
    meetings = register.ctx.workbook.read([MEETINGS])[MEETINGS].records()
    meeting = next(m for m in meetings if m[MeetingsTab.CASE_ID] == CASE)
    start = datetime(2026, 3, 16, 10, 0, tzinfo=UTC)
    summary, description = invite_text(register.ctx, register.policy, meeting, start, linked=(CASE_2,))
    assert [w for w in PERSONAL if w in summary + description] == []
    assert f"Linked cases (each child's needs are considered separately): {CASE_2}." in description
    assert "Linked cases" not in invite_text(register.ctx, register.policy, meeting, start)[1]


def test_every_email_and_invite_template_is_rendered_by_a_builder(register: Register) -> None:
    for message in REQUIRED:
        build(register, message, INSECURE)
    meetings = register.ctx.workbook.read([MEETINGS])[MEETINGS].records()
    meeting = next(m for m in meetings if m[MeetingsTab.CASE_ID] == CASE)
    invite_text(register.ctx, register.policy, meeting, datetime(2026, 3, 16, 10, 0, tzinfo=UTC))
    folder = shipped("templates")
    names = {str(p.relative_to(folder)) for p in folder.rglob("*.j2")}
    pages = {name for name in names if name.startswith("web/")}  # the form app's, not messages
    assert len(names - pages) >= 17
    assert sorted(names - pages - register.templates.rendered) == []


@pytest.mark.parametrize("kind", sorted(REMINDER_KINDS))
def test_a_review_reminder_speaks_of_the_review_not_of_the_end_summary(register: Register, kind: str) -> None:
    """Recording the end summary stops every reminder: a review reminder must not ask for it."""
    parts = build(register, f"reminder:{kind}", INSECURE)
    for part in ("text", "html"):
        if kind == "review":
            assert "Hold the review as planned" in parts[part]
            assert leaks({part: parts[part]}, ("end summary", "End summary")) == []
        else:
            assert "Record the end summary" in parts[part]


@pytest.mark.parametrize("message", sorted(REQUIRED))
def test_a_blank_contact_line_is_left_out(register: Register, message: str) -> None:
    """The Contact line ends every email; a coordinator who blanks it gets emails without one."""
    blank = Register(register.ctx, replace(register.policy, contact_line=""))
    parts = build(blank, message, SECURE)
    assert leaks(parts, (CONTACT, "Contact:")) == []
    assert CONTACT in build(register, message, SECURE)["text"]


def test_updates_and_cancellations_say_first_what_changed(register: Register) -> None:
    """An update names the old and the new time first; a cancellation says so first, and when it was."""
    meetings = register.ctx.workbook.read([MEETINGS])[MEETINGS].records()
    meeting = next(m for m in meetings if m[MeetingsTab.CASE_ID] == CASE)
    old, new = datetime(2026, 3, 16, 10, 0, tzinfo=UTC), datetime(2026, 3, 17, 14, 0, tzinfo=UTC)
    _, moved = invite_text(register.ctx, register.policy, meeting, new, change="update", was=old)
    assert moved.startswith(
        "This meeting has moved from Monday 16 March 2026, 10:00 to Tuesday 17 March 2026, 14:00 (UK time)."
    )
    _, unknown = invite_text(register.ctx, register.policy, meeting, new, change="update")
    assert unknown.startswith("This meeting has moved to Tuesday 17 March 2026, 14:00 (UK time).")
    _, cancelled = invite_text(register.ctx, register.policy, meeting, old, change="cancellation")
    assert cancelled.startswith("This meeting is cancelled. It was to be on Monday 16 March 2026, 10:00")
    for text in (moved, unknown, cancelled):
        assert [w for w in PERSONAL if w in text] == []
        for wanted in (f"Strategy discussion for case {CASE}", LINK, SERVICE, CONTACT):
            assert wanted in text
