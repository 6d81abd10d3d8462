"""A tab's header row against the columns it should have: missing columns, and renamed ones.

A coordinator who renames a header ("Worker" to "Case worker") leaves the tab with an expected
column missing and an unexpected one in its place. Adding the expected column again would give the
tab a second, empty column while the values stay under the new name; so a rename is named instead.

A missing column and an extra one are taken for a rename when their names are alike: the same
letters and digits once case, spaces and punctuation are ignored ("Case ID" / "case-id"), the words
of one all in the other ("Worker" / "Case worker"), or one a near spelling of the other ("Recieved").
Each missing column is paired with at most one extra and the reverse, the likeliest pairs first; a
column a new version adds (missing, with nothing alike among the extras) is simply missing.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from difflib import SequenceMatcher

NEAR = 0.8  # SequenceMatcher ratio of two squashed names from which one is a misspelling of the other
_WORD = re.compile(r"[^\W_]+")


@dataclass(frozen=True)
class Rename:
    """An expected column that seems renamed: ``expected`` is now headed ``found``."""

    tab: str
    expected: str
    found: str

    def sentence(self) -> str:
        """What setup and doctor say about it."""
        return (
            f"the {self.tab} column '{self.expected}' seems renamed to '{self.found}'; rename it back "
            f"to '{self.expected}' (if '{self.found}' is a column of your own, give it another name)"
        )


@dataclass(frozen=True)
class HeaderCheck:
    """What one tab's header row lacks: columns renamed, and columns simply missing."""

    tab: str
    renamed: tuple[Rename, ...]
    missing: tuple[str, ...]


def _words(name: str) -> tuple[str, ...]:
    return tuple(word.casefold() for word in _WORD.findall(name))


def likeness(expected: str, found: str) -> float:
    """How alike two header names are as a rename (0: not a rename; higher: likelier)."""
    a, b = _words(expected), _words(found)
    if not a or not b:
        return 0.0
    squashed_a, squashed_b = "".join(a), "".join(b)
    if squashed_a == squashed_b:
        return 3.0
    if set(a) <= set(b) or set(b) <= set(a):
        return 2.0
    ratio = SequenceMatcher(None, squashed_a, squashed_b).ratio()
    return 1.0 + ratio if ratio >= NEAR else 0.0


def check_header(tab: str, expected: Sequence[str], header: Sequence[str]) -> HeaderCheck:
    """The expected columns a tab's header lacks, with those that seem renamed paired with the new name."""
    present = {name.strip() for name in header}
    missing = [name for name in expected if name not in present]
    wanted = set(expected)
    extras = [name.strip() for name in header if name.strip() and name.strip() not in wanted]
    pairs = sorted(
        (
            (-likeness(m, e), i, j)
            for i, m in enumerate(missing)
            for j, e in enumerate(extras)
            if likeness(m, e) > 0
        ),
    )
    taken_missing: set[int] = set()
    taken_extra: set[int] = set()
    renamed: list[Rename] = []
    for _, i, j in pairs:
        if i in taken_missing or j in taken_extra:
            continue
        taken_missing.add(i)
        taken_extra.add(j)
        renamed.append(Rename(tab, missing[i], extras[j]))
    renamed.sort(key=lambda r: missing.index(r.expected))
    still = tuple(name for i, name in enumerate(missing) if i not in taken_missing)
    return HeaderCheck(tab, tuple(renamed), still)
