"""The intake job recognises every response it ingested, whatever people change (DESIGN.md 2.1).

Over an in-memory register: a Date locale change, corrected answers, two responses in one second,
the same export twice and a register made by the earlier version re-ingest nothing and send nothing.
"""

from __future__ import annotations

from collections.abc import Sequence

import pytest

from hsb_sheets.adapters.mail.memory import MemoryMailer
from hsb_sheets.adapters.workbook.base import Table, Update, WriteBatch
from hsb_sheets.adapters.workbook.memory import MemoryWorkbook
from hsb_sheets.domain.form import TIMESTAMP
from hsb_sheets.domain.responses import ColumnMap, ResponseRow, legacy_fingerprint
from hsb_sheets.domain.tabs import (
    AUDIT_LOG,
    FORM_RESPONSES,
    INTAKE_ISSUES,
    OUTBOX,
    REFERRALS,
    RESPONSE_ID,
    SETTINGS,
    AuditLogTab,
    SettingsTab,
)
from hsb_sheets.services import intake
from hsb_sheets.services.context import Context
from hsb_sheets.services.intake import run_intake
from hsb_sheets.services.policy import DATE_LOCALE
from hsb_sheets.services.workspace import import_responses
from tests.conftest import valid_answers

ACTION = AuditLogTab.ACTION

RESPONSES = [
    ("10/03/2026 09:00:00", valid_answers(traffic_light="Red", referrer_email="a@example.org")),
    ("10/03/2026 09:05:00", valid_answers(child_first_name="Sky", referrer_email="b@example.org")),
    ("11/03/2026 14:30:00", valid_answers(child_dob="31/02/2014", referrer_email="c@example.org")),
    ("2026-03-11 15:00:00.250000", valid_answers(child_first_name="Ash", referrer_email="d@example.org")),
]


def rows_of(ctx: Context, responses: Sequence[tuple[str, dict[str, str]]]) -> list[list[str]]:
    return [[stamp, *(answers.get(f.id, "") for f in ctx.form.fields)] for stamp, answers in responses]


def submit(ctx: Context, responses: Sequence[tuple[str, dict[str, str]]] = RESPONSES) -> None:
    import_responses(ctx, [TIMESTAMP, *(f.title for f in ctx.form.fields)], rows_of(ctx, responses))


def store(ctx: Context) -> MemoryWorkbook:
    assert isinstance(ctx.workbook, MemoryWorkbook)
    return ctx.workbook


def tab(ctx: Context, name: str) -> Table:
    return store(ctx).read([name])[name]


def sent(ctx: Context) -> int:
    assert isinstance(ctx.mailer, MemoryMailer)
    return len(ctx.mailer.sent)


def set_locale(ctx: Context, locale: str) -> None:
    ctx.workbook.write(
        WriteBatch(updates=[Update(SETTINGS, SettingsTab.SETTING, DATE_LOCALE, {SettingsTab.VALUE: locale})])
    )


def assert_nothing_new(ctx: Context, mails: int) -> None:
    before = (len(tab(ctx, REFERRALS).rows), len(tab(ctx, INTAKE_ISSUES).rows), len(tab(ctx, OUTBOX).rows))
    report = run_intake(ctx)
    assert (report.registered, report.issues) == ([], 0)
    after = (len(tab(ctx, REFERRALS).rows), len(tab(ctx, INTAKE_ISSUES).rows), len(tab(ctx, OUTBOX).rows))
    assert after == before and sent(ctx) == mails


def test_changing_the_date_locale_re_ingests_nothing(memory_context: Context) -> None:
    ctx = memory_context
    submit(ctx)
    report = run_intake(ctx)
    assert (len(report.registered), report.issues) == (3, 1)
    mails = sent(ctx)
    set_locale(ctx, "en-US")
    assert_nothing_new(ctx, mails)
    set_locale(ctx, "en-GB")
    assert_nothing_new(ctx, mails)


@pytest.mark.parametrize(
    ("field_id", "corrected"),
    [
        ("referrer_email", "a.corrected@example.org"),
        ("child_first_name", "Robyn"),
        ("child_dob", "16/06/2012"),
        ("behaviour_description", "Corrected by a coordinator: a longer fictional description."),
    ],
)
def test_correcting_an_answer_re_ingests_nothing(
    memory_context: Context, field_id: str, corrected: str
) -> None:
    ctx = memory_context
    submit(ctx)
    run_intake(ctx)
    mails = sent(ctx)
    responses = store(ctx).tables[FORM_RESPONSES]
    column = responses.header.index(ctx.form.field(field_id).title)
    for row in responses.rows:
        row[column] = corrected
    assert_nothing_new(ctx, mails)


def test_two_responses_in_one_second_are_both_ingested_once_each(memory_context: Context) -> None:
    ctx = memory_context
    first = ("10/03/2026 09:00:00", valid_answers(child_first_name="Ash"))
    second = ("10/03/2026 09:00:00", valid_answers(child_first_name="Birch"))
    store(ctx).tables[FORM_RESPONSES].rows.extend(rows_of(ctx, [first, second]))
    report = run_intake(ctx)
    assert report.registered == ["HSB-2026-0001", "HSB-2026-0002"]
    ids = tab(ctx, REFERRALS).column(RESPONSE_ID)
    assert len(set(ids)) == 2 and ids[1] == ids[0] + "-2"
    mails = sent(ctx)
    for locale in ("en-GB", "en-US", "en-GB"):
        set_locale(ctx, locale)
        assert_nothing_new(ctx, mails)
    assert tab(ctx, REFERRALS).column(RESPONSE_ID) == ids


def test_the_same_export_imported_twice_is_ingested_once(memory_context: Context) -> None:
    ctx = memory_context
    submit(ctx)
    submit(ctx)  # the import itself adds nothing the tab already holds
    # and rows pasted in twice by hand are one response each
    store(ctx).tables[FORM_RESPONSES].rows.extend(rows_of(ctx, RESPONSES))
    report = run_intake(ctx)
    assert (len(report.registered), report.issues, report.already_ingested) == (3, 1, 4)
    assert_nothing_new(ctx, sent(ctx))


def old_read_responses(
    columns: ColumnMap, rows: Sequence[Sequence[str]], locale: str = "en-GB", values: object = None
) -> list[ResponseRow]:
    """What the earlier version read: ids from the displayed timestamp and the email, -2, -3 for the rest."""
    result: list[ResponseRow] = []
    contents: dict[str, list[tuple[str, ...]]] = {}
    for offset, raw in enumerate(rows):
        cells = [str(c) for c in raw]
        if not any(c.strip() for c in cells):
            continue
        answers = {f: cells[i] if i < len(cells) else "" for f, i in columns.fields.items()}
        stamp = cells[columns.timestamp] if columns.timestamp is not None else ""
        rid = legacy_fingerprint(stamp, answers.get("referrer_email", ""), cells, locale)
        seen = contents.setdefault(rid, [])
        content = tuple(c.strip() for c in cells)
        if content not in seen:
            seen.append(content)
        if seen.index(content):
            rid = f"{rid}-{seen.index(content) + 1}"
        result.append(ResponseRow(offset + 2, rid, stamp, answers))
    return result


def test_an_upgrade_from_a_register_of_the_earlier_version_re_ingests_nothing(
    memory_context: Context, monkeypatch: pytest.MonkeyPatch
) -> None:
    ctx = memory_context
    same_second = ("10/03/2026 09:00:00", valid_answers(child_first_name="Birch", traffic_light="Red"))
    submit(ctx, [*RESPONSES, same_second])
    with monkeypatch.context() as old_version:
        old_version.setattr(intake, "read_responses", old_read_responses)
        assert (len(run_intake(ctx).registered), run_intake(ctx).registered) == (4, [])
    legacy = set(tab(ctx, REFERRALS).column(RESPONSE_ID)) | set(tab(ctx, INTAKE_ISSUES).column(RESPONSE_ID))
    mails = sent(ctx)

    assert_nothing_new(ctx, mails)  # the upgrade itself
    recorded = [r for r in tab(ctx, AUDIT_LOG).records() if r[ACTION] == "response id recorded"]
    assert len(recorded) == 5 and not {r[RESPONSE_ID] for r in recorded} & legacy
    assert_nothing_new(ctx, mails)  # and it is done once
    assert len([r for r in tab(ctx, AUDIT_LOG).records() if r[ACTION] == "response id recorded"]) == 5

    # What the earlier version's ids depended on may now change: nothing is re-ingested.
    set_locale(ctx, "en-US")
    responses = store(ctx).tables[FORM_RESPONSES]
    email = responses.header.index(ctx.form.field("referrer_email").title)
    for row in responses.rows:
        row[email] = "corrected@example.org"
    assert_nothing_new(ctx, mails)
