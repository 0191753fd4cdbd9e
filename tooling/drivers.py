"""The five async drivers a generated project can use, and the database servers the tests and
the benchmark run them on. The DBMS keys are those of macros/drivers.jinja: "sqlite",
"postgresql" and "mysql" (which covers MariaDB)."""

from dataclasses import dataclass


@dataclass(frozen=True)
class Driver:
    """An async driver: the DBMS it speaks to, and the requirement a project depending on it
    lists (as pip names it, without the version)."""

    name: str
    dbms: str
    requirement: str


DRIVERS: dict[str, Driver] = {
    driver.name: driver
    for driver in [
        Driver("aiosqlite", "sqlite", "aiosqlite"),
        Driver("asyncpg", "postgresql", "asyncpg"),
        Driver("psycopg", "postgresql", "psycopg[binary]"),
        Driver("asyncmy", "mysql", "asyncmy"),
        Driver("aiomysql", "mysql", "aiomysql"),
    ]
}

# Where each server listens: the tests and the benchmark make their databases on it.
SERVERS = {
    "postgresql": ("127.0.0.1", 5432),
    "mysql": ("127.0.0.1", 3306),
}

# The driver the benchmark's generated project uses on each DBMS, in the order it measures them.
BENCHMARK_DRIVERS = {"postgresql": "asyncpg", "sqlite": "aiosqlite", "mysql": "asyncmy"}

# How the benchmark's results name each DBMS: the MySQL-family server it runs on is MariaDB.
DISPLAY_NAMES = {"postgresql": "PostgreSQL", "sqlite": "SQLite", "mysql": "MariaDB"}


def server_url(driver: str) -> str:
    """The URL of the driver's server, on none of the databases made for tests (on `postgres`,
    the maintenance database, for PostgreSQL). For SQLite, which has no server, a file URL that
    names the driver."""
    dbms = DRIVERS[driver].dbms
    if dbms == "sqlite":
        return f"sqlite+{driver}:///./unused.db"
    host, port = SERVERS[dbms]
    if dbms == "postgresql":
        return f"postgresql+{driver}://postgres@{host}:{port}/postgres"
    return f"mysql+{driver}://root@{host}:{port}/?charset=utf8mb4"
