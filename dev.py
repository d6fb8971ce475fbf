#!/usr/bin/env python3
"""Tandem's two everyday commands, needing nothing but Python 3.11+:

    python3 dev.py run [ARGS…]   set up .venv on first use, then `python app.py ARGS…`
    python3 dev.py test [ARGS…]  set up .venv on first use, then run the test suite

The virtual environment is rebuilt whenever requirements*.txt change; creating it and
installing (about 500 MB, a minute or so) show pip's progress.

`run` behaves like the program it wraps: Ctrl-C (SIGINT) and SIGTERM are passed on to
app.py, which shuts down gracefully; dev.py then exits with app.py's exit status. On Linux
app.py also gets SIGTERM if dev.py itself is killed, so no orphan keeps the port.
"""

from __future__ import annotations

import hashlib
import os
import signal
import subprocess
import sys
import time
import venv
from pathlib import Path

ROOT = Path(__file__).resolve().parent
VENV = ROOT / ".venv"
STAMP = VENV / ".requirements-hash"
REQUIREMENTS = ("requirements.txt", "requirements-dev.txt")
# Two pytest-xdist workers, each with its own database, tests handed out one at a time (the
# scheduler is in tests/conftest.py); README "Tests" says why two.
TEST_COMMAND = ["-m", "pytest", "-q", "-n", "2"]


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
    started = time.monotonic()
    if not _python().exists():
        print(f"dev.py: creating the virtual environment {VENV} …", file=sys.stderr, flush=True)
        venv.EnvBuilder(with_pip=True).create(VENV)
    print("dev.py: installing the pinned dependencies into .venv (first run, or requirements changed;\n"
          "        about 500 MB, a minute or so):", file=sys.stderr, flush=True)
    pip = [_python(), "-m", "pip", "install", "--disable-pip-version-check", "--progress-bar", "on"]
    try:
        # pip's progress goes to stderr too: stdout stays the program's (`run demo --json > f`).
        subprocess.run([*pip, "-r", ROOT / "requirements-dev.txt"], check=True, stdout=sys.stderr)
    except subprocess.CalledProcessError as exc:
        sys.exit(f"dev.py: installing the dependencies failed (pip exit status {exc.returncode}); "
                 "see pip's message above")
    except KeyboardInterrupt:
        sys.exit("dev.py: interrupted; the next run installs again")
    STAMP.write_text(wanted)
    print(f"dev.py: .venv is ready ({time.monotonic() - started:.0f} s)", file=sys.stderr, flush=True)
    return _python()


def _die_with_parent() -> None:
    """In the child, before exec: get SIGTERM when dev.py dies (Linux), so nothing is orphaned."""
    try:
        import ctypes

        PR_SET_PDEATHSIG = 1
        ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGTERM)
    except (OSError, AttributeError):
        pass


def run_forwarding(command: list[str | Path]) -> int:
    """Run `command`, pass SIGINT and SIGTERM on to it, return its exit status.

    The child is in dev.py's process group, so a Ctrl-C in the terminal reaches it directly;
    passing SIGINT on again is harmless (app.py's handler only sets its stop event). A child
    ended by a signal gives 128 + the signal number, as a shell reports it.
    """
    linux = sys.platform.startswith("linux")
    child = subprocess.Popen(command, cwd=ROOT, preexec_fn=_die_with_parent if linux else None)
    forwarded = (signal.SIGINT, signal.SIGTERM)

    def forward(signum: int, _frame: object) -> None:
        if child.poll() is None:
            child.send_signal(signum)

    previous = {sig: signal.signal(sig, forward) for sig in forwarded}
    try:
        while True:
            try:
                code = child.wait()
                break
            except KeyboardInterrupt:  # only if a handler was not installed in time
                forward(signal.SIGINT, None)
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
    return 128 - code if code < 0 else code


def main(argv: list[str]) -> int:
    if not argv or argv[0] not in ("run", "test"):
        print(__doc__)
        return 2
    python = ensure_venv()
    command, rest = argv[0], argv[1:]
    args = ["app.py", *rest] if command == "run" else [*TEST_COMMAND, *rest]
    return run_forwarding([python, *args])


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
