"""The database servers the benchmark runs on, and fresh databases on them."""

from pathlib import Path

from sqlalchemy import URL, make_url, text
from sqlalchemy.ext.asyncio import create_async_engine

# The DBMS the benchmark knows, and the driver a generated project uses for each.
DRIVERS = {"postgresql": "asyncpg", "sqlite": "aiosqlite", "mariadb": "asyncmy"}

DEFAULT_SERVERS = {
    "postgresql": "postgresql+asyncpg://postgres@127.0.0.1:5432/postgres",
    "mariadb": "mysql+asyncmy://root@127.0.0.1:3306/?charset=utf8mb4",
}


async def fresh_database(dbms: str, server: str | None, name: str, directory: Path) -> URL:
    """An empty database called `name` (a file in `directory` for SQLite): its URL."""
    if dbms == "sqlite":
        path = directory / f"{name}.db"
        for leftover in [
            path,
            path.with_name(path.name + "-wal"),
            path.with_name(path.name + "-shm"),
        ]:
            leftover.unlink(missing_ok=True)
        return make_url(f"sqlite+aiosqlite:///{path}")
    server_url = make_url(server or DEFAULT_SERVERS[dbms])
    if dbms == "postgresql":
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
