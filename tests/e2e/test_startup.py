"""`python app.py` as an operator first meets it: start-up problems are one line, `migrate` says
where and at which revision, `check` reports every item, `--version` prints the version.

Every test runs app.py as a subprocess (a fresh interpreter, cwd an empty folder so no `.env` is
read), against the project's fake Slack on 127.0.0.1.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import os
import socket
import sys
import tomllib
from collections.abc import Iterator
from pathlib import Path

import pytest
from slack_sdk.oauth.installation_store import Installation
from slack_sdk.oauth.installation_store.sqlalchemy import AsyncSQLAlchemyInstallationStore
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import create_async_engine

from devtools.fake_slack import FakeSlack
from bot.db import make_sessionmaker
from bot.installations import TandemInstallationStore
from bot.migrate import head_revision
from bot.startup import describe_database
from tests.conftest import BOT_TOKEN, DATA_KEY, SIGNING_SECRET

ROOT = Path(__file__).resolve().parents[2]
APP = str(ROOT / "app.py")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
def listening_port() -> Iterator[int]:
    """A port some other program holds."""
    with socket.socket() as s:
        s.bind(("0.0.0.0", 0))
        s.listen()
        yield int(s.getsockname()[1])


def _env(fake: FakeSlack, tmp_path: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "DATABASE_URL", "TANDEM_"))}
    env.update(SLACK_BOT_TOKEN=BOT_TOKEN, SLACK_SIGNING_SECRET=SIGNING_SECRET, SLACK_API_URL=fake.url,
               DATABASE_URL=f"sqlite:///{tmp_path / 'tandem.db'}", PORT=str(_free_port()), LOG_LEVEL="INFO",
               TANDEM_DATA_KEY=DATA_KEY)  # PostgreSQL needs it; checked before the database
    env.update(extra)
    return {k: v for k, v in env.items() if v != ""}


async def _app(*args: str, env: dict[str, str], cwd: Path, timeout: float = 60) -> tuple[int, str, str]:
    proc = await asyncio.create_subprocess_exec(
        sys.executable, APP, *args, cwd=cwd, env=env,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
    )
    try:
        out, err = await asyncio.wait_for(proc.communicate(), timeout=timeout)
    except TimeoutError:
        proc.kill()
        await proc.wait()
        raise AssertionError(f"app.py {' '.join(args)} did not exit (a start-up error should stop it)") from None
    assert proc.returncode is not None
    return proc.returncode, out.decode(), err.decode()


def _one_line_failure(rc: int, err: str) -> str:
    assert rc != 0
    assert "Traceback" not in err, err
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    assert lines[0].startswith("tandem: ")
    assert BOT_TOKEN not in err and SIGNING_SECRET not in err
    return lines[0]


def _postgres_server() -> tuple[str, int]:
    url = os.environ.get("TEST_DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/postgres")
    parsed = make_url(url)
    if not parsed.drivername.startswith("postgres"):
        parsed = make_url("postgresql://postgres@127.0.0.1:5432/postgres")
    host, port = parsed.host or "127.0.0.1", parsed.port or 5432
    try:
        socket.create_connection((host, port), timeout=2).close()
    except OSError:
        pytest.skip(f"no PostgreSQL server answers at {host}:{port}")
    return f"postgresql://{parsed.username or 'postgres'}@{host}:{port}", port


# --------------------------------------------------------------------------- start-up errors
@pytest.mark.parametrize("command", [["serve"], ["run-due"], ["migrate"]])
async def test_a_missing_postgres_database_is_one_line(command: list[str], fake_slack: FakeSlack,
                                                      tmp_path: Path) -> None:
    server, _ = _postgres_server()
    env = _env(fake_slack, tmp_path, DATABASE_URL=f"{server}/tandem_no_such_database")
    line = _one_line_failure(*(await _app(*command, env=env, cwd=tmp_path))[::2])
    assert "'tandem_no_such_database' does not exist" in line and "createdb" in line


@pytest.mark.parametrize("command", [["serve"], ["run-due"], ["migrate"]])
async def test_a_refused_database_connection_is_one_line(command: list[str], fake_slack: FakeSlack,
                                                        tmp_path: Path) -> None:
    port = _free_port()  # nothing listens there
    env = _env(fake_slack, tmp_path, DATABASE_URL=f"postgresql://postgres:pw@127.0.0.1:{port}/tandem")
    line = _one_line_failure(*(await _app(*command, env=env, cwd=tmp_path))[::2])
    assert f"127.0.0.1:{port}" in line and "connection refused" in line
    assert ":pw@" not in line


@pytest.mark.parametrize("command", [["serve"], ["run-due"], ["migrate"]])
async def test_a_missing_sqlite_folder_is_one_line(command: list[str], fake_slack: FakeSlack, tmp_path: Path) -> None:
    missing = tmp_path / "no-such-folder" / "tandem.db"
    env = _env(fake_slack, tmp_path, DATABASE_URL=f"sqlite:///{missing}")
    line = _one_line_failure(*(await _app(*command, env=env, cwd=tmp_path))[::2])
    assert str(missing.parent) in line and "does not exist" in line
    assert not missing.parent.exists()


@pytest.mark.parametrize("command", [["serve"], ["run-due"]])
async def test_a_token_slack_rejects_is_one_line_naming_the_variable(command: list[str], fake_slack: FakeSlack,
                                                                    tmp_path: Path) -> None:
    fake_slack.error_next("auth.test", "invalid_auth")
    rc, _, err = await _app(*command, env=_env(fake_slack, tmp_path), cwd=tmp_path)
    line = _one_line_failure(rc, err)
    assert "SLACK_BOT_TOKEN" in line and "invalid_auth" in line
    assert [c.method for c in fake_slack.calls] == ["auth.test"]  # asked once, nothing else done


async def test_a_rejected_app_token_in_socket_mode_is_one_line(fake_slack: FakeSlack, tmp_path: Path) -> None:
    fake_slack.error_next("apps.connections.open", "invalid_auth")
    env = _env(fake_slack, tmp_path, SLACK_APP_TOKEN="xapp-1-test", LOG_LEVEL="ERROR")
    line = _one_line_failure(*(await _app("serve", env=env, cwd=tmp_path))[::2])
    assert "SLACK_APP_TOKEN" in line and "invalid_auth" in line and "xapp-1-test" not in line


async def test_serve_and_run_due_ask_slack_about_the_token_once(fake_slack: FakeSlack, tmp_path: Path) -> None:
    rc, out, err = await _app("run-due", "--now", "2026-03-02T09:00", env=_env(fake_slack, tmp_path), cwd=tmp_path)
    assert rc == 0, err
    assert len(fake_slack.calls_to("auth.test")) == 1


async def test_a_port_in_use_is_one_line(fake_slack: FakeSlack, tmp_path: Path, listening_port: int) -> None:
    env = _env(fake_slack, tmp_path, PORT=str(listening_port), LOG_LEVEL="ERROR")  # no INFO start-up lines
    line = _one_line_failure(*(await _app("serve", env=env, cwd=tmp_path))[::2])
    assert f"port {listening_port}" in line and "PORT" in line


# --------------------------------------------------------------------------- migrate
async def test_migrate_says_which_database_and_which_revision(fake_slack: FakeSlack, tmp_path: Path) -> None:
    env = _env(fake_slack, tmp_path)
    rc, out, err = await _app("migrate", env=env, cwd=tmp_path)
    assert rc == 0, err
    assert f"database: sqlite:///{tmp_path / 'tandem.db'}" in out
    assert f"revision: {head_revision()} (the newest; was empty)" in out
    rc, out, _ = await _app("migrate", env=env, cwd=tmp_path)
    assert rc == 0 and f"revision: {head_revision()} (the newest; nothing to do)" in out


def test_the_database_is_described_without_its_password() -> None:
    shown = describe_database("postgresql://tandem:s3cret-pw@db.internal:5432/tandem")
    assert shown == "postgresql://tandem:***@db.internal:5432/tandem"


# --------------------------------------------------------------------------- check
async def test_check_passes_on_a_good_configuration(fake_slack: FakeSlack, tmp_path: Path) -> None:
    env = _env(fake_slack, tmp_path)
    assert (await _app("migrate", env=env, cwd=tmp_path))[0] == 0
    rc, out, err = await _app("check", env=env, cwd=tmp_path)
    lines = out.strip().splitlines()
    assert rc == 0, out + err
    assert [line.split(":")[0] for line in lines] == [
        "✓ settings", "✓ database", "✓ migrations", "✓ Slack token", "✓ scopes", "✓ mode", "✓ signing secret",
        "✓ port"]
    assert "HTTP" in lines[5] and "/slack/events" in out
    assert BOT_TOKEN not in out + err and SIGNING_SECRET not in out + err


async def test_check_reports_each_broken_item_with_its_fix(fake_slack: FakeSlack, tmp_path: Path,
                                                           listening_port: int) -> None:
    fake_slack.scopes = tuple(s for s in fake_slack.scopes if s not in ("files:write", "users:read"))
    env = _env(fake_slack, tmp_path, PORT=str(listening_port), SLACK_SIGNING_SECRET="")
    rc, out, err = await _app("check", env=env, cwd=tmp_path)  # an empty database: not migrated
    assert rc == 1, out + err
    lines = {line[2:].split(":")[0]: line for line in out.strip().splitlines()}
    assert lines["settings"].startswith("✗") and "SLACK_SIGNING_SECRET" in lines["settings"]
    assert lines["database"].startswith("✓")
    assert lines["migrations"].startswith("✗") and "migrate" in lines["migrations"]
    assert lines["Slack token"].startswith("✓")
    assert lines["scopes"].startswith("✗") and "files:write, users:read" in lines["scopes"]
    assert "reinstall" in lines["scopes"]
    assert lines["signing secret"].startswith("✗") and "Basic Information" in lines["signing secret"]
    assert lines["port"].startswith("✗") and f"{listening_port} is in use" in lines["port"]
    assert "Traceback" not in err


async def test_check_reports_a_rejected_token_and_an_unreachable_database(fake_slack: FakeSlack,
                                                                         tmp_path: Path) -> None:
    fake_slack.error_next("auth.test", "invalid_auth")
    env = _env(fake_slack, tmp_path, DATABASE_URL=f"postgresql://postgres@127.0.0.1:{_free_port()}/tandem")
    rc, out, err = await _app("check", env=env, cwd=tmp_path)
    assert rc == 1 and "Traceback" not in err
    lines = {line[2:].split(":")[0]: line for line in out.strip().splitlines()}
    assert lines["settings"].startswith("✓")
    assert lines["database"].startswith("✗") and "connection refused" in lines["database"]
    assert lines["Slack token"].startswith("✗") and "SLACK_BOT_TOKEN" in lines["Slack token"]
    assert lines["port"].startswith("✓")


async def test_check_with_a_malformed_setting_says_so_and_fails(fake_slack: FakeSlack, tmp_path: Path) -> None:
    rc, out, err = await _app("check", env=_env(fake_slack, tmp_path, PORT="eighty"), cwd=tmp_path)
    assert rc == 1 and "Traceback" not in err
    assert out.strip().splitlines() == [out.strip()] and out.startswith("✗ settings: PORT is invalid")


async def test_check_in_socket_mode_tries_the_app_token(fake_slack: FakeSlack, tmp_path: Path) -> None:
    env = _env(fake_slack, tmp_path, SLACK_APP_TOKEN="xapp-1-test", SLACK_SIGNING_SECRET="")
    assert (await _app("migrate", env=env, cwd=tmp_path))[0] == 0
    rc, out, err = await _app("check", env=env, cwd=tmp_path)
    assert rc == 0, out + err
    assert "✓ mode: Socket Mode" in out and "✓ signing secret: not needed in Socket Mode" in out
    assert fake_slack.calls_to("apps.connections.open")


async def test_check_in_oauth_mode_tries_each_installations_token(fake_slack: FakeSlack, tmp_path: Path) -> None:
    env = _env(fake_slack, tmp_path, SLACK_BOT_TOKEN="", SLACK_CLIENT_ID="111.222", SLACK_CLIENT_SECRET="oauth-secret")
    assert (await _app("migrate", env=env, cwd=tmp_path))[0] == 0
    rc, out, err = await _app("check", env=env, cwd=tmp_path)
    assert rc == 0, out + err
    assert "✓ Slack token: OAuth mode" in out and "✓ installations: none yet" in out and "/slack/install" in out

    engine = create_async_engine(f"sqlite+aiosqlite:///{tmp_path / 'tandem.db'}")
    sealing = TandemInstallationStore(client_id="111.222", client_secret="oauth-secret", engine=engine,
                                      sessionmaker=make_sessionmaker(engine, DATA_KEY), slack=None,  # type: ignore[arg-type]
                                      clock=lambda: dt.datetime.now(dt.timezone.utc))
    in_the_clear = AsyncSQLAlchemyInstallationStore(client_id="111.222", engine=engine)  # as older versions stored
    for store, team_id, token in ((sealing, "T0001", "xoxb-good-1"), (in_the_clear, "T0002", "xoxb-bad-2")):
        await store.async_save(Installation(app_id="A0001", team_id=team_id, user_id="UADMIN", bot_token=token,
                                            bot_id="B0BOT", bot_user_id="UBOT", bot_scopes="chat:write"))
    await engine.dispose()
    fake_slack.error_next("auth.test", "invalid_auth")  # the newest installation's token is refused
    rc, out, err = await _app("check", env=env, cwd=tmp_path)
    assert rc == 1 and "Traceback" not in err
    line = next(line for line in out.splitlines() if "installations" in line)
    assert line.startswith("✗") and "2 installations" in line and "T0002" in line and "T0001" not in line
    assert "xoxb-" not in out + err and "oauth-secret" not in out + err
    assert [c.token for c in fake_slack.calls_to("auth.test")][-2:] == ["xoxb-bad-2", "xoxb-good-1"]


# --------------------------------------------------------------------------- version
async def test_version_is_the_one_in_pyproject(fake_slack: FakeSlack, tmp_path: Path) -> None:
    wanted = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["version"]
    rc, out, _ = await _app("--version", env=_env(fake_slack, tmp_path), cwd=tmp_path)
    assert rc == 0 and out.strip() == f"tandem {wanted}"
    assert f"## {wanted}" in (ROOT / "CHANGELOG.md").read_text()
