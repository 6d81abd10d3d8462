"""Delivery reads each pending row's key with OutboxKey: a row it cannot read fails alone, clearly."""

from __future__ import annotations

import pytest

from hsb_sheets.adapters.workbook.base import Append, WriteBatch
from hsb_sheets.domain.outbox_keys import OutboxKey
from hsb_sheets.domain.tabs import AUDIT_LOG, INTAKE_ISSUES, OUTBOX, AuditLogTab, IntakeIssuesTab, OutboxTab
from hsb_sheets.services.context import Context
from hsb_sheets.services.intake import run_intake
from hsb_sheets.services.notifications import UNREADABLE_KEY
from tests.conftest import valid_answers
from tests.unit.test_intake_service import mailer, submit, tab

ACKNOWLEDGED = str(OutboxKey.acknowledgement("HSB-2026-0001"))
UNREADABLE = [
    "acknowledgement",  # no case id: earlier versions failed on this with an IndexError
    "reminder|end_date|HSB-2026-0001",  # too few parts: a ValueError from unpacking
    "reminder|end_date|HSB-2026-0001|Other|01/01/2026|31/03/2026|worker|2026-03-12",  # not ISO dates
    "digest|Cambridgeshire|12 March|coordinator.cambs@example.gov.uk",
    "acknowledgment|HSB-2026-0001",  # a kind no version writes
]


def pending(key: str) -> Append:
    """A pending Outbox row with this key text, as a coordinator's edit or another version might leave."""
    return Append(
        OUTBOX,
        {
            OutboxTab.KEY: key,
            OutboxTab.CASE_ID: "HSB-2026-0001",
            OutboxTab.KIND: key.split("|", 1)[0],
            OutboxTab.RECIPIENT_ROLE: "referrer",
            OutboxTab.RECIPIENT: "someone@example.org",
            OutboxTab.STATE: "pending",
        },
    )


@pytest.fixture
def ctx(memory_context: Context) -> Context:
    """A registered case whose acknowledgement is still pending (the mail server was down)."""
    submit(memory_context, ("10/03/2026 09:00:00", valid_answers(referrer_email="a@example.org")))
    mailer(memory_context).fail_next = 3
    assert run_intake(memory_context, sleep=lambda _: None).delivery.waiting == [ACKNOWLEDGED]
    return memory_context


def test_rows_whose_key_cannot_be_read_fail_and_the_rest_are_sent(ctx: Context) -> None:
    ctx.workbook.write(WriteBatch(appends=[pending(k) for k in UNREADABLE]))
    report = run_intake(ctx).delivery
    assert report.sent == [ACKNOWLEDGED] and report.waiting == []
    assert sorted(report.failed) == sorted(UNREADABLE)
    assert [e.to for e in mailer(ctx).sent] == [("a@example.org",)]
    rows = {r[OutboxTab.KEY]: r for r in tab(ctx, OUTBOX).records()}
    for key in UNREADABLE:
        assert (rows[key][OutboxTab.STATE], rows[key][OutboxTab.ERROR]) == ("failed", UNREADABLE_KEY)
    assert tab(ctx, AUDIT_LOG).column(AuditLogTab.ACTION).count("email failed") == len(UNREADABLE)
    assert run_intake(ctx).delivery.failed == []  # failed rows are not tried again


def test_an_unreadable_key_does_not_touch_an_intake_issue(ctx: Context) -> None:
    submit(
        ctx, ("10/03/2026 09:10:00", valid_answers(child_dob="31/02/2014", referrer_email="c@example.org"))
    )
    run_intake(ctx)
    [issue] = tab(ctx, INTAKE_ISSUES).records()
    told = issue[IntakeIssuesTab.REFERRER_TOLD]
    ctx.workbook.write(WriteBatch(appends=[pending(f"intake_issue|{issue[IntakeIssuesTab.RESPONSE_ID]}|x")]))
    assert len(run_intake(ctx).delivery.failed) == 1
    [issue] = tab(ctx, INTAKE_ISSUES).records()
    assert told.startswith("Yes") and issue[IntakeIssuesTab.REFERRER_TOLD] == told
