"""Which tab holds the form's responses, found by its header rather than by its name alone (no I/O).

Linking a Google Form to a spreadsheet adds a responses tab of its own; if a tab called
*Form responses 1* already exists, Google names the new one otherwise (*Form responses 2*, or in
the spreadsheet's language). The linked tab is known by its header: ``Timestamp``, then the form's
question titles in order, exactly (blank cells after the last title are ignored). When several tabs
have that header (a register set up by an earlier version has an empty *Form responses 1* beside the
tab the form was linked to), the one holding responses is the form's. Limits: a form
that collects respondents' email addresses adds an ``Email address`` column after ``Timestamp``, and
a question added to the form after linking adds a column at the end; neither header matches until
the form definition here says the same.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence

from hsb_sheets.domain.tabs import FORM_RESPONSES
from hsb_sheets.errors import WorkbookError

TIMESTAMP = "Timestamp"


def responses_tab(
    headers: Mapping[str, Sequence[str]], questions: Sequence[str], filled: Collection[str] = ()
) -> str:
    """The tab whose header is Timestamp then exactly the question titles.

    ``headers`` maps every tab's name to its first row; ``filled`` names the tabs with a row below
    it. Of several matches the one holding responses wins, else *Form responses 1*. WorkbookError
    naming the candidates when no tab matches, or when several do and none of these rules decides.
    """
    expected = [TIMESTAMP, *questions]
    matches = [name for name, header in headers.items() if _trimmed(header) == expected]
    holding = [name for name in matches if name in filled]
    if len(matches) == 1:
        return matches[0]
    if len(holding) == 1:
        return holding[0]
    if FORM_RESPONSES in matches and not holding:
        return FORM_RESPONSES
    if matches:
        raise WorkbookError(
            f"Several tabs have the form's header (Timestamp and its {len(questions)} questions): "
            + ", ".join(f"'{m}'" for m in (holding or matches))
            + ". Delete or rename the ones the form no longer fills, or name the one it fills "
            + f"'{FORM_RESPONSES}'."
        )
    candidates = [name for name, header in headers.items() if _trimmed(header)[:1] == [TIMESTAMP]]
    shown = ", ".join(f"'{c}'" for c in candidates) if candidates else "none"
    raise WorkbookError(
        f"No tab has the form's header (Timestamp, then its {len(questions)} question titles exactly). "
        f"Tabs starting with Timestamp: {shown}. Link the form to this spreadsheet, or make its questions "
        "match the form definition."
    )


def _trimmed(header: Sequence[str]) -> list[str]:
    cells = [str(c) for c in header]
    while cells and not cells[-1].strip():
        cells.pop()
    return cells
