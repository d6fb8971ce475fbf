"""The demo's synthetic people: who they are, what they offer and want, and how they behave.

Same (n, seed) → the same people. Behaviour traits (how reliably someone answers
prompts, how warmly they rate, whether and when they pause or leave) are drawn
here once; each individual decision is drawn later from a random generator
seeded by the decision itself (`decision_rng`), so the order in which things
happen can never change what anyone decides.
"""

from __future__ import annotations

import datetime as dt
import random
from dataclasses import dataclass, replace
from zoneinfo import ZoneInfo

from bot.matching.score import PEER_BAND
from devtools.workforce import (
    DEPARTMENT_FIELDS,
    DEPARTMENTS,
    FIELD_EXCHANGES,
    EXPERIENCE_SHARES,
    FIRST_NAMES,
    GOAL_PHRASES,
    LAST_NAMES,
    MORE_FIRST_NAMES,
    MORE_LAST_NAMES,
    SKILL_GROUPS,
    TZ_CLUSTERS,
    TZ_NAMES,
)

WORK_START, WORK_END = 9, 18  # local hours when people read Slack
MAX_TYPEAHEAD = 25  # people who pick their skills with the type-ahead (each letter typed is a request)


@dataclass(frozen=True)
class Person:
    user_id: str
    name: str
    handle: str
    tz: str
    department: str | None
    experience: int  # index into bot.profiles.EXPERIENCE_LEVELS
    offers: tuple[str, ...]
    wants: tuple[str, ...]
    career_goals: str
    session_format: str  # "turns" or "brainstorm"
    joins_by: str  # "announcement" (the Join button), "command" (/tandem join) or "channel" (invitation)
    join_after_hours: float  # after the announcement
    typeahead: bool  # picks skills with the type-ahead instead of typing them in
    diligence: float  # 0..1: how reliably they answer what Tandem asks
    warmth: float  # shifts their ratings up or down
    pause_after_hours: float | None
    pause_weeks: int
    leave_after_hours: float | None
    blocked: tuple[str, ...]  # "don't pair me with" (user ids)

    @property
    def first_name(self) -> str:
        return self.name.split(" ")[0]

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.tz)


def decision_rng(seed: int, *parts: object) -> random.Random:
    """A generator for one decision, the same whatever happened before it."""
    return random.Random(f"{seed}|" + "|".join(map(str, parts)))


def awake(moment: dt.datetime, zone: ZoneInfo, rng: random.Random) -> dt.datetime:
    """The first moment from `moment` at which someone in `zone` is at work (weekdays,
    WORK_START–WORK_END local), plus a few minutes."""
    local = moment.astimezone(zone)
    for _ in range(10):
        if local.weekday() < 5 and WORK_START <= local.hour < WORK_END:
            return local.astimezone(dt.timezone.utc)
        nxt = local + dt.timedelta(days=1) if local.hour >= WORK_START else local
        local = nxt.replace(hour=WORK_START, minute=rng.randrange(0, 60), second=0, microsecond=0)
    return local.astimezone(dt.timezone.utc)


def _weighted_sample(rng: random.Random, items: list[str], weights: list[float], k: int,
                     exclude: set[str]) -> list[str]:
    chosen: list[str] = []
    pool = [(i, w) for i, w in zip(items, weights, strict=True) if i not in exclude]
    while pool and len(chosen) < k:
        total = sum(w for _, w in pool)
        pick = rng.random() * total
        for index, (item, w) in enumerate(pool):
            pick -= w
            if pick <= 0:
                break
        chosen.append(item)
        pool.pop(index)
    return chosen


def _names(rng: random.Random, n: int) -> list[str]:
    firsts, lasts = FIRST_NAMES + MORE_FIRST_NAMES, LAST_NAMES + MORE_LAST_NAMES
    combos = len(firsts) * len(lasts)
    picks = rng.sample(range(combos), min(n, combos))
    names = [f"{firsts[p % len(firsts)]} {lasts[p // len(firsts)]}" for p in picks]
    while len(names) < n:  # very large demos: a middle initial keeps names distinct
        i = len(names)
        names.append(f"{firsts[i % len(firsts)]} {chr(65 + (i // len(firsts)) % 26)}. {lasts[i % len(lasts)]}")
    return names


def _handle(name: str) -> str:
    ascii_name = name.lower().encode("ascii", "ignore").decode()
    return ".".join(part.strip(".'") for part in ascii_name.split() if part.strip(".'"))


def generate_people(n: int, seed: int, *, weeks: int) -> list[Person]:
    """`n` colleagues of a global company, ready to be added to a fake Slack."""
    rng = random.Random(seed)
    groups = {name: list(skills) for name, skills in SKILL_GROUPS.items()}
    everything = [s for skills in groups.values() for s in skills]
    dept_weights = [1.0 / (rank + 1) ** 0.6 for rank in range(len(DEPARTMENTS))]
    departments = rng.sample(list(DEPARTMENTS), len(DEPARTMENTS))  # which are big is up to the seed
    zones = [TZ_NAMES[offset] for offset, _ in TZ_CLUSTERS]
    zone_weights = [share for _, share in TZ_CLUSTERS]
    names = _names(rng, n)
    late_window = max(1.0, min(5.0, weeks - 2.0)) * 7 * 24
    people = []
    staff = [None if rng.random() < 0.03 else rng.choices(departments, dept_weights)[0] for _ in range(n)]
    headcount = {f: 1 for f in FIELD_EXCHANGES}  # people mostly want what they see colleagues do
    for department in staff:
        for f in DEPARTMENT_FIELDS.get(department or "", ()):
            headcount[f] += 1
    for i in range(n):
        department = staff[i]
        experience = rng.choices(range(len(EXPERIENCE_SHARES)), EXPERIENCE_SHARES)[0]
        offers, wants = _skills(rng, groups, department, experience, headcount)
        goal_words = rng.sample(GOAL_PHRASES, 2)
        joins_by = rng.choices(("announcement", "command", "channel"), (0.75, 0.1, 0.15))[0]
        join_after = (rng.uniform(0, 72) if joins_by != "channel" else rng.uniform(7 * 24, late_window + 7 * 24))
        pause_after = rng.uniform(10 * 24, max(11 * 24, (weeks - 1) * 7 * 24)) if rng.random() < 0.06 else None
        leave_after = rng.uniform(14 * 24, max(15 * 24, (weeks - 1) * 7 * 24)) if rng.random() < 0.04 else None
        people.append(Person(
            user_id=f"U{1001 + i:05d}", name=names[i], handle=_handle(names[i]),
            tz=rng.choices(zones, zone_weights)[0], department=department,
            experience=experience,
            offers=tuple(offers), wants=tuple(wants),
            career_goals=rng.choice(CAREER_GOALS).format(a=goal_words[0], b=goal_words[1]),
            session_format="brainstorm" if rng.random() < 0.06 else "turns",
            joins_by=joins_by, join_after_hours=join_after, typeahead=rng.random() < 0.15,
            diligence=min(0.98, max(0.3, rng.betavariate(6, 2))), warmth=rng.gauss(0, 0.5),
            pause_after_hours=pause_after, pause_weeks=rng.randint(2, 4), leave_after_hours=leave_after,
            blocked=(),
        ))
    return _with_departures_and_blocks(rng, _learning_from_colleagues(people, seed), weeks)


WORKS_WITH = (3, 5)  # cross-department peers each person works with (drawn per person)
WANT_FROM_COLLEAGUE = 0.85  # how often a want is something a colleague they work with teaches


def _learning_from_colleagues(people: list[Person], seed: int) -> list[Person]:
    """People want to learn what they see the colleagues they work with do well.

    Each person works with a few near-peers (at most `PEER_BAND` levels apart) in other
    departments, and working together goes both ways: the engineer who wants the product
    manager's roadmapping is the colleague the product manager asks about SQL. So each
    want is, `WANT_FROM_COLLEAGUE` of the time, a skill one of those colleagues offers
    (a different colleague for each want while there are any). Without this, a 40-person
    workforce gave a quarter of its people at most one peer to swap with, and with no
    repeat partners their second and third pairings could only be one-way."""
    rng = decision_rng(seed, "works-with")
    n = len(people)
    wanted = [rng.randint(*WORKS_WITH) for _ in range(n)]
    ties: list[set[int]] = [set() for _ in range(n)]
    order = list(range(n))
    rng.shuffle(order)
    for i in order:
        for _ in range(60):  # random tries, not a scan: the demo runs up to 5,000 people
            if len(ties[i]) >= wanted[i]:
                break
            j = rng.randrange(n)
            if (j != i and j not in ties[i] and len(ties[j]) < wanted[j]
                    and people[j].department != people[i].department
                    and abs(people[j].experience - people[i].experience) <= PEER_BAND):
                ties[i].add(j)
                ties[j].add(i)
    out = []
    for i, person in enumerate(people):
        rng = decision_rng(seed, "wants", i)
        colleagues = sorted(ties[i])
        rng.shuffle(colleagues)
        wants = list(person.wants)
        for slot in range(len(wants)):
            if colleagues and rng.random() < WANT_FROM_COLLEAGUE:
                teacher = people[colleagues.pop()]
                fresh = [s for s in teacher.offers if s not in person.offers and s not in wants]
                if fresh:
                    wants[slot] = rng.choice(fresh)
        out.append(replace(person, wants=tuple(wants)))
    return out


def _field_draw(rng: random.Random, skills: list[str], k: int, exclude: set[str]) -> list[str]:
    """`k` skills of one field, the common ones (listed first) far more often than the rare."""
    return _weighted_sample(rng, skills, [1.0 / (rank + 1) ** 1.8 for rank in range(len(skills))], k, exclude)


def _skills(rng: random.Random, groups: dict[str, list[str]], department: str | None,
            experience: int, headcount: dict[str, int]) -> tuple[list[str], list[str]]:
    """3–5 offers, mostly from the department's own field, and 3–5 wants from the fields
    that exchange with it (`FIELD_EXCHANGES`), the fields with more colleagues more often:
    their people, in turn, want what this field teaches, so most people have someone to
    swap with. Seniors also teach leadership
    skills, and newer people want them."""
    home_fields = DEPARTMENT_FIELDS.get(department or "") or (rng.choice(list(FIELD_EXCHANGES)),)
    partners = [f for h in home_fields for f in FIELD_EXCHANGES[h] if f not in home_fields]
    offers: list[str] = []
    for _ in range(rng.randint(3, 5)):
        field = rng.choice(home_fields)
        if experience >= 3 and rng.random() < 0.2:
            field = "people & leadership"
        offers += _field_draw(rng, groups[field], 1, set(offers))
    wants: list[str] = []
    for _ in range(rng.randint(3, 5)):
        field = (rng.choices(partners, [headcount[f] for f in partners])[0] if rng.random() < 0.6
                 else rng.choice(home_fields))
        if experience <= 1 and rng.random() < 0.2:
            field = "people & leadership"
        if rng.random() < 0.05:
            field = "languages & misc"
        wants += _field_draw(rng, groups[field], 1, set(offers) | set(wants))
    return offers, wants


def _with_departures_and_blocks(rng: random.Random, people: list[Person], weeks: int) -> list[Person]:
    """Every path shows: at least one pause and one departure when there are enough people
    and weeks, and a few "don't pair me with" choices."""
    n = len(people)
    if n >= 8 and weeks >= 3:
        if not any(p.pause_after_hours for p in people):
            i = rng.randrange(n)
            people[i] = replace(people[i], pause_after_hours=rng.uniform(10 * 24, (weeks - 1) * 7 * 24), pause_weeks=2)
        if not any(p.leave_after_hours for p in people):
            i = rng.randrange(n)
            people[i] = replace(people[i], leave_after_hours=rng.uniform(14 * 24, (weeks - 1) * 7 * 24 + 24))
    typing = [i for i, p in enumerate(people) if p.typeahead]
    if not typing and people:
        people[0] = replace(people[0], typeahead=True)
    for i in typing[MAX_TYPEAHEAD:]:  # the others type their skills into the "other skills" fields
        people[i] = replace(people[i], typeahead=False)
    for i in rng.sample(range(n), max(1, n // 50) if n >= 10 else 0):
        other = people[(i + rng.randrange(1, n)) % n]
        people[i] = replace(people[i], blocked=(other.user_id,))
    return people


# --- what people write ---------------------------------------------------------------------------------

CAREER_GOALS = (
    "Grow towards {a} and get more practice in {b}.",
    "In two years I'd like to be known for {a}; {b} is my weak spot.",
    "Move into {a}, keeping one foot in {b}.",
    "Get better at {a} and {b} so I can lead a team.",
    "Build a reputation in {a}; learn enough {b} to hold my own.",
)

DILEMMAS = (
    (("My team wants to adopt {skill}, and I'm the one expected to lead it, but I've only read about it. "
      "Do I admit that or learn fast and quietly?"),
     "Two evenings of tutorials; asked a friend at another company.",
     "Questions that help me decide how open to be, and what a first small step could look like."),
    ("A stakeholder keeps changing priorities mid-sprint. Pushing back feels risky because they are senior.",
     "Documented every change; raised it once in a retro.",
     "How you'd phrase it, and whether you'd escalate."),
    ("I've been offered a stretch project in {skill}. It's exciting but I'm already at capacity.",
     "Listed what I could drop; nothing obvious.",
     "Help me see what I'm not seeing about saying yes or no."),
    ("I gave a presentation that landed badly and I keep replaying it. I present again in three weeks.",
     "Asked two colleagues for feedback; they were kind but vague.",
     "Concrete things to change, and how you prepare."),
    ("A colleague keeps taking credit for shared work in meetings.",
     "",
     "A way to raise it that doesn't start a feud."),
    ("I want to move towards {skill} but my manager sees me as the go-to person for my current work.",
     "Mentioned it in my 1:1, it got parked.",
     "How to make the case, and what to offer in return."),
    ("We have to choose between two approaches for a project and the team is split down the middle.",
     "Wrote a comparison doc; it made people dig in.",
     "How you'd run the decision so people commit even if they disagree."),
    ("I'm new to giving feedback to someone more experienced than me, and they missed a deadline again.",
     "Hinted at it in standup.",
     "Words to use in the conversation, and what to avoid."),
)

TAKEAWAYS = (
    "Ask two questions before offering an answer.",
    "Write the decision down before the meeting, not after.",
    "Say the hard thing early and kindly.",
    "A small experiment beats a big plan.",
    "Name the trade-off out loud so others can weigh in.",
    "I was solving the wrong problem; the real one is about expectations.",
    "Prepare the first two minutes word for word, improvise the rest.",
    "Ask for feedback on one specific thing, not 'any feedback?'.",
    "Saying no to one thing is saying yes to another — make that visible.",
    "Different teams mean different words for the same thing.",
    "Check my assumptions with the person, not about them.",
    "Time-box the research, then decide.",
)

EXPERIMENTS = (
    "Open my next 1:1 with the topic instead of hinting at it",
    "Share a draft early with one sceptic",
    "Block two hours a week for {skill}",
    "Ask for one piece of specific feedback after my next presentation",
    "Try the 'disagree and commit' framing in Thursday's meeting",
    "Keep a decision log for two weeks",
)

PRIVATE_NOTES = (
    "I talked too much this time — let them lead next session.",
    "Felt a bit awkward at first, better after ten minutes.",
    "Really useful; I want to keep this pairing going.",
    "Didn't mention the reorg; maybe next time.",
)

GOALS = (
    ("Run a {skill} session for my team", "Session held, feedback collected", "Share what I learn"),
    ("Ship a small project using {skill}", "Merged and used by one other team", "Prove I can do it"),
    ("Get confident with {skill}", "Explain it to a newcomer without notes", "It keeps coming up in my work"),
    ("Present at the all-hands", "Ten minutes, with questions", "Visibility for my team's work"),
)

SHARED_INTENTS = (
    "Honest feedback, 45 minutes every session, cameras on.",
    "Keep it practical: one real problem per session.",
    "Challenge each other, and keep what we say between us.",
)

RETRO_LEARNED = (
    "How differently another department approaches the same problem.",
    "Asking better questions before giving advice.",
    "That I know more than I thought about my own field.",
    "A practical way to start with something I'd been putting off.",
)
