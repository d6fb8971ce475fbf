"""Shared-goal reasons name real career topics, never filler words of goal sentences."""

from __future__ import annotations

import pytest

from bot.career_topics import GOAL_TOPICS, goal_topics
from bot.matching import MatchProfile
from bot.matching.reasons import pair_reasons
from bot.rounds import goal_words
from devtools.demo_people import CAREER_GOALS
from devtools.workforce import GOAL_PHRASES


@pytest.mark.parametrize(("text", "topics"), [
    ("Move into international sales, keeping one foot in engineering.", {"international career", "sales"}),
    ("In two years I'd like to be known for public speaking; writing is my weak spot.",
     {"public speaking", "writing"}),
    ("I want to become an engineering manager and eventually a director.",
     {"engineering management", "executive role"}),
    ("Get promoted to senior, build confidence presenting to executives.",
     {"promotion", "confidence", "public speaking", "executive role"}),
    ("Switch careers from support into data science / ML.", {"career change", "data science", "machine learning"}),
    ("Grow towards product management without losing my technical edge.",
     {"product management", "technical depth"}),
    ("Keep learning, do good work, and maybe someday start my own company.", {"entrepreneurship"}),
    ("Honestly not sure yet — just want to get better at my job.", set()),
    ("", set()),
    (None, set()),
])
def test_realistic_goal_texts_give_catalog_topics_only(text, topics):
    assert goal_topics(text) == topics
    assert goal_words(text) == topics  # what the round gives the matcher


def test_filler_of_goal_sentences_is_never_a_topic():
    filler = "keeping one foot in towards the hand move step role kind eventually learn grow more better"
    assert goal_topics(filler) == frozenset()
    assert goal_topics("keeping one foot in international work") == {"international career"}


def test_every_phrase_the_demo_writes_is_a_topic_and_templates_add_nothing_else():
    for phrase in GOAL_PHRASES:
        assert goal_topics(phrase), phrase
    for template in CAREER_GOALS:
        blank = goal_topics(template.format(a="", b=""))
        assert blank <= {"leadership"}, template  # "… so I can lead a team" is a real goal


def test_shared_goal_reason_lists_topics():
    def profile(member_id: int, goals: str) -> MatchProfile:
        return MatchProfile(member_id=member_id, offers=frozenset({1}), wants=frozenset({2}), experience=2,
                            department=None, goal_words=goal_words(goals), tz_offset=0)
    a = profile(1, "Move into people management, keeping one foot in architecture.")
    b = profile(2, "Build a reputation in software architecture; learn enough management to hold my own.")
    text = " ".join(pair_reasons(a, b, skill_names={1: "Python", 2: "SQL"}, names=("Ana", "Ben")))
    assert "shared goals: architecture, people management" in text
    assert "foot" not in text and "keeping" not in text


def test_catalog_phrases_are_lower_case_words():
    for topic, phrases in GOAL_TOPICS.items():
        for phrase in phrases:  # each phrase alone means its own topic (no phrase in two topics)
            assert phrase == phrase.lower() and "-" not in phrase, phrase
            assert goal_topics(phrase) == {topic}, phrase
