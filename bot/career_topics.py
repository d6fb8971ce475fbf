"""Career-goal topics: what two people's free-text career goals have in common.

A shared goal is a reason shown to people ("shared goals: leadership, public speaking"),
so it must name a real career topic, never a word that merely occurs in both texts
("foot", "keeping", "international" from "keep one foot in …"). Rather than filtering
filler out of every word (a list that is never complete), only the phrases of a small
curated catalog count: each topic below lists the ways people write it, and a text's
topics are the catalog phrases found in it, longest first (so "product manager" is
product management, not also "management"). Anything else in the text is ignored.
"""

from __future__ import annotations

import re

# topic (as shown in reasons) -> how people write it (lower case, whole words, hyphens as spaces)
GOAL_TOPICS: dict[str, tuple[str, ...]] = {
    "leadership": ("leadership", "leader", "leaders", "lead a team", "leading a team", "team lead",
                   "tech lead", "lead teams", "lead people"),
    "people management": ("management", "manager", "managers", "people management", "people manager",
                          "managing people", "manage people", "manage a team", "managing a team",
                          "line management", "line manager"),
    "engineering management": ("engineering manager", "engineering management", "engineering managers"),
    "product management": ("product", "product management", "product manager", "product owner",
                           "product thinking"),
    "promotion": ("promotion", "promoted", "next level", "senior role"),
    "architecture": ("architecture", "architect", "software architecture", "system design"),
    "staff engineer": ("staff engineer", "staff engineering", "staff level", "principal", "principal engineer"),
    "public speaking": ("speaking", "public speaking", "speaker", "presenting", "presentation", "presentations",
                        "conference talks", "give talks"),
    "writing": ("writing", "writer", "technical writing", "blogging"),
    "communication": ("communication", "communicating", "communicator"),
    "confidence": ("confidence", "confident", "self confidence", "imposter syndrome", "impostor syndrome"),
    "influence": ("influence", "influencing", "influencing without authority", "stakeholder management"),
    "negotiation": ("negotiation", "negotiating", "negotiate"),
    "visibility": ("visibility", "visible", "recognition", "personal brand", "personal branding"),
    "networking": ("networking", "professional network", "build a network", "build my network"),
    "strategy": ("strategy", "strategic", "strategic thinking", "business strategy"),
    "career change": ("career change", "change careers", "switch careers", "career switch", "change career",
                      "new career"),
    "data science": ("data", "data science", "data scientist", "analytics", "data analysis"),
    "machine learning": ("ml", "machine learning", "ai", "artificial intelligence", "deep learning"),
    "cloud": ("cloud", "aws", "azure", "gcp", "cloud computing"),
    "security": ("security", "cybersecurity", "cyber security", "infosec"),
    "technical depth": ("technical", "technical skills", "technical depth", "coding", "programming"),
    "design": ("design", "designer", "ux", "ui", "user experience", "product design"),
    "sales": ("sales", "selling", "salesperson"),
    "finance": ("finance", "financial", "budgeting", "budgets"),
    "operations": ("operations", "ops"),
    "coaching": ("coaching", "coach", "coaches"),
    "mentoring": ("mentoring", "mentor", "mentorship"),
    "teaching": ("teaching", "teach", "teacher", "training others"),
    "hiring": ("hiring", "recruiting", "interviewing", "hire"),
    "entrepreneurship": ("entrepreneurship", "entrepreneur", "startup", "startups", "founder",
                         "own company", "own business"),
    "executive role": ("executive", "executives", "vp", "director", "c level", "cto", "cfo", "ceo"),
    "work-life balance": ("balance", "work life balance", "burnout", "wellbeing"),
    "international career": ("international", "abroad", "relocation", "relocate", "relocating",
                             "global role"),
}

_PHRASES: dict[tuple[str, ...], str] = {
    tuple(phrase.split()): topic for topic, phrases in GOAL_TOPICS.items() for phrase in phrases
}
_LONGEST = max(len(p) for p in _PHRASES)


def goal_topics(text: str | None) -> frozenset[str]:
    """The catalog topics a career-goal text mentions (see the module docstring)."""
    tokens = re.findall(r"[^\W_]+", (text or "").lower().replace("-", " "))
    topics: set[str] = set()
    i = 0
    while i < len(tokens):
        for length in range(min(_LONGEST, len(tokens) - i), 0, -1):
            topic = _PHRASES.get(tuple(tokens[i:i + length]))
            if topic is not None:
                topics.add(topic)
                i += length
                break
        else:
            i += 1
    return frozenset(topics)
