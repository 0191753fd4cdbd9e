"""Shared test helpers: the variants to render, the database servers, and the rendering itself."""

import asyncio
import os
import socket
import subprocess
import sys
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from functools import cache
from pathlib import Path
from typing import Any

import pytest

from bench.databases import drop_database, fresh_database

TEMPLATE_DIR = Path(__file__).resolve().parent.parent

# With CI=true a database server that cannot be reached fails its tests instead of skipping them.
IN_CI = os.environ.get("CI", "").lower() == "true"

ID_TYPES = ["uuid", "int"]
DRIVERS = ["aiosqlite", "asyncpg", "psycopg", "asyncmy", "aiomysql"]
DBMS = {
    "aiosqlite": "sqlite",
    "asyncpg": "postgresql",
    "psycopg": "postgresql",
    "asyncmy": "mysql",
    "aiomysql": "mysql",
}
# Where each server listens; the generated suites create their own databases on it.
SERVERS = {
    "postgresql": ("127.0.0.1", 5432),
    "mysql": ("127.0.0.1", 3306),
}

# Extra columns the variants are rendered with: every type, flag and default form.
EXTRA_COLUMNS = (
    "nickname:str(32)? unique, age:int?, plan:str=free index, balance:decimal(12,2)=0, "
    "ledger:decimal(30,10)?, code:str(1)=x, "
    "bio:text?, birthday:date?, last_seen:datetime?, newsletter:bool=false, "
    "external_id:uuid? unique, settings:json?, score:float=0, views:bigint=0, "
    "display_name:str(64)"
)
# The same without the column that registration requires: OAuth sign-in cannot fill it.
OAUTH_EXTRA_COLUMNS = EXTRA_COLUMNS.removesuffix(", display_name:str(64)")


def server_url(driver: str) -> str:
    """A URL of the driver's server, without a database: the generated tests add their own."""
    dbms = DBMS[driver]
    if dbms == "sqlite":
        return f"sqlite+{driver}:///./unused.db"
    host, port = SERVERS[dbms]
    if dbms == "postgresql":
        return f"postgresql+{driver}://postgres@{host}:{port}/postgres"
    return f"mysql+{driver}://root@{host}:{port}/?charset=utf8mb4"


@cache
def server_is_up(dbms: str) -> bool:
    host, port = SERVERS[dbms]
    try:
        with socket.create_connection((host, port), timeout=2):
            return True
    except OSError:
        return False


def require_server(driver: str) -> None:
    """Skip a test whose database server is down; in CI, fail it."""
    dbms = DBMS[driver]
    if dbms == "sqlite" or server_is_up(dbms):
        return
    host, port = SERVERS[dbms]
    message = f"{dbms} server not reachable at {host}:{port}"
    if IN_CI:
        pytest.fail(f"{message} (CI=true: every server must be up)")
    pytest.skip(message)


@contextmanager
def temporary_database_url(driver: str, directory: Path) -> Iterator[str]:
    """The URL of a new, empty database for the driver, dropped afterwards."""
    require_server(driver)
    # The benchmark's databases are made the same way; it calls MySQL/MariaDB "mariadb".
    dbms = {"mysql": "mariadb"}.get(DBMS[driver], DBMS[driver])
    name = f"template_test_{uuid.uuid4().hex}"
    url = asyncio.run(fresh_database(dbms, server_url(driver), name, directory))
    try:
        yield url.render_as_string()
    finally:
        asyncio.run(drop_database(url))


def run(args: list[str], cwd: Path, **env: str) -> subprocess.CompletedProcess[str]:
    """Run a command of the test environment and capture what it says."""
    environment = {**os.environ, **env}
    environment.pop("PYTEST_ADDOPTS", None)
    return subprocess.run(
        [sys.executable, "-m", *args],
        cwd=cwd,
        env=environment,
        capture_output=True,
        text=True,
        check=False,
    )


@pytest.fixture(scope="session")
def render(copie_session: Any) -> Callable[..., Path]:
    """Render the template with some answers, once a session for the same answers."""
    rendered: dict[tuple[tuple[str, str], ...], Path] = {}

    def _render(**answers: str) -> Path:
        key = tuple(sorted(answers.items()))
        if key not in rendered:
            result = copie_session.copy(extra_answers=answers)
            assert result.exit_code == 0, result.exception
            rendered[key] = result.project_dir
        return rendered[key]

    return _render


@pytest.fixture(scope="session")
def mypy_cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One mypy cache for every variant, so the dependencies are analysed once."""
    return tmp_path_factory.mktemp("mypy_cache")
