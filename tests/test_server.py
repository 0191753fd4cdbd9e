"""The generated project's run command gives a server that answers, and refuses bad settings."""

import os
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest
from conftest import run

START_TIMEOUT_SECONDS = 30


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def uvicorn(port: int) -> list[str]:
    """`uvicorn <package>.app:app`, as the README gives it, on a loopback port."""
    return [sys.executable, "-m", "uvicorn", "my_api.app:app", "--port", str(port)]


def start_refused(project: Path, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    """Start the server where it must refuse to start: what it said once it stopped."""
    return subprocess.run(
        uvicorn(free_port()),
        cwd=project,
        env=env,
        capture_output=True,
        text=True,
        timeout=START_TIMEOUT_SECONDS,
        check=False,
    )


@contextmanager
def running_server(
    project: Path, command: Callable[[int], list[str]] = uvicorn, **env: str
) -> Iterator[str]:
    """The server, started by `command` on a free loopback port: its URL."""
    port = free_port()
    process = subprocess.Popen(
        command(port),
        cwd=project,
        env={**os.environ, **env},
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    base_url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + START_TIMEOUT_SECONDS
        while not is_up(base_url):
            if process.poll() is not None or time.monotonic() > deadline:
                process.kill()
                pytest.fail(f"the server did not start: {process.communicate()[0]}")
            time.sleep(0.2)
        yield base_url
    finally:
        process.terminate()
        process.wait(timeout=10)


def is_up(base_url: str) -> bool:
    try:
        httpx.get(f"{base_url}/docs", timeout=1)
    except httpx.TransportError:
        return False
    return True


def test_server_registers_and_logs_in_a_user(render: Callable[..., Path], tmp_path: Path) -> None:
    project = render(extra_columns="nickname:str(32)?")
    database_url = f"sqlite+aiosqlite:///{tmp_path / 'server.db'}"
    upgrade = run(["alembic", "upgrade", "head"], project, DATABASE_URL=database_url)
    assert upgrade.returncode == 0, upgrade.stderr

    with running_server(project, DATABASE_URL=database_url, SECRET_KEY="s" * 40) as base_url:
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

    result = start_refused(project, {**environment, "ENVIRONMENT": "production"})

    assert result.returncode != 0
    assert "SECRET_KEY is not set" in result.stderr
    assert "Traceback" not in result.stderr


def test_server_refuses_a_database_the_migrations_have_not_reached(
    render: Callable[..., Path], tmp_path: Path
) -> None:
    project = render(extra_columns="nickname:str(32)?")
    database_url = f"sqlite+aiosqlite:///{tmp_path / 'empty.db'}"

    result = start_refused(
        project, {**os.environ, "DATABASE_URL": database_url, "SECRET_KEY": "s" * 40}
    )

    assert result.returncode != 0
    assert "run `alembic upgrade head`" in result.stderr
