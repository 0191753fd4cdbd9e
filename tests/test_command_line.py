"""The generated command line, run as a user runs it: one process a command, on a real database."""

import os
import sys
from collections.abc import Callable
from pathlib import Path

import httpx

from tooling.rendering import run
from tooling.servers import running_server

PASSWORD = "a long password"


def serve(port: int) -> list[str]:
    """`python -m <package> serve`, on a loopback port."""
    return [sys.executable, "-m", "my_api", "serve", "--port", str(port)]


def test_command_line_sets_up_a_database_and_a_user_the_server_accepts(
    render: Callable[..., Path], tmp_path: Path
) -> None:
    project = render(auth_strategy="database", extra_columns="nickname:str(32)?")
    env = {"DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path / 'cli.db'}", "SECRET_KEY": "s" * 40}

    upgrade = run(["my_api", "db", "upgrade"], project, **env)
    create = run(
        ["my_api", "users", "create", "ada@example.com", "--verified", "--password-stdin"],
        project,
        input=f"{PASSWORD}\n",
        **env,
    )
    listed = run(["my_api", "users", "list"], project, **env)
    log = tmp_path / "server.log"
    with running_server(serve, cwd=project, env={**os.environ, **env}, log=log) as base_url:
        login = httpx.post(
            f"{base_url}/auth/database/login",
            data={"username": "ada@example.com", "password": PASSWORD},
        )
        headers = {"Authorization": f"Bearer {login.json()['access_token']}"}
        me = httpx.get(f"{base_url}/users/me", headers=headers)
        logout = httpx.post(f"{base_url}/auth/database/logout", headers=headers)
        after_logout = httpx.get(f"{base_url}/users/me", headers=headers)

    for result in (upgrade, create, listed):
        assert result.returncode == 0, result.stdout + result.stderr
    header, row = listed.stdout.splitlines()
    assert row.split()[1:] == ["ada@example.com", "yes", "no", "yes"]  # active, superuser, verified
    assert me.json()["email"] == "ada@example.com"
    assert logout.status_code == 204
    assert after_logout.status_code == 401
