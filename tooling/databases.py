"""Databases made on the servers of tooling/drivers.py: whether a server is up, and fresh,
empty databases that are dropped afterwards."""

import asyncio
import socket
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from functools import cache
from pathlib import Path

from sqlalchemy import URL, make_url, text
from sqlalchemy.ext.asyncio import create_async_engine

from tooling.drivers import SERVERS


@cache
def server_is_up(dbms: str) -> bool:
    """Whether the DBMS's server accepts connections; SQLite needs none, so it always is."""
    if dbms == "sqlite":
        return True
    host, port = SERVERS[dbms]
    try:
        with socket.create_connection((host, port), timeout=2):
            return True
    except OSError:
        return False


async def fresh_database(server: str | URL, name: str, directory: Path) -> URL:
    """An empty database called `name` on the server (a file in `directory` for SQLite),
    dropped first if it exists: its URL, in the server URL's driver."""
    server_url = make_url(server)
    backend = server_url.get_backend_name()
    if backend == "sqlite":
        path = directory / f"{name}.db"
        for leftover in [
            path,
            path.with_name(path.name + "-wal"),
            path.with_name(path.name + "-shm"),
        ]:
            leftover.unlink(missing_ok=True)
        return server_url.set(database=str(path))
    if backend == "postgresql":
        admin = create_async_engine(server_url, isolation_level="AUTOCOMMIT")
        statements = [f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)', f'CREATE DATABASE "{name}"']
    else:
        admin = create_async_engine(server_url.set(database=None))
        statements = [
            f"DROP DATABASE IF EXISTS `{name}`",
            f"CREATE DATABASE `{name}` CHARACTER SET utf8mb4",
        ]
    try:
        async with admin.connect() as conn:
            for statement in statements:
                await conn.execute(text(statement))
    finally:
        await admin.dispose()
    return server_url.set(database=name)


async def drop_database(url: URL) -> None:
    """Drop a database that fresh_database made (a server one; SQLite files go with their
    directory)."""
    if url.get_backend_name() == "sqlite":
        return
    name = url.database
    if url.get_backend_name() == "postgresql":
        admin = create_async_engine(url.set(database="postgres"), isolation_level="AUTOCOMMIT")
        statement = f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'
    else:
        admin = create_async_engine(url.set(database=None))
        statement = f"DROP DATABASE IF EXISTS `{name}`"
    try:
        async with admin.connect() as conn:
            await conn.execute(text(statement))
    finally:
        await admin.dispose()


@contextmanager
def temporary_database(server: str, directory: Path) -> Iterator[str]:
    """A new, empty database on the server (a file in `directory` for SQLite), under a name of
    its own: its URL, dropped afterwards."""
    name = f"template_test_{uuid.uuid4().hex}"
    url = asyncio.run(fresh_database(server, name, directory))
    try:
        yield url.render_as_string(hide_password=False)
    finally:
        asyncio.run(drop_database(url))
