"""The workspace's skill catalog: normalising names, synonyms, fuzzy matching, type-ahead.

The rule, in order (see `resolve`):

1. *Clean* the typed name: Unicode NFKC, control characters dropped, runs of
   whitespace collapsed, trimmed, at most `MAX_SKILL_NAME` characters.
2. *Key* = the cleaned name casefolded, with punctuation trimmed from both ends
   (but `+` and `#` kept, so C++ and C# stay themselves). "python", "Python "
   and "PYTHON" share the key `python`, so they are one skill.
3. *Synonyms*: a small table maps common abbreviations and spellings to one
   canonical name (JS → JavaScript, k8s → Kubernetes, ML → Machine learning…).
4. *Exact key* in the catalog → that skill.
5. *Fuzzy*: otherwise, the closest catalog key by Damerau-Levenshtein
   (RapidFuzz) is taken when the names are long enough to judge (both at least
   5 characters), contain the same digits ("Python 2" ≠ "Python 3"), and are
   either at most one edit apart with at least 6 characters ("Pyhton" →
   "Python") or at least `FUZZY_MIN_SIMILARITY` similar. Short names are never
   fuzzed: "Go", "Git" and "Java"/"Lava" are too close to guess.
6. Otherwise it is a new skill, added to the catalog under the cleaned name.
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from dataclasses import dataclass

from rapidfuzz.distance import DamerauLevenshtein
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.models import Skill
from bot.sqlutil import insert_ignoring_conflicts

MAX_SKILL_NAME = 60
FUZZY_MIN_LENGTH = 5
FUZZY_ONE_EDIT_MIN_LENGTH = 6
FUZZY_MIN_SIMILARITY = 0.88

_TRIM = " \t\n\r.,;:!?'\"`()[]{}<>*_~-/\\|=^%$@&"
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\u200b-\u200f\u202a-\u202e\u2066-\u2069]")
_SPACES = re.compile(r"\s+")
_DIGITS = re.compile(r"\d+")

STARTER_CATALOG = (
    "Python", "JavaScript", "TypeScript", "Java", "Go", "Rust", "C++", "C#", "SQL", "React",
    "Node.js", "Kubernetes", "Docker", "AWS", "Terraform", "Machine learning", "Data analysis",
    "Data visualisation", "Statistics", "System design", "Software architecture", "Testing",
    "Security", "DevOps", "Git", "API design", "UX design", "UI design", "Product management",
    "Project management", "Agile", "Public speaking", "Writing", "Presenting", "Negotiation",
    "Leadership", "People management", "Giving feedback", "Coaching", "Hiring and interviewing",
    "Stakeholder management", "Time management", "Career planning", "Marketing", "Sales",
    "Customer success", "Finance", "Budgeting", "Excel", "Design thinking",
)

# key → canonical name. Keys are in `skill_key` form.
SYNONYMS = {
    "js": "JavaScript", "javascript": "JavaScript", "ecmascript": "JavaScript",
    "ts": "TypeScript", "py": "Python", "python3": "Python",
    "golang": "Go", "k8s": "Kubernetes", "kube": "Kubernetes",
    "ml": "Machine learning", "ai": "Artificial intelligence", "dl": "Deep learning",
    "nlp": "Natural language processing", "llm": "Large language models", "llms": "Large language models",
    "ux": "UX design", "ui": "UI design", "pm": "Product management",
    "postgres": "PostgreSQL", "psql": "PostgreSQL", "postgresql": "PostgreSQL",
    "node": "Node.js", "nodejs": "Node.js", "node.js": "Node.js",
    "reactjs": "React", "react.js": "React", "vuejs": "Vue", "vue.js": "Vue",
    "cpp": "C++", "c plus plus": "C++", "csharp": "C#", "c sharp": "C#",
    "amazon web services": "AWS", "gcp": "Google Cloud", "google cloud platform": "Google Cloud",
    "ci/cd": "CI/CD", "cicd": "CI/CD", "tdd": "Test-driven development",
    "dataviz": "Data visualisation", "data visualization": "Data visualisation",
    "public speaking": "Public speaking", "speaking": "Public speaking",
    "sysdesign": "System design", "infosec": "Security", "cybersecurity": "Security",
}


def clean_name(raw: str) -> str:
    """The display form of a typed skill name."""
    text = unicodedata.normalize("NFKC", raw or "")
    text = _CONTROL.sub("", text)
    text = _SPACES.sub(" ", text).strip()
    return text[:MAX_SKILL_NAME].strip()


def skill_key(raw: str) -> str:
    """The identity of a skill name: casefolded, whitespace collapsed, punctuation trimmed."""
    return clean_name(raw).casefold().strip(_TRIM)


@dataclass(frozen=True)
class Resolved:
    """A typed name resolved against the catalog: an existing skill, or a new one to add."""

    key: str
    name: str
    skill: Skill | None = None


def canonical(raw: str) -> tuple[str, str] | None:
    """(key, display name) after cleaning and synonyms; None for an empty name."""
    name = clean_name(raw).rstrip(" .,;:!?")
    key = skill_key(name)
    if not key:
        return None
    if key in SYNONYMS:
        name = SYNONYMS[key]
        key = skill_key(name)
    elif name == name.lower() and name.isascii() and len(name) > 3:
        name = name[0].upper() + name[1:]  # "negotiation" reads better as "Negotiation"
    return key, name


def fuzzy_match(key: str, keys: list[str]) -> str | None:
    """The catalog key that `key` is a near-duplicate of, if any (rule 5 above)."""
    if len(key) < FUZZY_MIN_LENGTH:
        return None
    digits = _DIGITS.findall(key)
    best: tuple[float, str] | None = None
    for other in keys:
        if len(other) < FUZZY_MIN_LENGTH or _DIGITS.findall(other) != digits:
            continue
        distance = DamerauLevenshtein.distance(key, other)
        similarity = 1 - distance / max(len(key), len(other))
        close = (distance <= 1 and min(len(key), len(other)) >= FUZZY_ONE_EDIT_MIN_LENGTH) or (
            similarity >= FUZZY_MIN_SIMILARITY
        )
        if close and (best is None or (similarity, other) > best):
            best = (similarity, other)
    return best[1] if best else None


def resolve(raw: str, catalog: dict[str, Skill]) -> Resolved | None:
    """Resolve a typed name against a catalog (key → Skill). None for an empty name."""
    found = canonical(raw)
    if found is None:
        return None
    key, name = found
    if key in catalog:
        return Resolved(key, catalog[key].name, catalog[key])
    near = fuzzy_match(key, sorted(catalog))
    if near is not None:
        return Resolved(near, catalog[near].name, catalog[near])
    return Resolved(key, name)


async def catalog_of(session: AsyncSession, workspace_id: int) -> dict[str, Skill]:
    rows = await session.scalars(select(Skill).where(Skill.workspace_id == workspace_id))
    return {s.key: s for s in rows}


async def ensure_catalog(session: AsyncSession, workspace_id: int, now: dt.datetime) -> dict[str, Skill]:
    """The workspace's catalog, seeded with `STARTER_CATALOG` on first use (race-safe)."""
    catalog = await catalog_of(session, workspace_id)
    if catalog:
        return catalog
    for name in STARTER_CATALOG:
        await session.execute(
            insert_ignoring_conflicts(session, Skill, ["workspace_id", "key"]).values(
                workspace_id=workspace_id, key=skill_key(name), name=name, created_at=now
            )
        )
    return await catalog_of(session, workspace_id)


async def get_or_create(session: AsyncSession, workspace_id: int, resolved: Resolved, now: dt.datetime) -> Skill:
    """The catalog row for a resolved name, adding it when new (race-safe on the unique key)."""
    if resolved.skill is not None:
        return resolved.skill
    await session.execute(
        insert_ignoring_conflicts(session, Skill, ["workspace_id", "key"]).values(
            workspace_id=workspace_id, key=resolved.key, name=resolved.name, created_at=now
        )
    )
    skill = await session.scalar(select(Skill).where(Skill.workspace_id == workspace_id, Skill.key == resolved.key))
    assert skill is not None
    return skill


def search(catalog: dict[str, Skill], query: str, limit: int = 50) -> list[Skill]:
    """Type-ahead: names starting with the query first, then containing it, then near misses."""
    found = canonical(query)
    if found is None:
        return sorted(catalog.values(), key=lambda s: s.name.casefold())[:limit]
    typed_key = skill_key(query)
    keys = {typed_key, found[0]}
    starts = [s for k, s in catalog.items() if any(k.startswith(q) for q in keys)]
    contains = [s for k, s in catalog.items() if any(q in k for q in keys) and s not in starts]
    ranked = sorted(starts, key=lambda s: s.name.casefold()) + sorted(contains, key=lambda s: s.name.casefold())
    near = fuzzy_match(found[0], sorted(catalog))
    if near is not None and catalog[near] not in ranked:
        ranked.append(catalog[near])
    return ranked[:limit]
