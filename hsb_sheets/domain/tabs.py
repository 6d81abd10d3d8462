"""The register's tabs and their header rows: the contract between jobs and coordinators.

Each column belongs to the system (written only by jobs) or to coordinators (never overwritten).
"""

from __future__ import annotations

from dataclasses import dataclass

from hsb_sheets.domain.form import TIMESTAMP, FormDefinition

FORM_RESPONSES = "Form responses 1"
REFERRALS = "Referrals"
INTAKE_ISSUES = "Intake issues"
MEETINGS = "Meetings"
INTERVENTIONS = "Interventions"
DIRECTORY = "Directory"
ROUTING_RULES = "Routing rules"
SETTINGS = "Settings"
OUTBOX = "Outbox"
AUDIT_LOG = "Audit log"
JOB_STATUS = "Job status"
LEASE = "Lease"
JOB_NAMES = ("intake", "meetings", "reminders", "digest")

CASE_ID = "Case ID"
RESPONSE_ID = "Response ID"
RECEIVED = "Received"


@dataclass(frozen=True)
class TabSpec:
    """A tab: its name, the columns jobs write and the columns coordinators own."""

    name: str
    system: tuple[str, ...]
    coordinator: tuple[str, ...] = ()
    key: str | None = None
    order: tuple[str, ...] = ()  # the column order a new tab gets, when not system columns first

    @classmethod
    def ordered(
        cls, name: str, columns: tuple[str, ...], coordinator: tuple[str, ...], key: str | None = None
    ) -> TabSpec:
        """A tab with its columns in a given order; those not the coordinators' are the system's."""
        system = tuple(c for c in columns if c not in coordinator)
        return cls(name, system=system, coordinator=coordinator, key=key, order=columns)

    @property
    def header(self) -> tuple[str, ...]:
        """The header row of a new tab (system columns first unless an order is given)."""
        return self.order or self.system + self.coordinator


DERIVED_COLUMNS = ("Age", "Level", "Not open to services", "Criminal process")
DECISION_COLUMNS = {
    "service": "Service",
    "route": "Route",
    "meeting": "Meeting",
    "invitees": "Invitees",
    "pathways": "Pathways",
    "actions": "Actions",
    "assessment_tools": "Assessment tools",
    "flags": "Flags",
    "recording_system": "Recording system",
    "rules_fired": "Rules fired",
}
POSSIBLE_DUPLICATE_OF = "Possible duplicate of"
REFERRAL_COORDINATOR_COLUMNS = ("Status", "Worker", "Route override", "Notes")

INTAKE_ISSUES_SPEC = TabSpec(
    INTAKE_ISSUES,
    system=(RESPONSE_ID, "Form row", RECEIVED, "Reasons", "Referrer told"),
    coordinator=("Resolution", "Notes"),
    key=RESPONSE_ID,
)
MEETING = "Meeting"
MEETINGS_SPEC = TabSpec.ordered(
    MEETINGS,
    (
        CASE_ID,
        MEETING,
        "Type",
        "Status",
        "Requested",
        "Proposed start",
        "Agreed start",
        "Event start",
        "Duration",
        "Invitees",
        "Attendees",
        "Event ID",
        "Sequence",
        "Last sent",
        "Reason",
        "Outcome",
    ),
    # Status is shared: jobs set Needs scheduling / Invited / Rescheduled, and never overwrite a
    # coordinator's Cancelled or Held.
    coordinator=("Status", "Agreed start", "Outcome"),
    key=MEETING,
)
INTERVENTIONS_SPEC = TabSpec.ordered(
    INTERVENTIONS,
    (
        CASE_ID,
        "Intervention",
        "Worker email",
        "Start date",
        "End date",
        "Sessions agreed",
        "Review dates",
        "End summary due",
        "End summary recorded",
        "Status",
        "Last reminder",
    ),
    coordinator=(
        CASE_ID,
        "Intervention",
        "Worker email",
        "Start date",
        "End date",
        "Sessions agreed",
        "Review dates",
        "End summary recorded",
    ),
)
DIRECTORY_SPEC = TabSpec(DIRECTORY, system=(), coordinator=("Area", "Role", "Name", "Email", "Secure"))
SETTINGS_SPEC = TabSpec(SETTINGS, system=(), coordinator=("Setting", "Value", "Notes"), key="Setting")
OUTBOX_SPEC = TabSpec(
    OUTBOX,
    system=(
        "Key",
        CASE_ID,
        "Kind",
        "Recipient role",
        "Recipient",
        "State",
        "Created at",
        "Sent at",
        "Message ID",
        "Error",
    ),
    key="Key",
)
LEASE_SPEC = TabSpec(LEASE, system=("Holder", "Taken", "Expires"))
JOB_STATUS_SPEC = TabSpec(
    JOB_STATUS, system=("Job", "Last run", "Outcome", "Duration (s)", "Counts"), key="Job"
)
AUDIT_LOG_SPEC = TabSpec(
    AUDIT_LOG, system=("Time", "Job", "Action", CASE_ID, RESPONSE_ID, "Rule IDs", "Detail")
)


def form_responses_spec(form: FormDefinition) -> TabSpec:
    """Google Forms' own layout: Timestamp, then one column per question title."""
    return TabSpec(FORM_RESPONSES, system=(TIMESTAMP, *(f.title for f in form.fields)))


def referrals_spec(form: FormDefinition) -> TabSpec:
    """The case register: one row per valid referral, keyed by case id."""
    return TabSpec(
        REFERRALS,
        system=(
            CASE_ID,
            RESPONSE_ID,
            RECEIVED,
            *(f.column for f in form.fields),
            *DERIVED_COLUMNS,
            *DECISION_COLUMNS.values(),
            POSSIBLE_DUPLICATE_OF,
        ),
        coordinator=REFERRAL_COORDINATOR_COLUMNS,
        key=CASE_ID,
    )


def routing_rules_spec(header: tuple[str, ...]) -> TabSpec:
    """The decision table, owned by coordinators; its header comes from the seed table."""
    return TabSpec(ROUTING_RULES, system=(), coordinator=header)


def all_tab_specs(form: FormDefinition, rules_header: tuple[str, ...]) -> tuple[TabSpec, ...]:
    """Every tab of the register, in the order a new workbook shows them."""
    return (
        form_responses_spec(form),
        referrals_spec(form),
        INTAKE_ISSUES_SPEC,
        MEETINGS_SPEC,
        INTERVENTIONS_SPEC,
        DIRECTORY_SPEC,
        routing_rules_spec(rules_header),
        SETTINGS_SPEC,
        OUTBOX_SPEC,
        AUDIT_LOG_SPEC,
        JOB_STATUS_SPEC,
        LEASE_SPEC,
    )
