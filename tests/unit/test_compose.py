"""compose.yaml runs the bot on PostgreSQL 16, as README's Docker section says."""

from __future__ import annotations

from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[2]


def compose() -> dict:
    return yaml.safe_load((ROOT / "compose.yaml").read_text())


def test_two_services_bot_and_postgres_16() -> None:
    services = compose()["services"]
    assert set(services) == {"db", "bot"}
    assert services["db"]["image"] == "postgres:16"
    assert services["bot"]["build"] == "."


def test_postgres_data_is_on_a_named_volume() -> None:
    doc = compose()
    assert "tandem-pg" in doc["volumes"]
    assert "tandem-pg:/var/lib/postgresql/data" in doc["services"]["db"]["volumes"]


def test_both_services_have_healthchecks_and_the_bot_waits_for_a_healthy_database() -> None:
    services = compose()["services"]
    assert "pg_isready" in " ".join(services["db"]["healthcheck"]["test"])
    assert "/healthz" in " ".join(services["bot"]["healthcheck"]["test"])
    assert services["bot"]["depends_on"]["db"]["condition"] == "service_healthy"
    for service in services.values():
        assert service["restart"] == "unless-stopped"


def test_database_url_points_the_bot_at_the_db_service() -> None:
    services = compose()["services"]
    url = services["bot"]["environment"]["DATABASE_URL"]
    db_env = services["db"]["environment"]
    assert url == f"postgresql://{db_env['POSTGRES_USER']}:${{POSTGRES_PASSWORD}}@db:5432/{db_env['POSTGRES_DB']}"
    assert db_env["POSTGRES_PASSWORD"].startswith("${POSTGRES_PASSWORD:?")  # no default password
    assert services["bot"]["env_file"] == ".env"


def test_readme_docker_run_keeps_data_on_a_named_volume() -> None:
    readme = (ROOT / "README.md").read_text()
    runs = [line for line in readme.splitlines() if line.startswith("docker run") and line.endswith(" tandem")]
    assert runs and all("-v tandem-data:/data" in line for line in runs)
    assert "docker compose up -d --build" in readme
