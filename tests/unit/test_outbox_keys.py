"""Outbox keys: the text is byte for byte what earlier versions wrote, and it reads back to its parts."""

from __future__ import annotations

from datetime import date, datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st

from hsb_sheets.domain.outbox_keys import KINDS, DigestKey, OutboxKey, OutboxKeyError, ReminderKey
from hsb_sheets.domain.tabs import OUTBOX
from hsb_sheets.services.notifications import queue_key

DAY = date(2026, 3, 12)

# Each key as the version before OutboxKey spelled it: f"{kind}|{subject}" in queue(), with the subject
# joined in intake, meetings, reminders (reminder_key: "|" in a part became "/") and digest, and the
# invite key joined in meetings and the .ics mailer.
EARLIER_TEXT = [
    (OutboxKey.acknowledgement("HSB-2026-0042"), "acknowledgement|HSB-2026-0042"),
    (OutboxKey.intake_issue("R3f9c2a0b1d4e5f6a"), "intake_issue|R3f9c2a0b1d4e5f6a"),
    (
        OutboxKey.needs_scheduling("HSB-2026-0042-1", "0a1b2c3d4e", "coordinator.cambs@example.gov.uk"),
        "needs_scheduling|HSB-2026-0042-1|0a1b2c3d4e|coordinator.cambs@example.gov.uk",
    ),
    (
        OutboxKey.reminder(
            "end_date", "HSB-2026-0042", "Safety planning", "02/02/2026", date(2026, 3, 31), "worker", DAY
        ),
        "reminder|end_date|HSB-2026-0042|Safety planning|02/02/2026|2026-03-31|worker|2026-03-12",
    ),
    (
        OutboxKey.reminder(
            "escalation", "HSB-2026-0042", "TA|HSB work", "1/3/2026", DAY, "service_manager", DAY
        ),
        "reminder|escalation|HSB-2026-0042|TA/HSB work|1/3/2026|2026-03-12|service_manager|2026-03-12",
    ),
    (
        OutboxKey.digest("Cambridgeshire", DAY, "coordinator.cambs@example.gov.uk"),
        "digest|Cambridgeshire|2026-03-12|coordinator.cambs@example.gov.uk",
    ),
    (OutboxKey.invite("hsb4n2b5gs3dn0", 2, "CANCEL"), "invite|hsb4n2b5gs3dn0|2|CANCEL"),
    (
        OutboxKey.step_escalation("HSB-2026-0042", "safeguard_child", "routing", date(2026, 3, 11), DAY),
        "step_escalation|HSB-2026-0042|safeguard_child|routing|2026-03-11|2026-03-12",
    ),
]


@pytest.mark.parametrize(("key", "text"), EARLIER_TEXT)
def test_each_kind_writes_the_text_earlier_versions_wrote(key: OutboxKey, text: str) -> None:
    assert str(key) == text
    assert OutboxKey.parse(text) == key


def test_every_kind_is_covered() -> None:
    assert {key.kind for key, _ in EARLIER_TEXT} == set(KINDS)


@pytest.mark.parametrize(("key", "text"), EARLIER_TEXT)
def test_queueing_a_key_writes_the_row_earlier_versions_wrote(key: OutboxKey, text: str) -> None:
    now = datetime(2026, 3, 12, 9, 0)
    newer = queue_key(key, "HSB-2026-0042", "worker", "w@example.gov.uk", now)
    assert newer.tab == OUTBOX
    assert dict(newer.values) == {
        "Key": text,
        "Case ID": "HSB-2026-0042",
        "Kind": key.kind,
        "Recipient role": "worker",
        "Recipient": "w@example.gov.uk",
        "State": "pending",
        "Created at": "2026-03-12 09:00:00",
    }


def test_reminder_key_text_is_unchanged() -> None:
    text = str(
        OutboxKey.reminder("review", "HSB-2026-0001", "AIM3 assessment", "09/02/2026", DAY, "worker", DAY)
    )
    assert text == "reminder|review|HSB-2026-0001|AIM3 assessment|09/02/2026|2026-03-12|worker|2026-03-12"


def test_named_parts() -> None:
    [reminder] = [k for k, _ in EARLIER_TEXT[3:4]]
    assert ReminderKey.of(reminder) == ReminderKey(
        "end_date", "HSB-2026-0042", "Safety planning", "02/02/2026", date(2026, 3, 31), "worker", DAY
    )
    digest = OutboxKey.parse("digest|Peterborough|2026-03-12|coordinator.pboro@example.gov.uk")
    assert DigestKey.of(digest) == DigestKey("Peterborough", DAY, "coordinator.pboro@example.gov.uk")
    assert OutboxKey.parse("needs_scheduling|HSB-2026-0042-1|0a1b2c3d4e|c@example.gov.uk").subject == (
        "HSB-2026-0042-1"
    )


@pytest.mark.parametrize(
    "text",
    [
        "",
        "acknowledgement",
        "acknowledgement|HSB-2026-0001|extra",
        "invite_cancel|hsb1|0|CANCEL",
        "reminder|end_date|HSB-2026-0001",
        "digest|Cambridgeshire|2026-03-12",
        "Acknowledgement|HSB-2026-0001",
    ],
)
def test_text_that_is_not_a_key_is_refused(text: str) -> None:
    with pytest.raises(OutboxKeyError):
        OutboxKey.parse(text)


def test_malformed_dates_are_refused_by_the_named_parts() -> None:
    with pytest.raises(OutboxKeyError):
        ReminderKey.of(OutboxKey.parse("reminder|end_date|HSB-1|Other|1/3/2026|31/03/2026|worker|2026-03-12"))
    with pytest.raises(OutboxKeyError):
        DigestKey.of(OutboxKey.parse("digest|Cambridgeshire|12/03/2026|c@example.gov.uk"))
    with pytest.raises(OutboxKeyError):
        DigestKey.of(OutboxKey.acknowledgement("HSB-2026-0001"))


part = st.text(st.characters(blacklist_characters="|"), max_size=20)
dates = st.dates(date(2000, 1, 1), date(2100, 12, 31))


@given(st.sampled_from(KINDS), st.data())
def test_parse_reads_back_any_key_whose_parts_have_no_bar(kind: str, data: st.DataObject) -> None:
    shape = len(next(k for k, _ in EARLIER_TEXT if k.kind == kind).parts)
    key = OutboxKey(kind, tuple(data.draw(st.lists(part, min_size=shape, max_size=shape))))
    assert OutboxKey.parse(str(key)) == key


@given(part, part, part, part, dates, part, dates)
def test_a_reminder_key_reads_back_to_its_parts(
    kind: str, case_id: str, intervention: str, start: str, due: date, role: str, send_on: date
) -> None:
    key = OutboxKey.reminder(kind, case_id, intervention, start, due, role, send_on)
    assert ReminderKey.of(OutboxKey.parse(str(key))) == ReminderKey(
        kind, case_id, intervention, start, due, role, send_on
    )


@given(part, dates, part)
def test_a_digest_key_reads_back_to_its_parts(area: str, day: date, recipient: str) -> None:
    key = OutboxKey.digest(area, day, recipient)
    assert DigestKey.of(OutboxKey.parse(str(key))) == DigestKey(area, day, recipient)
