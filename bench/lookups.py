"""Lookup latencies on one DBMS, on the same rows: get_by_email of the generated adapter and of
the stock one (stock model), and get by primary key as the floor.

Run by `python -m bench` in a process of its own, with the generated package importable as
`bench_api` and DATABASE_URL set; prints its figures as JSON.
"""

import argparse
import asyncio
import json
import random
import statistics
import time
import uuid
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

from sqlalchemy import Table, insert, text
from sqlalchemy.ext.asyncio import AsyncEngine, async_sessionmaker, create_async_engine

from bench import stock
from tooling.databases import drop_database, fresh_database
from tooling.drivers import BENCHMARK_DRIVERS, server_url

# What a password hash looks like: every row gets this one, the lookups never check it.
HASHED_PASSWORD = "$argon2id$v=19$m=65536,t=3,p=4$" + "b" * 22 + "$" + "c" * 43
BATCH_SIZE = 10_000
WARMUP_CALLS = 50


def make_rows(count: int, seed: int) -> list[tuple[uuid.UUID, str]]:
    """`count` users: an ID and an address with capitals in it, as people type them."""
    rng = random.Random(seed)
    return [
        (uuid.UUID(int=rng.getrandbits(128), version=4), f"Person.{n}@Example{n % 100}.com")
        for n in range(count)
    ]


def respell(email: str, rng: random.Random) -> str:
    """The address with each letter's case drawn at random."""
    return "".join(c.upper() if rng.random() < 0.5 else c.lower() for c in email)


async def bulk_load(engine: AsyncEngine, table: Table, rows: list[tuple[uuid.UUID, str]]) -> None:
    """Create the table and its indexes, then load the rows: COPY on PostgreSQL, multi-row
    inserts elsewhere."""
    async with engine.begin() as conn:
        await conn.run_sync(table.metadata.create_all)
    flags = (True, False, False)
    if engine.dialect.name == "postgresql":
        async with engine.connect() as conn:
            raw = await conn.get_raw_connection()
            await raw.driver_connection.copy_records_to_table(
                table.name,
                records=[(id_, email, HASHED_PASSWORD, *flags) for id_, email in rows],
                columns=[
                    "id",
                    "email",
                    "hashed_password",
                    "is_active",
                    "is_superuser",
                    "is_verified",
                ],
            )
            await conn.execute(text(f'ANALYZE "{table.name}"'))
            await conn.commit()
        return
    for first in range(0, len(rows), BATCH_SIZE):
        batch = rows[first : first + BATCH_SIZE]
        async with engine.begin() as conn:
            await conn.execute(
                insert(table),
                [
                    {"id": id_, "email": email, "hashed_password": HASHED_PASSWORD,
                     "is_active": True, "is_superuser": False, "is_verified": False}
                    for id_, email in batch
                ],
            )  # fmt: skip
    if engine.dialect.name != "sqlite":
        async with engine.begin() as conn:
            await conn.execute(text(f"ANALYZE TABLE `{table.name}`"))


async def latencies(
    calls: dict[str, tuple[Callable[[Any], Awaitable[object]], list[Any]]],
    after: Callable[[], None],
) -> dict[str, list[float]]:
    """Milliseconds each call takes, the calls taking turns so that a busy moment of the
    machine slows them all alike; the first WARMUP_CALLS rounds are not counted."""
    timings: dict[str, list[float]] = {name: [] for name in calls}
    rounds = zip(*(arguments for _, arguments in calls.values()), strict=True)
    for number, arguments in enumerate(rounds):
        for (name, (call, _)), argument in zip(calls.items(), arguments, strict=True):
            start = time.perf_counter()
            found = await call(argument)
            elapsed = (time.perf_counter() - start) * 1000
            assert found is not None, argument
            after()
            if number >= WARMUP_CALLS:
                timings[name].append(elapsed)
    return timings


def summary(timings: list[float]) -> dict[str, float]:
    return {
        "median_ms": statistics.median(timings),
        "p99_ms": statistics.quantiles(timings, n=100, method="inclusive")[98],
        "samples": len(timings),
    }


async def run(args: argparse.Namespace) -> dict[str, Any]:
    from bench_api.database.engine import make_engine
    from bench_api.database.user_database import UserDatabase
    from bench_api.db import User

    rows = make_rows(args.rows, seed=args.seed)
    directory = Path(args.directory)
    server = args.server or server_url(BENCHMARK_DRIVERS[args.dbms])
    generated_url = await fresh_database(server, "bench_generated", directory)
    stock_url = await fresh_database(server, "bench_stock", directory)
    generated_engine = make_engine(generated_url)
    stock_engine = create_async_engine(stock_url)
    try:
        load_seconds = {}
        for name, engine, table in [
            ("generated", generated_engine, User.__table__),
            ("stock", stock_engine, stock.User.__table__),
        ]:
            start = time.perf_counter()
            await bulk_load(engine, table, rows)
            load_seconds[name] = time.perf_counter() - start

        rng = random.Random(args.seed + 1)
        results: dict[str, Any] = {
            "dbms": args.dbms,
            "rows": args.rows,
            "load_seconds": load_seconds,
        }
        async with async_sessionmaker(generated_engine)() as session:
            generated_db = UserDatabase(session, User)
            picks = rng.choices(rows, k=WARMUP_CALLS + args.samples)
            timings = await latencies(
                {
                    "generated": (generated_db.get_by_email, [respell(e, rng) for _, e in picks]),
                    "primary_key": (generated_db.get, [id_ for id_, _ in reversed(picks)]),
                },
                session.expunge_all,
            )
        async with async_sessionmaker(stock_engine)() as session:
            stock_db = stock.SQLAlchemyUserDatabase(session, stock.User)
            picks = rng.choices(rows, k=WARMUP_CALLS + args.stock_samples)
            emails = [respell(email, rng) for _, email in picks]
            timings |= await latencies(
                {"stock": (stock_db.get_by_email, emails)}, session.expunge_all
            )
        results |= {name: summary(values) for name, values in timings.items()}
        return results
    finally:
        await generated_engine.dispose()
        await stock_engine.dispose()
        if not args.keep:
            await drop_database(generated_url)
            await drop_database(stock_url)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--dbms", required=True, choices=list(BENCHMARK_DRIVERS))
    parser.add_argument(
        "--server",
        help="URL of the database server, without a database (default: the local one; for "
        "SQLite, a file URL that names the driver)",
    )
    parser.add_argument("--directory", required=True, help="where SQLite files go")
    parser.add_argument("--rows", type=int, required=True)
    parser.add_argument("--samples", type=int, default=2000)
    parser.add_argument("--stock-samples", type=int, default=100)
    parser.add_argument("--seed", type=int, default=20240229)
    parser.add_argument("--keep", action="store_true", help="keep the databases afterwards")
    print(json.dumps(asyncio.run(run(parser.parse_args()))))


if __name__ == "__main__":
    main()
