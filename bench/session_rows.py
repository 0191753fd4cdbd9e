"""Many sessions in the generated app's tables, loaded in a few statements that the database
runs on its own: users, a live session of each, and the session's refresh token, each an
INSERT ... SELECT over a series of numbers (generate_series on PostgreSQL, a sequence table on
MariaDB, a recursive CTE on SQLite). The stock app's table gets the same users, so that both
apps look users up among as many rows.
"""

import datetime
import time

from sqlalchemy import TIMESTAMP, URL, bindparam, text
from sqlalchemy.ext.asyncio import AsyncConnection, create_async_engine

from bench.lookups import HASHED_PASSWORD

# What the loaded rows are told apart by from the ones the benchmark's requests make.
EMAIL_PREFIX = "loaded"
USER_AGENT = "bench-loaded"
ADDRESS = "127.0.0.1"
# As long as a session lasts by default (settings.session_lifetime_seconds): every loaded one is
# live while the benchmark runs, so none is cleaned up under it.
LIFETIME = datetime.timedelta(days=30)


def series(dialect: str, count: int) -> str:
    """A FROM clause of the numbers 1 to `count`, as column n."""
    if dialect == "postgresql":
        return f"generate_series(1, {count:d}) AS series(n)"
    if dialect in ("mysql", "mariadb"):
        # MariaDB's Sequence engine makes this table up on the fly.
        return f"(SELECT seq AS n FROM seq_1_to_{count:d}) AS series"
    return (
        f"(WITH RECURSIVE numbers(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM numbers "
        f"WHERE n < {count:d}) SELECT n FROM numbers) AS series"
    )


def random_uuid(dialect: str) -> str:
    """An SQL expression of a new random UUID, as the GUID column type stores it (PostgreSQL's
    uuid, elsewhere the 36 characters of its text)."""
    if dialect == "postgresql":
        return "gen_random_uuid()"
    if dialect in ("mysql", "mariadb"):
        return "uuid()"
    digits = "lower(hex(randomblob(16)))"
    return " || '-' || ".join(
        f"substr({digits}, {start}, {length})"
        for start, length in [(1, 8), (9, 4), (13, 4), (17, 4), (21, 12)]
    )


def token_hash(dialect: str, column: str) -> str:
    """An SQL expression of 64 hexadecimal digits that differ for each row, as a refresh
    token's SHA-256 does."""
    if dialect == "postgresql":
        return f"encode(sha256(CAST({column} AS text)::bytea), 'hex')"
    if dialect in ("mysql", "mariadb"):
        return f"sha2({column}, 256)"
    return "lower(hex(randomblob(32)))"


def email(dialect: str) -> str:
    """An SQL expression of the address of loaded user number n."""
    if dialect in ("mysql", "mariadb"):
        return f"concat('{EMAIL_PREFIX}', n, '@example.com')"
    return f"'{EMAIL_PREFIX}' || n || '@example.com'"


async def insert_users(conn: AsyncConnection, count: int) -> None:
    """`count` users, all active, with one password hash that no login checks."""
    dialect, quote = conn.dialect.name, conn.dialect.identifier_preparer.quote
    await conn.execute(
        text(
            f"INSERT INTO {quote('user')} (id, email, hashed_password, is_active, is_superuser, "
            f"is_verified) SELECT {random_uuid(dialect)}, {email(dialect)}, :hashed_password, "
            f"TRUE, FALSE, FALSE FROM {series(dialect, count)}"
        ).bindparams(hashed_password=HASHED_PASSWORD)
    )


async def insert_sessions(conn: AsyncConnection, at: datetime.datetime) -> None:
    """A live session of each loaded user, and its refresh token."""
    dialect, quote = conn.dialect.name, conn.dialect.identifier_preparer.quote
    # The columns' type (TIMESTAMPAware, which writes as TIMESTAMP does): the values are
    # written as the app writes them.
    timestamp = TIMESTAMP(timezone=True)
    await conn.execute(
        text(
            "INSERT INTO user_session (id, user_id, created_at, last_used_at, expires_at, "
            f"user_agent, address) SELECT {random_uuid(dialect)}, id, :at, :at, :expires, "
            f":user_agent, :address FROM {quote('user')} WHERE email LIKE :loaded"
        ).bindparams(
            bindparam("at", at, type_=timestamp),
            bindparam("expires", at + LIFETIME, type_=timestamp),
            user_agent=USER_AGENT,
            address=ADDRESS,
            loaded=f"{EMAIL_PREFIX}%",
        )
    )
    await conn.execute(
        text(
            "INSERT INTO refresh_token (token_hash, session_id, created_at) "
            f"SELECT {token_hash(dialect, 'id')}, id, :at FROM user_session "
            "WHERE user_agent = :user_agent"
        ).bindparams(bindparam("at", at, type_=timestamp), user_agent=USER_AGENT)
    )


async def analyze(conn: AsyncConnection, tables: list[str]) -> None:
    """Fresh statistics, as the planner would have them on tables that grew over time."""
    quote = conn.dialect.identifier_preparer.quote
    if conn.dialect.name in ("mysql", "mariadb"):
        await conn.execute(text(f"ANALYZE TABLE {', '.join(quote(t) for t in tables)}"))
    else:
        for table in tables:
            await conn.execute(text(f"ANALYZE {quote(table)}"))


async def load(generated: URL, stock: URL, count: int) -> dict[str, float]:
    """`count` users in both apps' databases, with a live session each and its refresh token
    in the generated app's: the seconds each database took."""
    seconds = {}
    for name, url in [("generated", generated), ("stock", stock)]:
        engine = create_async_engine(url)
        start = time.perf_counter()
        try:
            async with engine.begin() as conn:
                await insert_users(conn, count)
                tables = ["user"]
                if name == "generated":
                    at = datetime.datetime.now(datetime.UTC)
                    await insert_sessions(conn, at)
                    tables += ["user_session", "refresh_token"]
            async with engine.begin() as conn:
                await analyze(conn, tables)
        finally:
            await engine.dispose()
        seconds[name] = time.perf_counter() - start
    return seconds
