"""Who can open the register, for the morning digest: public and external shares first, every day."""

from __future__ import annotations

from hsb_sheets.domain.sharing import Level
from hsb_sheets.errors import SharingError
from hsb_sheets.services.context import Context
from hsb_sheets.services.policy import Policy


def sharing_notice(ctx: Context, policy: Policy) -> list[str]:
    """The digest's first lines: each share a coordinator must remove (errors), then wider-than-needed
    ones (warnings), each with its fix; none when the register is shared as it should be."""
    if ctx.sharing is None:
        return []
    try:
        findings = ctx.sharing.findings(policy.secure_domains)
    except SharingError as problem:
        return [f"Who can open the register could not be checked: {problem} Run 'hsb-sheets doctor'."]
    lines = []
    for finding in findings:
        if finding.level is Level.NOTE:
            continue
        prefix = "DATA PROTECTION: " if finding.level is Level.ERROR else "Sharing: "
        lines.append(f"{prefix}{finding.text} {finding.fix}".strip())
    return lines
