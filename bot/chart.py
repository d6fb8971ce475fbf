"""The admin chart: participation and meeting rate per round, and the top skill gaps.

Drawn with matplotlib's Agg canvas straight onto a `Figure` (no pyplot, so no
global state and safe in a worker thread); returns PNG bytes in memory.
"""

from __future__ import annotations

import io
import threading

from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from bot.stats import ProgramStats

WIDTH_IN, HEIGHT_IN, DPI = 10, 8, 100  # 1000 x 800 pixels
BAR_COLOUR = "#4a90d9"
LINE_COLOUR = "#e07b39"
WANTED_COLOUR = "#d9534f"
OFFERED_COLOUR = "#5cb85c"
MUTED = "#888888"
# matplotlib's font and text caches are shared; two charts drawn at once in worker
# threads take turns.
_RENDER_LOCK = threading.Lock()


def render_chart(stats: ProgramStats) -> bytes:
    """A two-panel PNG of the program's figures; withheld figures are not drawn."""
    with _RENDER_LOCK:
        return _render(stats)


def _render(stats: ProgramStats) -> bytes:
    figure = Figure(figsize=(WIDTH_IN, HEIGHT_IN), dpi=DPI, layout="constrained")
    FigureCanvasAgg(figure)
    rounds_ax, skills_ax = figure.subplots(2, 1, height_ratios=(1, 1))
    _draw_rounds(rounds_ax, stats)
    _draw_skill_gaps(skills_ax, stats)
    figure.suptitle("Tandem program figures", fontsize=14)
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=DPI)
    return buffer.getvalue()


def _empty(ax, text: str) -> None:  # type: ignore[no-untyped-def]
    ax.text(0.5, 0.5, text, ha="center", va="center", color=MUTED, transform=ax.transAxes)
    ax.set_xticks([])
    ax.set_yticks([])


def _draw_rounds(ax, stats: ProgramStats) -> None:  # type: ignore[no-untyped-def]
    ax.set_title("Participation and meeting rate per round")
    shown = [r for r in stats.rounds if r.participants is not None]
    if not shown:
        _empty(ax, "No rounds yet" if not stats.rounds else
               f"Too few to show (fewer than {stats.min_group_size} people per round)")
        return
    labels = [f"#{r.number}" for r in shown]
    positions = list(range(len(shown)))
    ax.bar(positions, [r.participants for r in shown], color=BAR_COLOUR, label="members paired")
    ax.set_xticks(positions, labels)
    ax.set_xlabel("round")
    ax.set_ylabel("members paired")
    ax.set_ylim(0, max(r.participants or 0 for r in shown) * 1.3 + 1)  # room for the legend
    ax.yaxis.get_major_locator().set_params(integer=True)
    rate_ax = ax.twinx()
    rates = [(p, r.meeting_rate * 100) for p, r in zip(positions, shown) if r.meeting_rate is not None]
    if rates:
        rate_ax.plot([p for p, _ in rates], [v for _, v in rates], color=LINE_COLOUR, marker="o",
                     label="meeting rate (% of due sessions held)")
    rate_ax.set_ylim(0, 105)
    rate_ax.set_ylabel("meeting rate (%)")
    handles = ax.get_legend_handles_labels()[0] + rate_ax.get_legend_handles_labels()[0]
    ax.legend(handles=handles, loc="upper left", fontsize=8)


def _draw_skill_gaps(ax, stats: ProgramStats) -> None:  # type: ignore[no-untyped-def]
    ax.set_title("Most wanted skills: wanted vs. offered")
    if stats.skill_gaps is None:
        _empty(ax, f"Too few to show (fewer than {stats.min_group_size} members with skills)")
        return
    if not stats.skill_gaps:
        _empty(ax, "No wanted skills yet")
        return
    gaps = list(reversed(stats.skill_gaps))  # biggest gap on top
    positions = list(range(len(gaps)))
    height = 0.4
    ax.barh([p + height / 2 for p in positions], [g.wanted for g in gaps], height, color=WANTED_COLOUR,
            label="members who want it")
    ax.barh([p - height / 2 for p in positions], [g.offered for g in gaps], height, color=OFFERED_COLOUR,
            label="members who offer it")
    ax.set_yticks(positions, [_label(g.name) for g in gaps])
    ax.set_xlabel("members")
    ax.xaxis.get_major_locator().set_params(integer=True)
    ax.legend(loc="lower right", fontsize=8)


def _label(name: str) -> str:
    """A skill name as literal text: a `$` would otherwise start matplotlib mathtext."""
    return name[:40].replace("$", r"\$")
