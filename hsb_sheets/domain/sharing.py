"""Who can open the register, judged: a public or external share is an error, a wide one a warning.

The facts come from the sharing port (the Drive permissions of a Google register, the file modes of
a local one); these pure functions say which of them a data protection officer must act on, and how.
Findings name staff addresses and file paths, never anything about a child.
"""

from __future__ import annotations

import stat
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from enum import StrEnum


class Level(StrEnum):
    """How much a finding matters: errors come first in doctor and in every morning's digest."""

    ERROR = "error"  # public, or open to someone outside the secure domains
    WARNING = "warning"  # wider than it needs to be
    NOTE = "note"  # how it is shared, for the record


@dataclass(frozen=True)
class Finding:
    """One thing about the register's sharing, with how to fix it."""

    level: Level
    text: str
    fix: str = ""


@dataclass(frozen=True)
class Grant:
    """One Drive permission of the register's file (type: user, group, domain or anyone)."""

    type: str
    role: str
    email: str = ""
    domain: str = ""
    discoverable: bool = False


GENERAL_ACCESS = "Remove the link sharing in Share ▸ General access (choose Restricted)."
WHOLE_DOMAIN = "In Share ▸ General access choose Restricted, and share with the people who need it."
OUTSIDE = (
    "Remove them in Share (or, if their domain is secure, add it to 'Secure domains' in the Settings tab)."
)
ORDER = {Level.ERROR: 0, Level.WARNING: 1, Level.NOTE: 2}


def inside(address_or_domain: str, secure_domains: Sequence[str]) -> bool:
    """Whether an address (or a domain) is in one of the secure domains, or a subdomain of one."""
    domain = address_or_domain.rpartition("@")[2].strip().casefold()
    return any(domain == d.casefold() or domain.endswith("." + d.casefold()) for d in secure_domains)


def ordered(findings: Iterable[Finding]) -> list[Finding]:
    """Errors first, then warnings, then notes (each in the order found)."""
    return sorted(findings, key=lambda f: ORDER[f.level])


def judge_grants(
    grants: Sequence[Grant], secure_domains: Sequence[str], service_account: str
) -> list[Finding]:
    """The findings for a Google register's permissions."""
    found: list[Finding] = []
    people = 0
    for grant in grants:
        if grant.type == "anyone":
            searchable = " and find it by searching" if grant.discoverable else ""
            text = f"Anyone with the link can open the register{searchable} (as {grant.role})."
            found.append(Finding(Level.ERROR, text, GENERAL_ACCESS))
        elif grant.type == "domain":
            found.append(_domain(grant, secure_domains))
        elif service_account and grant.email.casefold() == service_account.casefold():
            found.append(_service_account(grant))
        elif inside(grant.email, secure_domains):
            people += 1
        else:
            who = f"The {grant.type} {grant.email or '(no address)'}"
            found.append(
                Finding(Level.ERROR, f"{who}, outside the secure domains, has {grant.role} access.", OUTSIDE)
            )
    if service_account and not any(g.email.casefold() == service_account.casefold() for g in grants):
        text = f"The service account {service_account} has no share of its own (it acts for a user)."
        found.append(Finding(Level.NOTE, text))
    if not secure_domains:
        text = (
            "'Secure domains' in the Settings tab is empty: everyone the register is shared with is outside."
        )
        found.append(Finding(Level.WARNING, text, "List the council's and partners' secure domains there."))
    found.append(Finding(Level.NOTE, f"{people} people or groups in the secure domains can open it."))
    return ordered(found)


def _domain(grant: Grant, secure_domains: Sequence[str]) -> Finding:
    if inside(grant.domain, secure_domains):
        text = (
            f"Everyone at {grant.domain} can open the register (as {grant.role}), not only those who need it."
        )
        return Finding(Level.WARNING, text, WHOLE_DOMAIN)
    text = f"Everyone at {grant.domain}, outside the secure domains, can open the register (as {grant.role})."
    return Finding(Level.ERROR, text, WHOLE_DOMAIN)


def _service_account(grant: Grant) -> Finding:
    who = f"The service account {grant.email}"
    if grant.role == "writer":
        return Finding(Level.NOTE, f"{who} is an editor, as the jobs need.")
    if grant.role in ("owner", "organizer", "fileOrganizer"):
        text = f"{who} is {grant.role}: more than the jobs need (the register goes if the account goes)."
        return Finding(
            Level.WARNING,
            text,
            "Make a person in the council the owner; leave the service account an editor.",
        )
    text = f"{who} is only a {grant.role}: the jobs cannot write to the register."
    return Finding(Level.WARNING, text, f"Share the register with {grant.email} as an editor.")


@dataclass(frozen=True)
class FileMode:
    """A local file the service keeps, and its permission bits."""

    what: str  # "the register", "the journal", "the outbox", "the key file"
    path: str
    mode: int
    secret: bool = False  # a key file: readable by others is a warning (issue 13, item 6)


def judge_modes(files: Sequence[FileMode]) -> list[Finding]:
    """The findings for local files readable by other users of the machine (or by the file's group).

    Files of one kind (the outbox's emails) are reported together: how many, and one of them.
    """
    found: list[Finding] = []
    for readers, bit in (("every user of this machine", stat.S_IROTH), ("its group's members", stat.S_IRGRP)):
        kinds: dict[tuple[str, bool], list[str]] = {}
        for file in files:
            if file.mode & bit and not (bit == stat.S_IRGRP and file.mode & stat.S_IROTH):
                kinds.setdefault((file.what, file.secret), []).append(file.path)
        for (what, secret), paths in kinds.items():
            found.append(_readable(what, secret, paths, readers, bit == stat.S_IROTH))
    if files and not found:
        found.append(Finding(Level.NOTE, f"{len(files)} file(s) readable by their owner only."))
    return ordered(found)


def _readable(what: str, secret: bool, paths: Sequence[str], readers: str, everyone: bool) -> Finding:
    subject = (
        f"{what.capitalize()} {paths[0]} is"
        if len(paths) == 1
        else f"{len(paths)} files of {what} ({paths[0]} ...) are"
    )
    fix = "Run: chmod go-rwx " + (
        f"'{paths[0]}'" if len(paths) == 1 else "on each (chmod -R go-rwx on the folder)"
    )
    if everyone:
        return Finding(Level.WARNING if secret else Level.ERROR, f"{subject} readable by {readers}.", fix)
    return Finding(Level.WARNING if secret else Level.NOTE, f"{subject} readable by {readers}.", fix)
