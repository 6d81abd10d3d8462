"""The intake job over an in-memory register: once only, coordinator edits kept, nothing half-done."""

from __future__ import annotations

from pathlib import Path

import pytest

from hsb_sheets.adapters.mail.eml import EmlOutbox
from hsb_sheets.adapters.mail.memory import MemoryMailer
from hsb_sheets.adapters.workbook.base import Table, Update, WriteBatch
from hsb_sheets.adapters.workbook.memory import MemoryWorkbook
from hsb_sheets.domain.form import TIMESTAMP
from hsb_sheets.domain.tabs import (
    AUDIT_LOG,
    FORM_RESPONSES,
    INTAKE_ISSUES,
    OUTBOX,
    REFERRALS,
    ROUTING_RULES,
    AuditLogTab,
    IntakeIssuesTab,
    OutboxTab,
    ReferralsTab,
)
from hsb_sheets.errors import FormMismatchError, RuleTableError
from hsb_sheets.services.context import Context
from hsb_sheets.services.intake import run_intake
from hsb_sheets.services.workspace import import_responses
from tests.conftest import valid_answers


def submit(ctx: Context, *responses: tuple[str, dict[str, str]]) -> None:
    header = [TIMESTAMP, *(f.title for f in ctx.form.fields)]
    rows = [[stamp, *(answers.get(f.id, "") for f in ctx.form.fields)] for stamp, answers in responses]
    import_responses(ctx, header, rows)


def tab(ctx: Context, name: str) -> Table:
    return ctx.workbook.read([name])[name]


def store(ctx: Context) -> MemoryWorkbook:
    assert isinstance(ctx.workbook, MemoryWorkbook)
    return ctx.workbook


def mailer(ctx: Context) -> MemoryMailer:
    assert isinstance(ctx.mailer, MemoryMailer)
    return ctx.mailer


VALID_A = ("10/03/2026 09:00:00", valid_answers(traffic_light="Red", referrer_email="a@example.org"))
VALID_B = (
    "10/03/2026 09:05:00",
    valid_answers(child_first_name="Sky", child_dob="01/01/2015", referrer_email="b@example.org"),
)
INVALID = ("10/03/2026 09:10:00", valid_answers(child_dob="31/02/2014", referrer_email="c@example.org"))


def test_each_response_is_ingested_exactly_once(memory_context: Context) -> None:
    ctx = memory_context
    submit(ctx, VALID_A, VALID_B, INVALID)
    report = run_intake(ctx)
    assert report.registered == ["HSB-2026-0001", "HSB-2026-0002"]
    assert report.issues == 1
    assert [r[ReferralsTab.ROUTE] for r in tab(ctx, REFERRALS).records()] == [
        "strategy_discussion",
        "universal",
    ]
    issue = next(tab(ctx, INTAKE_ISSUES).records())
    assert issue[IntakeIssuesTab.REASONS] == "“Child's date of birth”: the answer is not a real date."
    assert issue[IntakeIssuesTab.FORM_ROW] == "4"
    assert sorted(e.to[0] for e in mailer(ctx).sent) == ["a@example.org", "b@example.org", "c@example.org"]

    again = run_intake(ctx)
    assert (again.registered, again.issues, again.already_ingested) == ([], 0, 3)
    assert len(tab(ctx, REFERRALS).rows) == 2 and len(tab(ctx, INTAKE_ISSUES).rows) == 1
    assert len(mailer(ctx).sent) == 3


def test_sorting_and_editing_responses_does_not_ingest_them_again(memory_context: Context) -> None:
    ctx = memory_context
    submit(ctx, VALID_A, VALID_B, INVALID)
    run_intake(ctx)
    responses = store(ctx).tables[FORM_RESPONSES]
    responses.rows.reverse()
    description = responses.header.index(ctx.form.field("behaviour_description").title)
    responses.rows[0][description] = "Corrected by a coordinator: a longer fictional description."
    responses.rows.insert(1, [""] * len(responses.header))
    report = run_intake(ctx)
    assert report.registered == [] and report.issues == 0
    assert len(tab(ctx, REFERRALS).rows) == 2


def test_coordinator_columns_are_never_overwritten(memory_context: Context) -> None:
    ctx = memory_context
    submit(ctx, VALID_A, VALID_B)
    run_intake(ctx)
    ctx.workbook.write(
        WriteBatch(
            updates=[
                Update(
                    REFERRALS,
                    ReferralsTab.CASE_ID,
                    "HSB-2026-0001",
                    {
                        ReferralsTab.STATUS: "Allocated",
                        ReferralsTab.WORKER: "w@example.gov.uk",
                        ReferralsTab.NOTES: "n",
                        ReferralsTab.ROUTE_OVERRIDE: "early_help",
                    },
                )
            ]
        )
    )
    store(ctx).tables[REFERRALS].rows.reverse()  # a coordinator sorts the register
    submit(
        ctx, ("11/03/2026 10:00:00", valid_answers(child_first_name="Ash", referrer_email="d@example.org"))
    )
    report = run_intake(ctx)
    assert report.registered == ["HSB-2026-0003"]
    first = next(r for r in tab(ctx, REFERRALS).records() if r[ReferralsTab.CASE_ID] == "HSB-2026-0001")
    assert (
        first[ReferralsTab.STATUS],
        first[ReferralsTab.WORKER],
        first[ReferralsTab.NOTES],
        first[ReferralsTab.ROUTE_OVERRIDE],
    ) == (
        "Allocated",
        "w@example.gov.uk",
        "n",
        "early_help",
    )
    assert first[ReferralsTab.ROUTE] == "strategy_discussion"


def test_case_ids_run_per_year_and_are_never_reused(memory_context: Context) -> None:
    ctx = memory_context
    submit(
        ctx,
        ("31/12/2025 23:59:00", valid_answers(child_dob="01/01/2012", incident_date="01/12/2025")),
        VALID_A,
    )
    assert run_intake(ctx).registered == ["HSB-2025-0001", "HSB-2026-0001"]
    # a coordinator deletes the 2026 case; its id must not be handed out again
    referrals = store(ctx).tables[REFERRALS]
    referrals.rows = [r for r in referrals.rows if r[0] != "HSB-2026-0001"]
    submit(ctx, VALID_B)
    assert run_intake(ctx).registered == ["HSB-2026-0002"]


def test_possible_duplicates_are_flagged_not_merged(memory_context: Context) -> None:
    ctx = memory_context
    submit(ctx, VALID_A, ("20/03/2026 12:00:00", valid_answers(referrer_email="other@example.org")))
    run_intake(ctx)
    rows = list(tab(ctx, REFERRALS).records())
    assert len(rows) == 2
    assert rows[1][ReferralsTab.POSSIBLE_DUPLICATE_OF] == "HSB-2026-0001"
    assert "possible_duplicate" in rows[1][ReferralsTab.FLAGS]
    assert "possible duplicate flagged" in tab(ctx, AUDIT_LOG).column(AuditLogTab.ACTION)


def test_a_form_that_no_longer_matches_stops_the_run_and_writes_nothing(memory_context: Context) -> None:
    ctx = memory_context
    submit(ctx, VALID_A)
    responses = store(ctx).tables[FORM_RESPONSES]
    responses.header[responses.header.index(ctx.form.field("child_last_name").title)] = "Surname"
    writes = store(ctx).writes
    with pytest.raises(FormMismatchError) as caught:
        run_intake(ctx)
    assert "missing required question columns: 'Child's last name'" in str(caught.value)
    assert "columns not in the form definition: 'Surname'" in str(caught.value)
    assert store(ctx).writes == writes and mailer(ctx).sent == []


def test_a_broken_rule_table_stops_the_run_and_writes_nothing(memory_context: Context) -> None:
    ctx = memory_context
    submit(ctx, VALID_A)
    rules = store(ctx).tables[ROUTING_RULES]
    rules.rows[4][rules.header.index("level")] = "severe"
    writes = store(ctx).writes
    with pytest.raises(RuleTableError, match=r"Routing rules, row 6 \(rule RTE-2\), column 'level'"):
        run_intake(ctx)
    assert store(ctx).writes == writes and tab(ctx, REFERRALS).rows == []


def test_a_dry_run_changes_nothing(memory_context: Context) -> None:
    ctx = memory_context
    submit(ctx, VALID_A, INVALID)
    writes = store(ctx).writes
    report = run_intake(ctx, dry_run=True)
    assert report.registered == ["HSB-2026-0001"] and report.issues == 1
    assert {a.tab for a in report.planned.appends} == {REFERRALS, INTAKE_ISSUES, OUTBOX, AUDIT_LOG}
    assert store(ctx).writes == writes and mailer(ctx).sent == []


def test_a_failed_send_is_retried_on_the_next_run_and_sent_once(memory_context: Context) -> None:
    ctx = memory_context
    submit(ctx, VALID_A)
    mailer(ctx).fail_next = 3  # every attempt of this run fails (a server down)
    report = run_intake(ctx, sleep=lambda _: None)
    assert report.delivery.waiting == ["acknowledgement|HSB-2026-0001"]
    assert next(tab(ctx, OUTBOX).records())[OutboxTab.STATE] == "pending"
    report = run_intake(ctx, sleep=lambda _: None)
    assert report.delivery.sent == ["acknowledgement|HSB-2026-0001"]
    assert len(mailer(ctx).sent) == 1
    assert run_intake(ctx).delivery.sent == []


def test_a_crash_between_sending_and_recording_sends_once(memory_context: Context, tmp_path: Path) -> None:
    ctx = memory_context
    ctx.mailer = EmlOutbox(tmp_path / "outbox")
    submit(ctx, VALID_A, INVALID)
    real_write = ctx.workbook.write
    calls = {"n": 0}

    def crash_on_ledger_write(batch: WriteBatch) -> None:
        calls["n"] += 1
        if calls["n"] == 2:  # the first write records the cases, the second would record the sends
            raise KeyboardInterrupt("power cut")
        real_write(batch)

    ctx.workbook.write = crash_on_ledger_write  # type: ignore[method-assign]
    with pytest.raises(KeyboardInterrupt):
        run_intake(ctx)
    ctx.workbook.write = real_write  # type: ignore[method-assign]
    assert {r[OutboxTab.STATE] for r in tab(ctx, OUTBOX).records()} == {"pending"}
    assert len(list((tmp_path / "outbox").glob("*.eml"))) == 2
    report = run_intake(ctx)
    assert report.registered == [] and len(report.delivery.sent) == 2
    assert {r[OutboxTab.STATE] for r in tab(ctx, OUTBOX).records()} == {"sent"}
    assert len(list((tmp_path / "outbox").glob("*.eml"))) == 2


def test_emails_and_audit_carry_no_child_details(memory_context: Context) -> None:
    ctx = memory_context
    submit(ctx, VALID_A, VALID_B, INVALID)
    run_intake(ctx)
    personal = ["Robin", "Testwood", "Sky", "15/06/2012", "2012-06-15", "01/01/2015", "2015-01-01", "CB1 2AB"]
    for email in mailer(ctx).sent:
        body = email.to_mime().as_string()
        assert not [p for p in personal if p in body], email.subject
    audit_text = "\n".join("|".join(row) for row in tab(ctx, AUDIT_LOG).rows)
    assert not [p for p in personal if p in audit_text]
    acknowledgement = next(e for e in mailer(ctx).sent if e.to == ("a@example.org",))
    assert "HSB-2026-0001" in acknowledgement.subject and "Pat Example" in acknowledgement.text


def test_an_invalid_response_without_a_usable_address_is_recorded_untold(memory_context: Context) -> None:
    ctx = memory_context
    submit(ctx, ("10/03/2026 09:00:00", valid_answers(referrer_email="nobody", child_last_name="")))
    run_intake(ctx)
    issue = next(tab(ctx, INTAKE_ISSUES).records())
    assert issue[IntakeIssuesTab.REFERRER_TOLD] == "No: no valid email address to tell"
    assert mailer(ctx).sent == [] and tab(ctx, OUTBOX).rows == []


def test_a_missing_timestamp_is_an_intake_issue(memory_context: Context) -> None:
    ctx = memory_context
    store(ctx).tables[FORM_RESPONSES].rows.append(
        ["", *(valid_answers().get(f.id, "") for f in ctx.form.fields)]
    )
    report = run_intake(ctx)
    assert report.issues == 1
    assert "“Timestamp”" in next(tab(ctx, INTAKE_ISSUES).records())[IntakeIssuesTab.REASONS]


def test_a_removed_intake_issue_does_not_block_delivery(memory_context: Context) -> None:
    ctx = memory_context
    submit(ctx, INVALID, VALID_A)
    mailer(ctx).fail_next = 6  # nothing goes out on the first run
    run_intake(ctx, sleep=lambda _: None)
    store(ctx).tables[INTAKE_ISSUES].rows.clear()  # a coordinator resolves and removes the issue
    report = run_intake(ctx)
    assert report.delivery.sent == ["acknowledgement|HSB-2026-0001"]
    assert len(report.delivery.failed) == 1
    states = {r[OutboxTab.KIND]: r[OutboxTab.STATE] for r in tab(ctx, OUTBOX).records()}
    assert states == {"intake_issue": "failed", "acknowledgement": "sent"}


def test_two_submissions_in_the_same_second_by_one_referrer_are_both_kept(memory_context: Context) -> None:
    ctx = memory_context
    first = ("10/03/2026 09:00:00", valid_answers(child_last_name=""))
    corrected = ("10/03/2026 09:00:00", valid_answers())
    submit(ctx, first, corrected)
    submit(ctx, first, corrected)  # the same export imported again adds nothing
    assert len(tab(ctx, FORM_RESPONSES).rows) == 2
    report = run_intake(ctx)
    assert (len(report.registered), report.issues) == (1, 1)
    store(ctx).tables[FORM_RESPONSES].rows.reverse()  # and sorting them changes nothing
    assert run_intake(ctx).registered == []
