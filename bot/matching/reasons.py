"""Short human reasons for a pairing, mirroring the terms of `score_pair`.

`reasons_for` speaks to one member ("Ana can teach you SQL"); `pair_reasons`
is neutral third person for the group intro ("Ana can teach Ben SQL").
Each reason is a short clause; `format_reasons` joins them for one line.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence

from .score import MatchProfile, working_hours_overlap

EXPERIENCE_LABELS = ("<1 y", "1-2 y", "3-5 y", "6-9 y", "10-14 y", "15+ y")
MAX_SKILLS_LISTED = 2
MAX_GOALS_LISTED = 3


def reasons_for(
    viewer: MatchProfile,
    other: MatchProfile,
    *,
    skill_names: Mapping[int, str],
    other_name: str,
) -> list[str]:
    """Second-person reasons shown to `viewer` about `other`."""
    out: list[str] = []
    learn = other.offers & viewer.wants
    teach = viewer.offers & other.wants
    if learn:
        out.append(f"{other_name} can teach you {_skills(learn, skill_names)}")
    if teach:
        out.append(f"you can teach {other_name} {_skills(teach, skill_names)}")
    if not learn and not teach:
        out.append("no direct skill swap this round: compare notes on your work")
    dept = _department(viewer.department, other.department)
    if dept == "different":
        out.append(f"you're in different departments ({viewer.department}, {other.department})")
    elif dept == "same":
        out.append(f"you're both in {viewer.department}")
    out.append(_experience(viewer, other, "you have", f"{other_name} has"))
    goals = _goals(viewer, other)
    if goals:
        out.append(f"you share goals: {goals}")
    out.append(_timezone(viewer.tz_offset, other.tz_offset, gap_word="time-zone gap"))
    return out


def pair_reasons(
    a: MatchProfile,
    b: MatchProfile,
    *,
    skill_names: Mapping[int, str],
    names: tuple[str, str],
) -> list[str]:
    """Neutral third-person reasons for the group intro message."""
    name_a, name_b = names
    out: list[str] = []
    a_to_b = a.offers & b.wants
    b_to_a = b.offers & a.wants
    if a_to_b:
        out.append(f"{name_a} can teach {name_b} {_skills(a_to_b, skill_names)}")
    if b_to_a:
        out.append(f"{name_b} can teach {name_a} {_skills(b_to_a, skill_names)}")
    if not a_to_b and not b_to_a:
        out.append("no direct skill swap this round")
        out.append(_offers_wants(name_a, a, skill_names))
        out.append(_offers_wants(name_b, b, skill_names))
    dept = _department(a.department, b.department)
    if dept == "different":
        out.append(f"different departments ({a.department}, {b.department})")
    elif dept == "same":
        out.append(f"both in {a.department}")
    out.append(_experience(a, b, f"{name_a} has", f"{name_b} has"))
    goals = _goals(a, b)
    if goals:
        out.append(f"shared goals: {goals}")
    out.append(_timezone(a.tz_offset, b.tz_offset, gap_word="apart"))
    return out


def group_reasons(
    members: Sequence[MatchProfile],
    *,
    skill_names: Mapping[int, str],
    names: Mapping[int, str],
) -> list[str]:
    """Reasons for a pair or a trio (trio: the reasons of each of its pairs)."""
    out: list[str] = []
    for x in range(len(members)):
        for y in range(x + 1, len(members)):
            a, b = members[x], members[y]
            pair = (names.get(a.member_id, str(a.member_id)), names.get(b.member_id, str(b.member_id)))
            out.extend(r for r in pair_reasons(a, b, skill_names=skill_names, names=pair) if r not in out)
    return out


def _offers_wants(name: str, p: MatchProfile, skill_names: Mapping[int, str]) -> str:
    offers = _skills(p.offers, skill_names) if p.offers else "nothing listed yet"
    wants = _skills(p.wants, skill_names) if p.wants else "nothing listed yet"
    return f"{name} offers {offers} and wants to learn {wants}"


def format_reasons(reasons: Iterable[str]) -> str:
    """One line: "Ana can teach Ben SQL; different departments (Sales, Data); ..."."""
    return "; ".join(reasons)


def _skills(ids: Iterable[int], skill_names: Mapping[int, str]) -> str:
    names = sorted(skill_names.get(i, f"skill #{i}") for i in ids)
    if len(names) <= MAX_SKILLS_LISTED:
        return " and ".join(names)
    shown = ", ".join(names[:MAX_SKILLS_LISTED])
    return f"{shown} and {len(names) - MAX_SKILLS_LISTED} more"


def _department(a: str | None, b: str | None) -> str | None:
    if a is None or b is None:
        return None
    return "same" if a == b else "different"


def _experience(a: MatchProfile, b: MatchProfile, a_has: str, b_has: str) -> str:
    if abs(a.experience - b.experience) <= 1:
        return "similar experience"
    senior, junior = (a_has, b) if a.experience > b.experience else (b_has, a)
    more = max(a.experience, b.experience)
    return f"{senior} more experience ({_level(more)} vs {_level(junior.experience)})"


def _level(level: int) -> str:
    return EXPERIENCE_LABELS[min(max(level, 0), len(EXPERIENCE_LABELS) - 1)]


def _goals(a: MatchProfile, b: MatchProfile) -> str:
    shared = sorted(a.goal_words & b.goal_words)[:MAX_GOALS_LISTED]
    return ", ".join(shared)


def _timezone(tz_a: int, tz_b: int, *, gap_word: str) -> str:
    shift = abs(tz_a - tz_b) / 3600.0 % 24.0
    gap = min(shift, 24.0 - shift)
    if gap == 0:
        return "same time zone"
    overlap = working_hours_overlap(tz_a, tz_b)
    text = f"{_hours(gap)} h {gap_word}"
    if overlap == 0:
        return f"{text} (no shared working hours)"
    if overlap < 4:
        return f"{text} ({_hours(overlap)} h shared working hours)"
    return text


def _hours(h: float) -> str:
    return f"{h:g}" if h != int(h) else str(int(h))
