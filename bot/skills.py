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

import asyncio
import datetime as dt
import functools
import logging
import re
import time
import unicodedata
import weakref
from collections import defaultdict
from dataclasses import dataclass

from rapidfuzz.distance import DamerauLevenshtein
from sqlalchemy import event, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Session

from bot.db import reading
from bot.models import Skill, Workspace
from bot.workspaces import ensure_workspace
from bot.sqlutil import insert_ignoring_conflicts

from bot.deps import Deps

log = logging.getLogger(__name__)

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


class Catalog(dict[str, Skill]):
    """A catalog (key → Skill) with what matching needs computed once: the type-ahead index
    keeps one per team, so a keystroke does not sort the catalog or scan names for digits."""

    @functools.cached_property
    def sorted_keys(self) -> list[str]:
        return sorted(self)

    @functools.cached_property
    def digits(self) -> dict[str, list[str]]:
        return {k: _DIGITS.findall(k) for k in self}

    @functools.cached_property
    def by_name(self) -> list[Skill]:
        return sorted(self.values(), key=lambda s: s.name.casefold())


def _sorted_keys(catalog: dict[str, Skill]) -> list[str]:
    return catalog.sorted_keys if isinstance(catalog, Catalog) else sorted(catalog)


def fuzzy_match(key: str, keys: list[str], digits: dict[str, list[str]] | None = None) -> str | None:
    """The catalog key that `key` is a near-duplicate of, if any (rule 5 above)."""
    if len(key) < FUZZY_MIN_LENGTH:
        return None
    own = _DIGITS.findall(key)
    best: tuple[float, str] | None = None
    for other in keys:
        if len(other) < FUZZY_MIN_LENGTH or (digits[other] if digits is not None else _DIGITS.findall(other)) != own:
            continue
        distance = DamerauLevenshtein.distance(key, other)
        similarity = 1 - distance / max(len(key), len(other))
        close = (distance <= 1 and min(len(key), len(other)) >= FUZZY_ONE_EDIT_MIN_LENGTH) or (
            similarity >= FUZZY_MIN_SIMILARITY
        )
        if close and (best is None or (similarity, other) > best):
            best = (similarity, other)
    return best[1] if best else None


def _fuzzy_in(key: str, catalog: dict[str, Skill]) -> str | None:
    return fuzzy_match(key, _sorted_keys(catalog), catalog.digits if isinstance(catalog, Catalog) else None)


def resolve(raw: str, catalog: dict[str, Skill]) -> Resolved | None:
    """Resolve a typed name against a catalog (key → Skill). None for an empty name."""
    found = canonical(raw)
    if found is None:
        return None
    key, name = found
    if key in catalog:
        return Resolved(key, catalog[key].name, catalog[key])
    near = _fuzzy_in(key, catalog)
    if near is not None:
        return Resolved(near, catalog[near].name, catalog[near])
    return Resolved(key, name)


async def catalog_of(session: AsyncSession, workspace_id: int) -> Catalog:
    rows = await session.scalars(select(Skill).where(Skill.workspace_id == workspace_id))
    return Catalog((s.key, s) for s in rows)


async def ensure_catalog(session: AsyncSession, workspace_id: int, now: dt.datetime) -> Catalog:
    """The workspace's catalog, seeded with `STARTER_CATALOG` on first use (race-safe)."""
    catalog = await catalog_of(session, workspace_id)
    if catalog:
        return catalog
    _note_change(session, workspace_id)
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
    _note_change(session, workspace_id)
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
    by_name = catalog.by_name if isinstance(catalog, Catalog) else sorted(catalog.values(), key=lambda s: s.name.casefold())
    found = canonical(query)
    if found is None:
        return by_name[:limit]
    typed_key = skill_key(query)
    keys = (typed_key,) if typed_key == found[0] else (typed_key, found[0])
    starts = [s for s in by_name if s.key.startswith(keys)]
    started = {s.key for s in starts}
    contains = [s for s in by_name if s.key not in started and any(q in s.key for q in keys)]
    ranked = starts + contains
    near = _fuzzy_in(found[0], catalog)
    if near is not None and catalog[near] not in ranked:
        ranked.append(catalog[near])
    return ranked[:limit]


def starter_keys() -> list[str]:
    """Keys of the starter catalog (kept when a forget-me removes skills nobody uses)."""
    return sorted({skill_key(name) for name in STARTER_CATALOG})


# --- the type-ahead index ---------------------------------------------------------------
# Options loads come with every keystroke, from everyone filling the profile modal at once:
# they read the catalog from memory and never wait for the database. The index is reloaded
# at once when this process commits a catalog change, and at most INDEX_TTL seconds late for
# another process's change (a replica's new skill): an entry older than that is still
# answered from, while one background task reloads it. Loads read through
# `bot.db.reading` (no SQLite write lock); only a team's very first load may write, to
# seed the starter catalog.
INDEX_TTL = 30.0
# Slack waits 3 s for an options answer. A load that has not finished in this long (a team's very
# first, which writes the starter catalog, can wait behind another writer) goes on behind the
# answer, and the answer is made from what is known now (the old catalog, or none: "➕ Add").
FIRST_LOAD_BUDGET = 2.0
_generations: defaultdict[int, int] = defaultdict(int)  # workspace id → catalog changes committed here


def _note_change(session: AsyncSession, workspace_id: int) -> None:
    session.sync_session.info.setdefault("skills_changed", set()).add(workspace_id)


@event.listens_for(Session, "after_commit")
def _after_commit(session: Session) -> None:
    for workspace_id in session.info.pop("skills_changed", ()):
        _generations[workspace_id] += 1


@event.listens_for(Session, "after_rollback")
def _after_rollback(session: Session) -> None:
    session.info.pop("skills_changed", None)


@dataclass
class _Entry:
    workspace_id: int
    generation: int
    loaded: float
    catalog: dict[str, Skill]


class CatalogIndex:
    """One process's in-memory catalogs, per team, for type-ahead."""

    def __init__(self, clock=time.monotonic) -> None:  # type: ignore[no-untyped-def]
        self._clock = clock
        self._entries: dict[str, _Entry] = {}
        self._loading: dict[str, asyncio.Lock] = {}
        self._refreshing: dict[str, asyncio.Task[None]] = {}
        self.loads = 0  # database loads so far (tests, benchmarks)

    async def catalog(self, deps: Deps, team_id: str, now: dt.datetime) -> dict[str, Skill]:
        entry = self._entries.get(team_id)
        if entry is not None and entry.generation == _generations[entry.workspace_id]:
            if self._clock() - entry.loaded > INDEX_TTL:
                self._refresh_later(deps, team_id, now)
            return entry.catalog
        deadline = asyncio.get_running_loop().time() + FIRST_LOAD_BUDGET
        for _ in range(2):  # a load already running may have begun before the change: then one more
            running = self._refreshing.get(team_id)
            if running is None or running.done():
                running = self._start_load(deps, team_id, now)
            try:
                await asyncio.wait_for(asyncio.shield(running), max(0.0, deadline - asyncio.get_running_loop().time()))
            except asyncio.TimeoutError:
                log.warning("the skill catalog is still loading after %.1f s; answered without it",
                            FIRST_LOAD_BUDGET)
                break
            entry = self._entries.get(team_id, entry)
            if entry is not None and entry.generation == _generations[entry.workspace_id]:
                break
        entry = self._entries.get(team_id, entry)
        return entry.catalog if entry is not None else {}

    def _refresh_later(self, deps: Deps, team_id: str, now: dt.datetime) -> None:
        """Reload a stale entry in one background task; requests meanwhile get the old one."""
        running = self._refreshing.get(team_id)
        if running is not None and not running.done():
            return
        self._start_load(deps, team_id, now)

    def _start_load(self, deps: Deps, team_id: str, now: dt.datetime) -> asyncio.Task[None]:
        """One load task per team at a time; requests wait for it (within the budget) or not."""

        async def load() -> None:
            try:
                async with self._loading.setdefault(team_id, asyncio.Lock()):
                    await self._load(deps, team_id, now)
            except Exception:  # the old entry (if any) keeps answering; the next request tries again
                log.exception("loading the skill catalog failed")

        task = self._refreshing[team_id] = asyncio.get_running_loop().create_task(load())
        return task

    async def _load(self, deps: Deps, team_id: str, now: dt.datetime) -> _Entry:
        self.loads += 1
        loaded = self._clock()
        async with reading(deps.sessionmaker) as session:
            workspace_id = await session.scalar(select(Workspace.id).where(Workspace.team_id == team_id))
            generation = _generations[workspace_id] if workspace_id is not None else 0
            catalog = await catalog_of(session, workspace_id) if workspace_id is not None else {}
        if workspace_id is None or not catalog:  # first use only: seed the starter catalog
            async with deps.sessionmaker.begin() as session:
                workspace_id = (await ensure_workspace(session, team_id, now)).id
                catalog = await ensure_catalog(session, workspace_id, now)
            generation = _generations[workspace_id]
        entry = self._entries[team_id] = _Entry(workspace_id, generation, loaded, catalog)
        return entry


def index_of(deps: Deps) -> CatalogIndex:
    """This process's index for the database `deps` reaches (one per engine)."""
    index = _indexes.get(deps.engine)
    if index is None:
        index = _indexes[deps.engine] = CatalogIndex()
    return index


_indexes: weakref.WeakKeyDictionary[object, CatalogIndex] = weakref.WeakKeyDictionary()


async def type_ahead_catalog(deps: Deps, team_id: str, now: dt.datetime) -> dict[str, Skill]:
    """The team's catalog for an options load, from this process's index (one per database)."""
    return await index_of(deps).catalog(deps, team_id, now)
