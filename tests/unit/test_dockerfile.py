"""The Dockerfile lints clean and keeps the promises README makes about it."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
DOCKERFILE = (ROOT / "Dockerfile").read_text()


def test_dockerfile_passes_hadolint() -> None:
    hadolint = shutil.which("hadolint") or str(Path(__import__("sys").executable).parent / "hadolint")
    if not Path(hadolint).exists():
        pytest.skip("hadolint is not installed (pip install -r requirements-dev.txt)")
    result = subprocess.run([hadolint, "--no-color", "-"], input=DOCKERFILE, capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr


def test_dockerfile_runs_the_app_as_non_root_with_a_healthcheck() -> None:
    assert DOCKERFILE.startswith("#") and "FROM python:3.11-slim" in DOCKERFILE
    assert "USER 10001" in DOCKERFILE
    assert "HEALTHCHECK" in DOCKERFILE and "/healthz" in DOCKERFILE
    assert 'CMD ["python", "app.py"]' in DOCKERFILE
    # the dependency layer comes before the source, so code changes reuse it
    assert DOCKERFILE.index("requirements.txt") < DOCKERFILE.index("COPY . .")


def test_the_code_belongs_to_root_and_only_data_is_the_app_users() -> None:
    instructions = [line.strip() for line in DOCKERFILE.splitlines() if line.strip() and not line.startswith("#")]
    copies = [line for line in instructions if line.startswith("COPY")]
    assert copies and not any("--chown" in line for line in copies)  # COPY's default owner is root
    assert "install -d -o 10001 -g 10001 -m 0750 /data" in DOCKERFILE
    assert not any(line.startswith("RUN") and "chown" in line for line in instructions)
    assert 'VOLUME ["/data"]' in DOCKERFILE and "sqlite:////data/tandem.db" in DOCKERFILE
    assert instructions.index("USER 10001") > instructions.index("COPY . .")
