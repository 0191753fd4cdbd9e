"""The generated project's run command gives a server that answers, and refuses bad settings."""

import os
import sys
import time
from collections.abc import Callable
from pathlib import Path

import httpx
import pytest

from tooling.rendering import run
from tooling.servers import ServerExited, running_server


def uvicorn(port: int) -> list[str]:
    """`my_api serve`, the README's production command, on a loopback port."""
    return [sys.executable, "-m", "my_api", "serve", "--port", str(port)]


def start_refused(project: Path, env: dict[str, str], log: Path) -> ServerExited:
    """Start the server where it must refuse to start: how it exited, and what it said."""
    with (
        pytest.raises(ServerExited) as refused,
        running_server(uvicorn, cwd=project, env=env, log=log),
    ):
        pass
    return refused.value


def test_server_registers_and_logs_in_a_user(render: Callable[..., Path], tmp_path: Path) -> None:
    project = render(extra_columns="nickname:str(32)?")
    database_url = f"sqlite+aiosqlite:///{tmp_path / 'server.db'}"
    upgrade = run(["alembic", "upgrade", "head"], project, DATABASE_URL=database_url)
    assert upgrade.returncode == 0, upgrade.stderr

    env = {**os.environ, "DATABASE_URL": database_url, "SECRET_KEY": "s" * 40}
    with running_server(uvicorn, cwd=project, env=env, log=tmp_path / "server.log") as base_url:
        user = {"email": "ada@example.com", "password": "a long password", "nickname": "ada"}
        registered = httpx.post(f"{base_url}/auth/register", json=user)
        login = httpx.post(
            f"{base_url}/auth/jwt/login",
            data={"username": user["email"], "password": user["password"]},
        )
        token = login.json()["access_token"]
        me = httpx.get(f"{base_url}/users/me", headers={"Authorization": f"Bearer {token}"})

    assert registered.status_code == 201, registered.text
    assert me.json()["nickname"] == "ada"


def test_production_without_a_secret_key_does_not_start(
    render: Callable[..., Path], tmp_path: Path
) -> None:
    project = render(extra_columns="nickname:str(32)?")
    environment = {k: v for k, v in os.environ.items() if k != "SECRET_KEY"}

    refused = start_refused(
        project, {**environment, "ENVIRONMENT": "production"}, tmp_path / "server.log"
    )

    assert refused.returncode != 0
    assert "SECRET_KEY: not set" in refused.output
    assert "Traceback" not in refused.output


def test_server_refuses_a_database_the_migrations_have_not_reached(
    render: Callable[..., Path], tmp_path: Path
) -> None:
    project = render(extra_columns="nickname:str(32)?")
    database_url = f"sqlite+aiosqlite:///{tmp_path / 'empty.db'}"

    refused = start_refused(
        project,
        {**os.environ, "DATABASE_URL": database_url, "SECRET_KEY": "s" * 40},
        tmp_path / "server.log",
    )

    assert refused.returncode != 0
    assert "run `my_api db upgrade`" in refused.output


def test_serve_runs_one_worker_a_core_given(render: Callable[..., Path], tmp_path: Path) -> None:
    project = render(extra_columns="nickname:str(32)?")
    database_url = f"sqlite+aiosqlite:///{tmp_path / 'workers.db'}"
    upgrade = run(["alembic", "upgrade", "head"], project, DATABASE_URL=database_url)
    assert upgrade.returncode == 0, upgrade.stderr
    env = {**os.environ, "DATABASE_URL": database_url, "SECRET_KEY": "s" * 40}
    log = tmp_path / "server.log"

    def two_workers(port: int) -> list[str]:
        return [*uvicorn(port), "--workers", "2"]

    with running_server(two_workers, cwd=project, env=env, log=log, ready_path="/health") as url:
        health = httpx.get(f"{url}/health")
        for _ in range(50):
            if log.read_text().count("Application startup complete") == 2:
                break
            time.sleep(0.1)

    assert health.json() == {"status": "ok", "database": "ok"}
    assert log.read_text().count("Application startup complete") == 2
