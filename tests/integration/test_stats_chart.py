"""The admin chart: a real PNG of sensible size, for full, withheld and awkward data."""

from __future__ import annotations

import struct

from bot.chart import DPI, HEIGHT_IN, WIDTH_IN, render_chart
from bot.deps import Deps
from bot.stats import ProgramStats, SkillGap
from tests.integration.test_stats import _stats, seed_history

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def png_size(data: bytes) -> tuple[int, int]:
    """Width and height from the IHDR chunk, which must come first."""
    assert data[:8] == PNG_SIGNATURE
    length, kind = struct.unpack(">I4s", data[8:16])
    assert kind == b"IHDR" and length == 13
    return struct.unpack(">II", data[16:24])


def assert_sensible_png(data: bytes) -> None:
    width, height = png_size(data)
    assert (width, height) == (WIDTH_IN * DPI, HEIGHT_IN * DPI)
    assert 10_000 < len(data) < 2_000_000
    assert data.endswith(b"IEND\xaeB`\x82")


async def test_chart_of_a_seeded_history_is_a_png(deps: Deps) -> None:
    await seed_history(deps, min_group_size=1)
    assert_sensible_png(render_chart(await _stats(deps)))


async def test_chart_with_withheld_figures_still_renders(deps: Deps) -> None:
    await seed_history(deps, min_group_size=50)
    stats = await _stats(deps)
    assert stats.skill_gaps is None
    assert_sensible_png(render_chart(stats))


async def test_skill_names_are_drawn_literally(deps: Deps) -> None:
    await seed_history(deps, min_group_size=1)
    stats = await _stats(deps)
    odd = ProgramStats(**{**stats.__dict__, "skill_gaps": [SkillGap("$x^{2$", 3, 0), SkillGap("C$ and $", 1, 1)]})
    assert_sensible_png(render_chart(odd))
