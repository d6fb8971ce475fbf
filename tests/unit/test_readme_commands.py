"""The README's commands are ones that exist, and it points at nothing outside the repository."""

from __future__ import annotations

import re
from pathlib import Path

import app

ROOT = Path(__file__).resolve().parents[2]
README = (ROOT / "README.md").read_text()


def _subcommands() -> set[str]:
    parser = app._parser()
    (sub,) = [a for a in parser._actions if a.dest == "command"]
    return set(sub.choices)  # type: ignore[arg-type]


def test_every_dev_py_run_in_the_readme_names_a_real_command() -> None:
    uses = re.findall(r"python3 dev\.py run ?([a-z-]*)", README)
    assert len(uses) > 10
    for word in uses:
        assert word == "" or word == "--version" or word in _subcommands() - {""}, word


def test_the_readme_runs_app_py_through_dev_py_outside_docker_and_systemd() -> None:
    # `python app.py` alone fails in a new shell (no venv): only the image and the unit file use it
    for line in README.splitlines():
        if "python app.py" in line:
            assert "docker" in line or "Docker image" in line or line.startswith("ExecStart="), line


def test_the_readme_links_nothing_outside_the_repository() -> None:
    assert "../" not in README
    for target in re.findall(r"\]\(([^)#:]+)\)", README):
        assert (ROOT / target).exists(), target


def test_licence_is_mit_and_said_so() -> None:
    assert (ROOT / "LICENSE").read_text().startswith("MIT License")
    assert "[MIT licence](LICENSE)" in README
