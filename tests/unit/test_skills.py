"""Skill names: one skill however it is typed; synonyms; near-duplicates; type-ahead."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.models import Skill
from bot.skills import MAX_SKILL_NAME, STARTER_CATALOG, canonical, clean_name, resolve, search, skill_key


def catalog(*names: str) -> dict[str, Skill]:
    return {skill_key(n): Skill(id=i, key=skill_key(n), name=n) for i, n in enumerate(names or STARTER_CATALOG, 1)}


@pytest.mark.parametrize("typed", ["python", "Python ", "PYTHON", "  python!! ", "python.", "Pyhton", "pytohn"])
def test_spellings_of_python_are_one_skill(typed: str) -> None:
    found = resolve(typed, catalog())
    assert found is not None and found.skill is not None and found.name == "Python"


@pytest.mark.parametrize(("typed", "name"), [
    ("JS", "JavaScript"), ("k8s", "Kubernetes"), ("ML", "Machine learning"), ("golang", "Go"),
    ("nodejs", "Node.js"), ("Data visualization", "Data visualisation"), ("c sharp", "C#"),
])
def test_synonyms_map_to_one_canonical_skill(typed: str, name: str) -> None:
    found = resolve(typed, catalog())
    assert found is not None and found.name == name and found.skill is not None


@pytest.mark.parametrize(("typed", "name"), [
    ("Scala", "Scala"), ("Gi", "Gi"), ("Python 3", "Python 3"), ("Lava", "Lava"),
    ("quantum knitting", "Quantum knitting"),
])
def test_short_or_different_names_are_not_merged(typed: str, name: str) -> None:
    found = resolve(typed, catalog())
    assert found is not None and found.skill is None and found.name == name


def test_new_skill_is_found_by_its_key_afterwards() -> None:
    cat = catalog("Python")
    new = resolve("Quantum Knitting", cat)
    assert new is not None
    cat[new.key] = Skill(id=99, key=new.key, name=new.name)
    again = resolve("quantum   knitting", cat)
    assert again is not None and again.skill is cat[new.key]


def test_cpp_and_csharp_keep_their_symbols() -> None:
    assert skill_key("C++") == "c++" and skill_key("C#") == "c#" and skill_key("C++") != skill_key("C#")


def test_empty_and_punctuation_only_names_are_nothing() -> None:
    assert resolve("", catalog()) is None and resolve(" ,.; ", catalog()) is None


def test_search_puts_prefix_matches_first() -> None:
    names = [s.name for s in search(catalog(), "man")]
    assert "Product management" in names and "People management" in names
    assert [s.name for s in search(catalog(), "pyt")] == ["Python"]
    assert len(search(catalog(), "")) == len(STARTER_CATALOG)


@given(st.text(max_size=500))
def test_any_text_normalises_to_a_bounded_name(text: str) -> None:
    name = clean_name(text)
    assert len(name) <= MAX_SKILL_NAME and name == name.strip() and "\n" not in name
    found = canonical(text)
    if found is not None:
        assert found[0] == skill_key(found[1]) and found[0]
    resolve(text, catalog())  # never raises
