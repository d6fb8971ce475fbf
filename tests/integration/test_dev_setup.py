"""dev.py's first run says what it is doing while it creates .venv and installs."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_first_run_reports_progress_on_stderr_and_keeps_stdout_for_the_program(tmp_path: Path) -> None:
    # A copy of dev.py with nothing to install, so the test needs no network.
    shutil.copy(ROOT / "dev.py", tmp_path / "dev.py")
    (tmp_path / "requirements.txt").write_text("# nothing\n")
    (tmp_path / "requirements-dev.txt").write_text("-r requirements.txt\n")
    (tmp_path / "app.py").write_text("import sys\nprint('app', *sys.argv[1:])\nsys.exit(3)\n")
    first = subprocess.run([sys.executable, "dev.py", "run", "hello"], cwd=tmp_path, capture_output=True,
                           text=True, timeout=300)
    assert "creating the virtual environment" in first.stderr
    assert "installing the pinned dependencies" in first.stderr and "about 500 MB" in first.stderr
    assert ".venv is ready" in first.stderr
    assert first.stdout == "app hello\n" and first.returncode == 3
    again = subprocess.run([sys.executable, "dev.py", "run", "hello"], cwd=tmp_path, capture_output=True,
                           text=True, timeout=60)
    assert again.stderr == "" and again.stdout == "app hello\n" and again.returncode == 3
