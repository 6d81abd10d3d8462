"""The register's tabs and their columns, each declared once: the contract between jobs and coordinators.

Each column belongs to the system (written only by jobs) or to coordinators (never overwritten). Code
refers to a column by its constant here (``MeetingsTab.STATUS``), never by a string literal, so a typo
is an import or type error rather than a silent empty read.
"""

from __future__ import annotations

from dataclasses import dataclass

from hsb_sheets.domain.columns import Column, Kind, Owner, coordinator, shared, system
from hsb_sheets.domain.decision import OUTPUTS
from hsb_sheets.domain.form import TIMESTAMP, FormDefinition, FormField
from hsb_sheets.domain.meetings import STATUSES
from hsb_sheets.domain.reminders import INTERVENTION_TYPES

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
NEXT_STEPS = "Next steps"
OVERVIEW = "Overview"
LEASE = "Lease"
JOB_NAMES = ("intake", "meetings", "reminders", "digest", "retention")
RETENTION_REVIEW = "Retention review"


@dataclass(frozen=True)
class TabSpec:
    """A tab: its name and its columns, declared once in the order a new tab shows them."""

    name: str
    columns: tuple[Column, ...]
    key: str | None = None

    @classmethod
    def plain(
        cls,
        name: str,
        system: tuple[str, ...] = (),
        coordinator: tuple[str, ...] = (),
        key: str | None = None,
    ) -> TabSpec:
        """A tab of text columns: the system's first, then the coordinators' (tests, simple tabs)."""
        columns = tuple(Column(c) for c in system) + tuple(
            Column(c, owner=Owner.COORDINATOR) for c in coordinator
        )
        return cls(name, columns, key)

    @property
    def header(self) -> tuple[str, ...]:
        """The header row of a new tab."""
        return self.columns

    @property
    def system(self) -> tuple[str, ...]:
        """The columns only jobs write (protected on Google)."""
        return tuple(c for c in self.columns if c.is_system)

    @property
    def coordinator(self) -> tuple[str, ...]:
        """The columns coordinators may type in."""
        return tuple(c for c in self.columns if not c.is_system)

    def column(self, name: str) -> Column:
        """The declaration of one column by its header text."""
        for column in self.columns:
            if column == name:
                return column
        raise KeyError(name)


# Columns several tabs share.
CASE_ID = system("Case ID", width=14)
RESPONSE_ID = system("Response ID", technical=True)
RECEIVED = system("Received", Kind.DATE_TIME)
NOTES = coordinator("Notes", width=40, personal=True)  # free text: may name anyone

# The Directory's roles (its Role dropdown); declared here so that domain/directory.py can read the
# Directory by these columns without an import cycle.
ROLES = (
    "childrens_social_care",
    "police",
    "hsb_service",
    "early_help",
    "school",
    "lead_professional",
    "youth_offending_service",
    "service_manager",
    "coordinator",
)
REFERRAL_STATUSES = ("New", "Allocated", "In progress", "Closed")
RESOLUTIONS = ("Referrer resubmitted", "Contacted referrer", "Not a referral", "Duplicate")


class ReferralsTab:
    """The case register's own columns; the form's answer columns sit between RECEIVED and AGE."""

    CASE_ID = CASE_ID
    RESPONSE_ID = RESPONSE_ID
    RECEIVED = RECEIVED
    AGE = system("Age", Kind.NUMBER)
    LEVEL = system("Level")
    NOT_OPEN = system("Not open to services")
    CRIMINAL_PROCESS = system("Criminal process")
    SERVICE = system("Service", width=16)
    ROUTE = system("Route", width=20)
    MEETING = system("Meeting", width=22)
    INVITEES = system("Invitees", Kind.LIST)
    PATHWAYS = system("Pathways", Kind.LIST)
    ACTIONS = system("Actions", Kind.LIST)
    ASSESSMENT_TOOLS = system("Assessment tools", Kind.LIST)
    FLAGS = system("Flags", Kind.LIST)
    RECORDING_SYSTEM = system("Recording system")
    RULES_FIRED = system("Rules fired", Kind.LIST, technical=True)
    # The next steps the meetings job made from the case's decision: a step row a coordinator deleted
    # is not made again (DESIGN section 6).
    STEPS_MADE = system("Next steps made", Kind.LIST, technical=True)
    POSSIBLE_DUPLICATE_OF = system("Possible duplicate of", Kind.LIST)
    LINKED_WITH = system("Linked with", Kind.LIST)
    REASON = system("Reason", width=40)  # why a coordinator's value on the row cannot be used
    # The coordinator values the case's decision was last made with, so that each is acted on once.
    DECIDED_WITH = system("Decided with", technical=True)
    STATUS = coordinator("Status", choices=REFERRAL_STATUSES)
    WORKER = coordinator("Worker", width=18, personal=True)
    ROUTE_OVERRIDE = coordinator("Route override", choices=OUTPUTS["route"][1])
    # Facts that change after intake: dropdowns of the form's own choices (see referrals_spec).
    CRIMINAL_STATUS_NOW = coordinator("Criminal status now")
    RESPONSIBILITY_NOW = coordinator("Responsibility now")
    LINKED_CASES = coordinator("Linked cases", Kind.LIST)
    NOTES = NOTES


DERIVED_COLUMNS = (ReferralsTab.AGE, ReferralsTab.LEVEL, ReferralsTab.NOT_OPEN, ReferralsTab.CRIMINAL_PROCESS)
DECISION_COLUMNS = {
    "service": ReferralsTab.SERVICE,
    "route": ReferralsTab.ROUTE,
    "meeting": ReferralsTab.MEETING,
    "invitees": ReferralsTab.INVITEES,
    "pathways": ReferralsTab.PATHWAYS,
    "actions": ReferralsTab.ACTIONS,
    "assessment_tools": ReferralsTab.ASSESSMENT_TOOLS,
    "flags": ReferralsTab.FLAGS,
    "recording_system": ReferralsTab.RECORDING_SYSTEM,
    "rules_fired": ReferralsTab.RULES_FIRED,
}
POSSIBLE_DUPLICATE_OF = ReferralsTab.POSSIBLE_DUPLICATE_OF
REFERRAL_COORDINATOR_COLUMNS = (
    ReferralsTab.STATUS,
    ReferralsTab.WORKER,
    ReferralsTab.ROUTE_OVERRIDE,
    ReferralsTab.CRIMINAL_STATUS_NOW,
    ReferralsTab.RESPONSIBILITY_NOW,
    ReferralsTab.LINKED_CASES,
    ReferralsTab.NOTES,
)
# Coordinator columns whose dropdown is a form question's choices: column -> field id.
FACTS_NOW_FIELDS = {
    ReferralsTab.CRIMINAL_STATUS_NOW: "criminal_status",
    ReferralsTab.RESPONSIBILITY_NOW: "accepted_responsibility",
}


class IntakeIssuesTab:
    """Submissions that failed validation, keyed by response id."""

    RESPONSE_ID = RESPONSE_ID
    FORM_ROW = system("Form row", Kind.NUMBER)
    RECEIVED = RECEIVED
    REASONS = system("Reasons", width=60, personal=True)  # may quote an answer
    REFERRER_TOLD = system("Referrer told")
    RESOLUTION = coordinator("Resolution", choices=RESOLUTIONS)
    NOTES = NOTES


class MeetingsTab:
    """Strategy discussions and planning meetings, keyed by meeting reference (case id and number)."""

    CASE_ID = CASE_ID
    MEETING = system("Meeting", width=16)
    TYPE = system("Type", width=22)
    # Shared: jobs set Needs scheduling / Invited / Rescheduled, and never overwrite a coordinator's
    # Cancelled or Held.
    STATUS = shared("Status", choices=STATUSES)
    REQUESTED = system("Requested", Kind.DATE_TIME)
    PROPOSED_START = system("Proposed start", Kind.DATE_TIME)
    AGREED_START = coordinator("Agreed start", Kind.DATE_TIME)
    EVENT_START = system("Event start", Kind.DATE_TIME)
    DURATION = system("Duration", Kind.NUMBER)
    INVITEES = system("Invitees", Kind.LIST, personal=True)
    ATTENDEES = system("Attendees", Kind.LIST, personal=True)
    EVENT_ID = system("Event ID", technical=True)
    SEQUENCE = system("Sequence", Kind.NUMBER, technical=True)
    LAST_SENT = system("Last sent", Kind.DATE_TIME)
    REASON = system("Reason", width=40)
    # Several decisions, comma-separated (a dropdown cannot hold more than one): see domain/next_steps.py.
    DECISIONS = coordinator("Decisions", Kind.LIST, width=30)
    DECISIONS_ACTED_ON = system("Decisions acted on", Kind.LIST, technical=True)


class InterventionsTab:
    """Interventions coordinators record, keyed by case, intervention and start date."""

    CASE_ID = coordinator("Case ID", width=14)
    INTERVENTION = coordinator("Intervention", choices=INTERVENTION_TYPES)
    WORKER_EMAIL = coordinator("Worker email", width=28, personal=True)
    START_DATE = coordinator("Start date", Kind.DATE)
    END_DATE = coordinator("End date", Kind.DATE)
    SESSIONS_AGREED = coordinator("Sessions agreed", Kind.NUMBER)
    REVIEW_DATES = coordinator("Review dates", Kind.LIST)
    END_SUMMARY_DUE = system("End summary due", Kind.DATE)
    END_SUMMARY_RECORDED = coordinator("End summary recorded", Kind.DATE)
    STATUS = system("Status")
    LAST_REMINDER = system("Last reminder", width=24)


INTERVENTION_KEY = (InterventionsTab.CASE_ID, InterventionsTab.INTERVENTION, InterventionsTab.START_DATE)


class DirectoryTab:
    """Agency contacts per area and role (the Area dropdown takes the form's areas)."""

    AREA = coordinator("Area")
    ROLE = coordinator("Role", choices=ROLES)
    NAME = coordinator("Name", width=24, personal=True)
    EMAIL = coordinator("Email", width=30, personal=True)
    SECURE = coordinator("Secure", choices=("Yes", "No"))


class SettingsTab:
    """Settings coordinators change, one per row."""

    SETTING = coordinator("Setting")
    VALUE = coordinator("Value")
    NOTES = coordinator("Notes", width=40)


class OutboxTab:
    """The notification ledger, keyed by idempotency key."""

    KEY = system("Key", technical=True)
    CASE_ID = CASE_ID
    KIND = system("Kind", width=18)
    RECIPIENT_ROLE = system("Recipient role")
    RECIPIENT = system("Recipient", width=28, personal=True)
    STATE = system("State")
    CREATED_AT = system("Created at", Kind.DATE_TIME)
    SENT_AT = system("Sent at", Kind.DATE_TIME)
    MESSAGE_ID = system("Message ID", technical=True)
    ERROR = system("Error", personal=True)  # a mail server's words may quote the address


class LeaseTab:
    """The one row that keeps two runs from overlapping on Google."""

    HOLDER = system("Holder")
    TAKEN = system("Taken", Kind.DATE_TIME)
    EXPIRES = system("Expires", Kind.DATE_TIME)


class JobStatusTab:
    """Each job's last run, keyed by job name."""

    JOB = system("Job")
    LAST_RUN = system("Last run", Kind.DATE_TIME)
    OUTCOME = system("Outcome")
    DURATION = system("Duration (s)", Kind.NUMBER)
    COUNTS = system("Counts", width=40)


class AuditLogTab:
    """Every automated action, append only."""

    TIME = system("Time", Kind.DATE_TIME)
    JOB = system("Job")
    ACTION = system("Action", width=24)
    CASE_ID = CASE_ID
    RESPONSE_ID = RESPONSE_ID
    RULE_IDS = system("Rule IDs", Kind.LIST, technical=True)
    DETAIL = system("Detail", width=60)
    # The hash chain (domain/audit_chain.py): rows are ordered by Sequence, whatever the tab's sort.
    SEQUENCE = system("Sequence", Kind.NUMBER, technical=True)
    HASH = system("Hash", technical=True)


class NextStepsTab:
    """What each case needs next and by when (DESIGN section 6), keyed by case, step and source."""

    STEP_ID = system("Step ID", technical=True)
    CASE_ID = CASE_ID
    AREA = system("Area")
    STEP = system("Step", width=30)
    FROM = system("From", width=30)
    OWNER_ROLE = system("Owner role")
    DUE = system("Due", Kind.DATE)
    STATUS = system("Status")
    DONE_ON = coordinator("Done on", Kind.DATE)
    LAST_ESCALATED = system("Last escalated", Kind.DATE_TIME)
    NOTES = NOTES


class RetentionReviewTab:
    """Cases past the retention rule, listed for coordinators; erased only once one confirms."""

    CASE_ID = CASE_ID
    LISTED_ON = system("Listed on", Kind.DATE)
    WHY = system("Why", width=60)
    REVIEW_BY = system("Review by", Kind.DATE)
    CONFIRMED_BY = coordinator("Confirmed by")
    CONFIRMED_ON = coordinator("Confirmed on", Kind.DATE)
    ERASED_ON = system("Erased on", Kind.DATE_TIME)


class OverviewTab:
    """What needs doing per area and per worker, written by each run (see domain/overview.py)."""

    KEY = system("Line", technical=True)
    SECTION = system("For")
    NAME = system("Name", width=22)
    MEASURE = system("What", width=40)
    COUNT = system("Count", Kind.NUMBER)
    CASES = system("Cases", Kind.LIST, width=50)
    UPDATED = system("Updated", Kind.DATE_TIME)


def columns_of(tab: type) -> tuple[Column, ...]:
    """A tab class's columns in the order they are declared."""
    return tuple(value for value in vars(tab).values() if isinstance(value, Column))


MEETING = MeetingsTab.MEETING
INTAKE_ISSUES_SPEC = TabSpec(INTAKE_ISSUES, columns_of(IntakeIssuesTab), key=RESPONSE_ID)
MEETINGS_SPEC = TabSpec(MEETINGS, columns_of(MeetingsTab), key=MEETING)
INTERVENTIONS_SPEC = TabSpec(INTERVENTIONS, columns_of(InterventionsTab))
DIRECTORY_SPEC = TabSpec(DIRECTORY, columns_of(DirectoryTab))
SETTINGS_SPEC = TabSpec(SETTINGS, columns_of(SettingsTab), key=SettingsTab.SETTING)
OUTBOX_SPEC = TabSpec(OUTBOX, columns_of(OutboxTab), key=OutboxTab.KEY)
LEASE_SPEC = TabSpec(LEASE, columns_of(LeaseTab))
JOB_STATUS_SPEC = TabSpec(JOB_STATUS, columns_of(JobStatusTab), key=JobStatusTab.JOB)
AUDIT_LOG_SPEC = TabSpec(AUDIT_LOG, columns_of(AuditLogTab))
NEXT_STEPS_SPEC = TabSpec(NEXT_STEPS, columns_of(NextStepsTab), key=NextStepsTab.STEP_ID)
RETENTION_REVIEW_SPEC = TabSpec(RETENTION_REVIEW, columns_of(RetentionReviewTab), key=CASE_ID)
OVERVIEW_SPEC = TabSpec(OVERVIEW, columns_of(OverviewTab), key=OverviewTab.KEY)


def form_responses_spec(form: FormDefinition) -> TabSpec:
    """Google Forms' own layout: Timestamp, then one column per question title."""
    titles = (system(f.title, personal=f.personal) for f in form.fields)
    return TabSpec(FORM_RESPONSES, (system(TIMESTAMP, Kind.DATE_TIME), *titles))


def answer_column(field: FormField) -> Column:
    """The Referrals column holding one question's answer (system-written, as the form gave it)."""
    kinds = {"date": Kind.DATE, "checkboxes": Kind.LIST, "choice": Kind.CHOICE}
    return system(field.column, kinds.get(field.type, Kind.TEXT), personal=field.personal)


def referrals_spec(form: FormDefinition) -> TabSpec:
    """The case register: one row per valid referral, keyed by case id."""
    fixed = tuple(_with_form_choices(form, c) for c in columns_of(ReferralsTab))
    head = fixed[:3]  # case id, response id, received
    tail = fixed[3:]
    return TabSpec(REFERRALS, (*head, *(answer_column(f) for f in form.fields), *tail), key=CASE_ID)


def _with_form_choices(form: FormDefinition, column: Column) -> Column:
    """A facts-now column as a dropdown of its question's choices; any other column as declared."""
    field_id = FACTS_NOW_FIELDS.get(column)
    if field_id is None:
        return column
    return coordinator(column.name, choices=form.field(field_id).choices, width=column.width)


def routing_rules_spec(header: tuple[str, ...]) -> TabSpec:
    """The decision table, owned by coordinators; its header comes from the seed table."""
    return TabSpec(ROUTING_RULES, tuple(coordinator(c) for c in header))


def all_tab_specs(form: FormDefinition, rules_header: tuple[str, ...]) -> tuple[TabSpec, ...]:
    """Every tab of the register, in the order a new workbook shows them."""
    return (
        form_responses_spec(form),
        referrals_spec(form),
        INTAKE_ISSUES_SPEC,
        MEETINGS_SPEC,
        INTERVENTIONS_SPEC,
        NEXT_STEPS_SPEC,
        DIRECTORY_SPEC,
        routing_rules_spec(rules_header),
        SETTINGS_SPEC,
        OUTBOX_SPEC,
        AUDIT_LOG_SPEC,
        RETENTION_REVIEW_SPEC,
        JOB_STATUS_SPEC,
        LEASE_SPEC,
        OVERVIEW_SPEC,
    )
