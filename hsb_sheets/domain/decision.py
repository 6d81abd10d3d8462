"""The routing decision and its vocabulary (DESIGN section 4)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

HitPolicy = Literal["first", "collect"]

# Output name -> (hit policy, allowed values), in the order `triage --format json` prints them.
OUTPUTS: dict[str, tuple[HitPolicy, tuple[str, ...]]] = {
    "service": ("first", ("hsb", "advice_signpost", "out_of_scope")),
    "route": ("first", ("adult_services", "strategy_discussion", "early_help", "universal")),
    "meeting": ("first", ("strategy_discussion", "multi_agency_planning")),
    "invitees": (
        "collect",
        (
            "childrens_social_care",
            "police",
            "hsb_service",
            "early_help",
            "school",
            "lead_professional",
            "youth_offending_service",
        ),
    ),
    "pathways": ("collect", ("child_protection", "criminal_justice", "early_help", "out_of_court_disposal")),
    "actions": (
        "collect",
        (
            "refer_customer_service_centre",
            "child_and_family_assessment",
            "notify_lead_professional",
            "safeguard_child",
            "record_voluntary_intervention",
            "signpost_adult_services",
        ),
    ),
    "assessment_tools": ("collect", ("AIM_UNDER_12", "AIM3", "TA_HSB", "JSOAP", "ERASOR")),
    "flags": (
        "collect",
        (
            "aim_deferred_until_responsibility",
            "learning_needs",
            "formal_assessment",
            "lead_professional_needed",
            "possible_duplicate",
        ),
    ),
    "recording_system": ("first", ("ChildView", "CAPITA")),
}
# Outputs every case must get; a table that can leave one unset is rejected.
REQUIRED_OUTPUTS = ("service", "route", "recording_system")


@dataclass(frozen=True)
class Decision:
    """Where a referral goes and why."""

    service: str
    route: str
    meeting: str | None
    invitees: tuple[str, ...]
    pathways: tuple[str, ...]
    actions: tuple[str, ...]
    assessment_tools: tuple[str, ...]
    flags: tuple[str, ...]
    recording_system: str
    rules_fired: tuple[str, ...]

    def to_json(self) -> dict[str, Any]:
        """The decision with the keys and values of DESIGN section 4."""
        return {
            "service": self.service,
            "route": self.route,
            "meeting": self.meeting,
            "invitees": list(self.invitees),
            "pathways": list(self.pathways),
            "actions": list(self.actions),
            "assessment_tools": list(self.assessment_tools),
            "flags": list(self.flags),
            "recording_system": self.recording_system,
            "rules_fired": list(self.rules_fired),
        }
