"""The Directory tab: agency contacts per area and role, and how meeting invitees are resolved."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from hsb_sheets.domain.tabs import DIRECTORY, ROLES, DirectoryTab
from hsb_sheets.domain.validation import is_valid_email
from hsb_sheets.errors import WorkbookError

# Without any of these every contact would silently be unusable, and every meeting "Needs scheduling".
NEEDED_COLUMNS = (DirectoryTab.AREA, DirectoryTab.ROLE, DirectoryTab.EMAIL)


@dataclass(frozen=True)
class Contact:
    """One Directory row."""

    area: str
    role: str
    name: str
    email: str
    secure: bool


@dataclass
class Directory:
    """Contacts by area and role, and the rows that could not be used (with why)."""

    contacts: list[Contact] = field(default_factory=list)
    problems: dict[tuple[str, str], list[str]] = field(default_factory=dict)

    def lookup(self, area: str, role: str) -> list[Contact]:
        """Every contact for a role in an area."""
        return [c for c in self.contacts if c.area.casefold() == area.casefold() and c.role == role]


def parse_directory(records: Iterable[Mapping[str, str]]) -> Directory:
    """Read Directory rows; a bad role or address is kept as a problem for that area and role.

    Each record maps the tab's header to a row's values, so a header renamed or deleted shows as a
    missing key: that is a WorkbookError naming the column, never a Directory without contacts.
    """
    directory = Directory()
    for number, record in enumerate(records, start=2):
        if number == 2:
            check_directory_header(record.keys())
        area, role = record.get(DirectoryTab.AREA, "").strip(), record.get(DirectoryTab.ROLE, "").strip()
        email = record.get(DirectoryTab.EMAIL, "").strip()
        if not (area or role or email):
            continue
        if role not in ROLES:
            directory.problems.setdefault((area.casefold(), role), []).append(
                f"Directory row {number}: '{role}' is not a role ({', '.join(ROLES)})"
            )
            continue
        if not is_valid_email(email):
            directory.problems.setdefault((area.casefold(), role), []).append(
                f"Directory row {number}: the {role} address for {area} is not a valid email address"
            )
            continue
        secure = record.get(DirectoryTab.SECURE, "").strip().casefold() in ("yes", "y", "true")
        directory.contacts.append(
            Contact(area, role, record.get(DirectoryTab.NAME, "").strip(), email, secure)
        )
    return directory


def check_directory_header(header: Iterable[str]) -> None:
    """WorkbookError naming the tab and each needed column its header lacks."""
    present = set(header)
    missing = [column for column in NEEDED_COLUMNS if column not in present]
    if missing:
        names = " and ".join(f"'{column}'" for column in missing)
        raise WorkbookError(
            f"The '{DIRECTORY}' tab has no {names} column, so no contact can be used: "
            "rename it back or run 'hsb-sheets setup'."
        )


@dataclass(frozen=True)
class Invitees:
    """The addresses a meeting goes to, or the reasons it cannot be sent yet."""

    addresses: tuple[str, ...]
    reasons: tuple[str, ...]


def resolve_invitees(
    roles: Iterable[str], area: str, school_name: str, lead_professional: str, directory: Directory
) -> Invitees:
    """Addresses for each invited role. A role with no usable contact is a reason, never skipped.

    The school is the Directory's ``school`` contact whose Name matches the school given in the
    referral, else the area's general ``school`` contact (a Name left blank).
    """
    addresses: list[str] = []
    reasons: list[str] = []
    for role in roles:
        if role == "lead_professional":
            found = [lead_professional] if lead_professional else []
            if not found:
                reasons.append("the referral gives no lead professional address")
        else:
            contacts = directory.lookup(area, role)
            if role == "school":
                named = [c for c in contacts if c.name.casefold() == school_name.strip().casefold()]
                contacts = named or [c for c in contacts if not c.name]
            found = [c.email for c in contacts]
            if not found:
                reasons.extend(directory.problems.get((area.casefold(), role), []))
                reasons.append(f"the Directory has no usable {role} contact for {area}")
        for address in found:
            if address.casefold() not in (a.casefold() for a in addresses):
                addresses.append(address)
    return Invitees(tuple(addresses), tuple(reasons))
