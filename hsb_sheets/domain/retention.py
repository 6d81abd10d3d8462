"""How long a case is kept, and whether it is past that: the retention rule, without I/O or a clock.

The rule (Settings; a placeholder the service must review): keep a case until the child's Nth
birthday or M years after the case closed, whichever is later. A case is *closed* when its Referrals
Status is "Closed" and none of its interventions is still open (each has an End date or an End
summary recorded); it closed on the latest date the register records for it: its Received date, its
interventions' End dates and End summaries, and its meetings' start times. A case that is not closed
is never due, however old the child. Someone born on 29 February turns a year older on 1 March in
a year without one (as UK law counts it), and "M years after 29 February" is 1 March too, so a
case is never due a day early.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date

CLOSED = "Closed"


@dataclass(frozen=True)
class RetentionRule:
    """Keep until the child is ``until_age``, or ``years_after_closing`` after closing: the later."""

    until_age: int = 25
    years_after_closing: int = 6
    review_days: int = 30  # how long coordinators have to review a case listed


@dataclass(frozen=True)
class CaseDates:
    """What the rule needs to know about one case, read from the register."""

    case_id: str
    status: str
    received: date | None
    born: date | None
    activity: tuple[date, ...] = ()  # intervention ends and end summaries, meeting dates
    open_interventions: int = 0


@dataclass(frozen=True)
class Due:
    """A case past its retention: since when (``kept_until``) and why, in words without personal data."""

    case_id: str
    kept_until: date
    why: str


@dataclass
class Verdicts:
    """The cases past retention, and the ids of cases the rule could not judge (with the reason)."""

    due: list[Due] = field(default_factory=list)
    unknown: list[tuple[str, str]] = field(default_factory=list)


def years_after(day: date, years: int) -> date:
    """The same day ``years`` later; 29 February becomes 1 March in a year without one."""
    try:
        return day.replace(year=day.year + years)
    except ValueError:  # 29 February in a year that has none
        return date(day.year + years, 3, 1)


def closed_on(case: CaseDates) -> date | None:
    """The day a closed case closed (None: not closed, or nothing dates it)."""
    if case.status.strip().casefold() != CLOSED.casefold() or case.open_interventions:
        return None
    dates = [d for d in (case.received, *case.activity) if d is not None]
    return max(dates) if dates else None


def judge(case: CaseDates, rule: RetentionRule, today: date) -> Due | str | None:
    """A Due when the case is past retention today; a reason it cannot be judged; None when kept."""
    closed = closed_on(case)
    if closed is None:
        return None
    if case.born is None:
        return "no readable date of birth: review it by hand"
    birthday = years_after(case.born, rule.until_age)
    after_closing = years_after(closed, rule.years_after_closing)
    kept_until = max(birthday, after_closing)
    if today < kept_until:
        return None
    later = (
        f"{rule.years_after_closing} years after it closed ({closed.isoformat()})"
        if after_closing >= birthday
        else f"the child's {rule.until_age}th birthday"
    )
    why = f"closed on {closed.isoformat()}; kept until {kept_until.isoformat()}: {later}"
    return Due(case.case_id, kept_until, why)


def judge_all(cases: Iterable[CaseDates], rule: RetentionRule, today: date) -> Verdicts:
    """Every case's verdict, in the order given."""
    verdicts = Verdicts()
    for case in cases:
        verdict = judge(case, rule, today)
        if isinstance(verdict, Due):
            verdicts.due.append(verdict)
        elif isinstance(verdict, str):
            verdicts.unknown.append((case.case_id, verdict))
    return verdicts
