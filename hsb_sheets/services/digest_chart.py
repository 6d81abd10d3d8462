"""The digest's small chart: referrals by route per week over the last 12 weeks, as a PNG."""

from __future__ import annotations

import io

from hsb_sheets.domain.digest import Digest

COLOURS = {
    "strategy_discussion": "#d4351c",
    "early_help": "#f47738",
    "universal": "#00703c",
    "adult_services": "#505a5f",
}


def referrals_chart(digest: Digest) -> bytes:
    """A stacked bar chart (matplotlib, no display needed)."""
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib import pyplot as plt
    from matplotlib.ticker import MaxNLocator

    figure, axes = plt.subplots(figsize=(6, 2.6), dpi=100)
    try:
        labels = [week.strftime("%d %b") for week in digest.weeks]
        bottom = [0] * len(labels)
        for route, counts in digest.by_route.items():
            axes.bar(labels, counts, bottom=bottom, label=route.replace("_", " "), color=COLOURS.get(route))
            bottom = [b + c for b, c in zip(bottom, counts, strict=True)]
        axes.set_title(f"Referrals by route, {digest.area}, last {len(labels)} weeks", fontsize=9)
        axes.tick_params(axis="x", labelrotation=60, labelsize=7)
        axes.tick_params(axis="y", labelsize=7)
        axes.yaxis.set_major_locator(MaxNLocator(integer=True))
        axes.legend(fontsize=7, frameon=False)
        figure.tight_layout()
        buffer = io.BytesIO()
        figure.savefig(buffer, format="png")
        return buffer.getvalue()
    finally:
        plt.close(figure)
