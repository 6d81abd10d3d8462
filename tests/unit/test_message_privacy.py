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

from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pytest

from hsb_sheets.adapters.calendar.memory import MemoryCalendar
from hsb_sheets.adapters.mail.memory import MemoryMailer
from hsb_sheets.adapters.workbook.base import Append, WriteBatch
from hsb_sheets.adapters.workbook.memory import MemoryWorkbook
from hsb_sheets.bootstrap import build_context
from hsb_sheets.config import Settings
from hsb_sheets.domain.tabs import INTAKE_ISSUES, INTERVENTIONS, MEETINGS, SETTINGS
from hsb_sheets.services.context import Context
from hsb_sheets.services.intake import run_intake
from hsb_sheets.services.meetings import run_meetings
from hsb_sheets.services.messages import BUILDERS, READS, invite_text, lookup_from, reminder_key
from hsb_sheets.services.notifications import queue
from hsb_sheets.services.policy import Policy, read_policy
from hsb_sheets.services.rule_source import read_rule_csv
from hsb_sheets.services.setup import setup_register
from hsb_sheets.services.templates import Templates
from tests.conftest import ROOT, FixedClock, valid_answers
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
CASE, MEETING, DUE, DAY = "HSB-2026-0001", "HSB-2026-0001-1", date(2026, 3, 20), date(2026, 3, 12)
LINK, AREA = "https://register.example.gov.uk/hsb", "Peterborough"

REMINDER_KINDS = {
    # kind: (subject wording, text wording)
    "end_date": ("End summary due 20/03/2026", "has ended"),
    "due_soon": ("End summary due 20/03/2026", "in 3 working days"),
    "due_today": ("End summary due today", "is due today"),
    "escalation": ("Overdue end summary", "has not been recorded yet"),
    "review": ("Review due 20/03/2026", "A review of the intervention"),
}
# What each email must say to whoever gets it: (in the subject, in both the text and the HTML part).
REQUIRED: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    "acknowledgement": ((CASE,), (CASE, "Dear Pat Example", "Harmful Sexual Behaviour Service")),
    "intake_issue": (("needs correcting",), ("not a UK phone number", "2026-03-10 09:05:00")),
    "needs_scheduling": (
        (CASE, "Strategy discussion"),
        (CASE, "strategy discussion", "no usable school contact for Peterborough", LINK),
    ),
    "digest": (("Peterborough", "11/03/2026", "1 new"), ("Peterborough", "11/03/2026", CASE, MEETING, LINK)),
    **{
        f"reminder:{kind}": ((CASE, subject), (CASE, "20/03/2026", wording, "CAPITA", LINK))
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
    ctx.templates = RecordingTemplates(ROOT / "templates")
    setup_register(ctx, directory_seed=read_rule_csv(ROOT / "config" / "directory.example.csv"))
    lead = {"lead_professional_email": INSECURE[1], "school_or_setting": "Larkspur Fictional School"}
    submit(
        ctx,
        ("10/03/2026 09:00:00", valid_answers(**CHILD, **lead, child_area=AREA, traffic_light="Red")),
        ("10/03/2026 09:05:00", valid_answers(**CHILD, child_area=AREA, referrer_phone="12")),
        ("10/03/2026 09:10:00", valid_answers(**CHILD, **lead, traffic_light="Red")),
    )
    run_intake(ctx)
    run_meetings(ctx)  # Peterborough has no school contact: Needs scheduling; Cambridgeshire is invited
    row = {"Case ID": CASE, "Intervention": INTERVENTION, "Start date": "02/02/2026", "Worker email": WORKER}
    ctx.workbook.write(WriteBatch(appends=[Append(INTERVENTIONS, row)]))
    return Register(ctx, read_policy(ctx.workbook.read([SETTINGS])[SETTINGS]))


def outbox_row(register: Register, message: str, recipients: tuple[str, ...]) -> dict[str, str]:
    """The Outbox row the message's job would queue for these recipients."""
    kind, _, reminder = message.partition(":")
    if kind == "reminder":
        key = reminder_key(reminder, CASE, INTERVENTION, "02/02/2026", DUE, "worker", DAY)
        subject, case_id = key.split("|", 1)[1], CASE
    else:
        issue = next(register.ctx.workbook.read([INTAKE_ISSUES])[INTAKE_ISSUES].records())["Response ID"]
        subject, case_id = {
            "acknowledgement": (CASE, CASE),
            "intake_issue": (issue, ""),
            "needs_scheduling": (f"{MEETING}|0123456789|coordinator.pboro@example.gov.uk", CASE),
            "digest": ("Peterborough|2026-03-11|coordinator.pboro@example.gov.uk", ""),
        }[kind]
    return dict(queue(kind, subject, case_id, "test", ", ".join(recipients), datetime(2026, 3, 12)).values)


def build(register: Register, message: str, recipients: tuple[str, ...]) -> dict[str, str]:
    """The message's subject, text and HTML, built as delivery builds it for these recipients."""
    entry = outbox_row(register, message, recipients)
    lookup = lookup_from(register.ctx.workbook.read(list(READS)))
    email = BUILDERS[entry["Kind"]](register.ctx, register.policy, entry, lookup)
    assert email is not None, message
    return {"subject": email.subject, "text": email.text, "html": email.html or ""}


def leaks(parts: dict[str, str], words: tuple[str, ...]) -> list[tuple[str, str]]:
    """(part, word) for each word found in a part (the words are fictional: safe to show)."""
    return [(part, word) for part, text in parts.items() for word in words if word in text]


def missing(parts: dict[str, str], message: str) -> list[tuple[str, str]]:
    """(part, wording) for each required wording a part lacks."""
    subject, body = REQUIRED[message]
    wanted = [("subject", w) for w in subject] + [(p, w) for p in ("text", "html") for w in body]
    return [(part, word) for part, word in wanted if word not in parts[part]]


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


def test_one_secure_recipient_among_insecure_ones_gets_no_personal_details(register: Register) -> None:
    parts = build(register, "reminder:escalation", SECURE + INSECURE[1:])
    assert leaks(parts, PERSONAL + SECURE_ONLY) == []


def test_invitations_carry_no_personal_details(register: Register) -> None:
    """The meetings job's event, and the invite builder for the unbooked meeting, name only the case."""
    calendar = register.ctx.calendar
    assert isinstance(calendar, MemoryCalendar)
    [booked] = calendar.events.values()
    meeting = next(register.ctx.workbook.read([MEETINGS])[MEETINGS].records())
    start = datetime(2026, 3, 16, 10, 0, tzinfo=UTC)
    summary, description = invite_text(register.ctx, register.policy, meeting, start)
    for text in (summary, description, booked.summary, booked.description):
        assert [w for w in PERSONAL if w in text] == []
    assert summary == f"Strategy discussion: {CASE}"
    for wanted in (f"Strategy discussion for case {CASE}", "Monday 16 March 2026, 10:00", LINK):
        assert wanted in description
    assert booked.summary == "Strategy discussion: HSB-2026-0002" and LINK in booked.description


def test_every_email_and_invite_template_is_rendered_by_a_builder(register: Register) -> None:
    for message in REQUIRED:
        build(register, message, INSECURE)
    meeting = next(register.ctx.workbook.read([MEETINGS])[MEETINGS].records())
    invite_text(register.ctx, register.policy, meeting, datetime(2026, 3, 16, 10, 0, tzinfo=UTC))
    folder = ROOT / "templates"
    names = {str(p.relative_to(folder)) for p in folder.rglob("*.j2")}
    pages = {name for name in names if name.startswith("web/")}  # the form app's, not messages
    assert len(names - pages) >= 17
    assert sorted(names - pages - register.templates.rendered) == []
