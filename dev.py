#!/usr/bin/env python3
"""Tandem's two everyday commands, needing nothing but Python 3.11+:

    python3 dev.py run [ARGS…]   set up .venv on first use, then `python app.py ARGS…`
    python3 dev.py test [ARGS…]  set up .venv on first use, then run the test suite

The virtual environment is rebuilt whenever requirements*.txt change.
"""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
import venv
from pathlib import Path

ROOT = Path(__file__).resolve().parent
VENV = ROOT / ".venv"
STAMP = VENV / ".requirements-hash"
REQUIREMENTS = ("requirements.txt", "requirements-dev.txt")
TEST_COMMAND = ["-m", "pytest", "-q"]


def _python() -> Path:
    return VENV / ("Scripts/python.exe" if os.name == "nt" else "bin/python")


def _requirements_hash() -> str:
    digest = hashlib.sha256()
    for name in REQUIREMENTS:
        digest.update((ROOT / name).read_bytes())
    return digest.hexdigest()


def ensure_venv() -> Path:
    """Create .venv and install the pinned requirements, unless already current."""
    wanted = _requirements_hash()
    if _python().exists() and STAMP.exists() and STAMP.read_text() == wanted:
        return _python()
    if sys.version_info < (3, 11):
        sys.exit("Tandem needs Python 3.11 or newer")
    if not _python().exists():
        print("Creating .venv …", flush=True)
        venv.EnvBuilder(with_pip=True).create(VENV)
    print("Installing dependencies (first run only) …", flush=True)
    subprocess.run([_python(), "-m", "pip", "install", "-q", "--upgrade", "pip"], check=True)
    subprocess.run([_python(), "-m", "pip", "install", "-q", "-r", ROOT / "requirements-dev.txt"], check=True)
    STAMP.write_text(wanted)
    return _python()


def main(argv: list[str]) -> int:
    if not argv or argv[0] not in ("run", "test"):
        print(__doc__)
        return 2
    python = ensure_venv()
    command, rest = argv[0], argv[1:]
    args = ["app.py", *rest] if command == "run" else [*TEST_COMMAND, *rest]
    return subprocess.call([python, *args], cwd=ROOT)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
