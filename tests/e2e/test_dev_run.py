"""`python3 dev.py run …` behaves like the app.py it wraps: signals reach app.py, which shuts
down gracefully; dev.py exits with app.py's status, prints no traceback, leaves no orphan."""

from __future__ import annotations

import asyncio
import importlib.util
import os
import signal
import sys
from pathlib import Path

import pytest

from devtools.fake_slack import FakeSlack
from tests.conftest import BOT_TOKEN, SIGNING_SECRET
from tests.e2e.test_serve_process import _free_port, _wait_healthy

ROOT = Path(__file__).resolve().parents[2]


def _dev_module():  # type: ignore[no-untyped-def]
    spec = importlib.util.spec_from_file_location("tandem_dev", ROOT / "dev.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(autouse=True)
def _venv_is_current() -> None:
    dev = _dev_module()
    if not (dev._python().exists() and dev.STAMP.exists() and dev.STAMP.read_text() == dev._requirements_hash()):
        pytest.skip("the repository's .venv is not set up (run `python3 dev.py test`)")


def _env(fake: FakeSlack, tmp_path: Path, port: int, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "DATABASE_URL"))}
    env.update(SLACK_BOT_TOKEN=BOT_TOKEN, SLACK_SIGNING_SECRET=SIGNING_SECRET, SLACK_API_URL=fake.url,
               DATABASE_URL=f"sqlite:///{tmp_path / 'dev.db'}", PORT=str(port), LOG_LEVEL="INFO")
    env.update(extra)
    return env


def _children(pid: int) -> list[int]:
    path = Path(f"/proc/{pid}/task/{pid}/children")
    if not path.exists():
        pytest.skip("needs Linux /proc to see dev.py's child")
    return [int(p) for p in path.read_text().split()]


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except FileNotFoundError:
        return False
    return state != "Z"


async def _start(fake: FakeSlack, tmp_path: Path) -> tuple[asyncio.subprocess.Process, int, int]:
    port = _free_port()
    proc = await asyncio.create_subprocess_exec(
        sys.executable, str(ROOT / "dev.py"), "run", "serve", cwd=tmp_path, env=_env(fake, tmp_path, port),
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
    )
    try:
        assert await _wait_healthy(f"http://127.0.0.1:{port}/healthz", proc) == 200
        (child,) = _children(proc.pid)
    except BaseException:  # never leave a server behind a failed start (dev.py passes SIGTERM on)
        if proc.returncode is None:
            proc.terminate()
            await asyncio.wait_for(proc.wait(), 30)
        raise
    return proc, child, port


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT])
async def test_a_signal_to_dev_py_stops_app_py_gracefully(sig: signal.Signals, fake_slack: FakeSlack,
                                                          tmp_path: Path) -> None:
    proc, child, _ = await _start(fake_slack, tmp_path)
    proc.send_signal(sig)
    out, err = await asyncio.wait_for(proc.communicate(), timeout=30)
    log = out.decode() + err.decode()
    assert proc.returncode == 0, log
    assert "shutting down" in log  # app.py's own graceful path, not a kill
    assert "Traceback" not in log and "KeyboardInterrupt" not in log
    assert not _alive(child)


async def test_dev_py_exits_with_app_pys_status(fake_slack: FakeSlack, tmp_path: Path) -> None:
    env = _env(fake_slack, tmp_path, _free_port(), DATABASE_URL=f"sqlite:///{tmp_path / 'missing' / 'x.db'}")
    proc = await asyncio.create_subprocess_exec(
        sys.executable, str(ROOT / "dev.py"), "run", "migrate", cwd=tmp_path, env=env,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
    )
    _, err = await asyncio.wait_for(proc.communicate(), timeout=60)
    assert proc.returncode == 1
    assert err.decode().strip().splitlines() == [err.decode().strip()] and "does not exist" in err.decode()


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="parent-death signal is Linux-only")
async def test_killing_dev_py_leaves_no_orphan_on_the_port(fake_slack: FakeSlack, tmp_path: Path) -> None:
    proc, child, port = await _start(fake_slack, tmp_path)
    proc.kill()  # dev.py cannot forward SIGKILL; the child is told by the kernel instead
    await asyncio.wait_for(proc.communicate(), timeout=30)
    for _ in range(200):
        if not _alive(child):
            break
        await asyncio.sleep(0.1)
    assert not _alive(child), "app.py outlived dev.py"
