"""Property: any row of arbitrary strings yields a decision or errors, never an exception."""

from __future__ import annotations

from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from hsb_sheets.bootstrap import load_form
from hsb_sheets.domain.form import TIMESTAMP, FormDefinition
from hsb_sheets.domain.intake import CaseNumbers, DuplicateIndex, plan_intake
from hsb_sheets.domain.responses import map_columns, read_responses
from hsb_sheets.domain.rules import RuleTable
from tests.conftest import valid_answers

FORM = load_form()
HEADER = [TIMESTAMP, *(f.title for f in FORM.fields)]


# Mix wholly arbitrary text with plausible answers, so both invalid and valid rows are explored.
def cell_for(field_id: str) -> st.SearchStrategy[str]:
    field = FORM.field(field_id)
    plausible = [
        *list(field.choices),
        valid_answers()[field_id],
        "",
        '=HYPERLINK("x")',
        "31/02/2026",
        "46082",
    ]
    return st.one_of(st.text(max_size=60), st.sampled_from(plausible))


STAMP = st.one_of(st.text(max_size=25), st.sampled_from(["01/03/2026 10:00:00", "2026-03-01", "", "46082.5"]))
ANSWERS = st.one_of(
    st.fixed_dictionaries({f.id: cell_for(f.id) for f in FORM.fields}),
    # a valid response with a few answers replaced: explores the valid side and single faults
    st.dictionaries(st.sampled_from([f.id for f in FORM.fields]), st.text(max_size=40), max_size=3).map(
        lambda changes: valid_answers(**changes)
    ),
)
ROW = st.tuples(STAMP, ANSWERS)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(rows=st.lists(ROW, min_size=1, max_size=4))
def test_any_rows_are_planned_without_exceptions(
    form: FormDefinition, table: RuleTable, rows: list[tuple[str, dict[str, str]]]
) -> None:
    raw = [[stamp, *(answers[f.id] for f in form.fields)] for stamp, answers in rows]
    responses = read_responses(map_columns(form, HEADER, timestamp_required=True), raw)
    plan = plan_intake(form, table, responses, set(), DuplicateIndex(), CaseNumbers([]))
    handled = [r.row.response_id for r in plan.referrals] + [i.row.response_id for i in plan.issues]
    # every distinct response is either a case or an issue; a repeated fingerprint is counted as ingested
    assert len(handled) + plan.already_ingested == len(responses)
    assert len(set(handled)) == len(handled)
    for issue in plan.issues:
        assert issue.errors and all(e.message for e in issue.errors)
    event("has a valid response" if plan.referrals else "all invalid")
    for referral in plan.referrals:
        assert referral.assessment.decision.route in ("strategy_discussion", "early_help", "universal")
