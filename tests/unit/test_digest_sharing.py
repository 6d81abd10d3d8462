"""The morning digest puts a public or external share of the register first, every day until fixed."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import timedelta

from hsb_sheets.domain.sharing import Finding, Grant, judge_grants
from hsb_sheets.services.context import Context
from hsb_sheets.services.digest import run_digest
from tests.conftest import FixedClock
from tests.unit.test_digest import ctx, digests

__all__ = ["ctx"]
SERVICE_ACCOUNT = "hsb-sheets@example.iam.gserviceaccount.com"


class SharedRegister:
    """A register's Drive permissions, judged as the Google adapter judges them; people can change them."""

    def __init__(self, *grants: Grant) -> None:
        self.grants = list(grants)
        self.asked = 0

    def findings(self, secure_domains: Sequence[str]) -> list[Finding]:
        self.asked += 1
        return judge_grants(self.grants, secure_domains, SERVICE_ACCOUNT)


def test_a_link_share_is_the_first_line_each_day_until_removed(ctx: Context, clock: FixedClock) -> None:
    link = Grant("anyone", "reader")
    register = SharedRegister(Grant("user", "writer", SERVICE_ACCOUNT), link)
    ctx.sharing = register
    for _day in range(2):
        run_digest(ctx)
        texts = digests(ctx)
        assert len(texts) == 2
        for text in texts.values():
            first = text.splitlines()[0]
            assert first == (
                "DATA PROTECTION: Anyone with the link can open the register (as reader). "
                "Remove the link sharing in Share ▸ General access (choose Restricted)."
            )
        clock.now += timedelta(days=1)
        ctx.mailer.sent.clear()  # type: ignore[attr-defined]
    register.grants.remove(link)  # fixed in Share ▸ General access
    clock.now += timedelta(days=2)  # Saturday, then Monday
    run_digest(ctx)
    texts = digests(ctx)
    assert texts and not any(
        "DATA PROTECTION" in text or "Anyone with the link" in text for text in texts.values()
    )
