"""Benchmark a generated project against the stock FastAPI Users setup, on the same machine
and data, and write the results to bench/results/ and the README.

    python -m bench                                 # every DBMS, the default sizes
    python -m bench --dbms sqlite --rows 20000      # a quick run while developing
"""

import argparse
import asyncio
import datetime
import json
import os
import secrets
import sqlite3
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

from sqlalchemy import make_url, text
from sqlalchemy.ext.asyncio import create_async_engine

from bench import load, report, session_rows, wrk
from tooling.databases import drop_database, fresh_database
from tooling.drivers import BENCHMARK_DRIVERS, DISPLAY_NAMES, server_url
from tooling.rendering import TEMPLATE_DIR, UNTHROTTLED, render_template

# The generated package, as bench/lookups.py imports it.
PACKAGE = "bench_api"
DEFAULT_ROWS = {"postgresql": 1_000_000, "sqlite": 200_000, "mysql": 200_000}
DEFAULT_SESSIONS = {"postgresql": 1_000_000, "sqlite": 1_000_000, "mysql": 1_000_000}


def parse_arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m bench", description=__doc__, formatter_class=argparse.RawTextHelpFormatter
    )
    parser.add_argument(
        "--dbms",
        nargs="+",
        choices=list(BENCHMARK_DRIVERS),
        default=list(BENCHMARK_DRIVERS),
        help="default: all (mysql: the MySQL/MariaDB server)",
    )
    parser.add_argument(
        "--rows", type=int, help="users to load on every DBMS (default: 1,000,000 on "
        "PostgreSQL, 200,000 on SQLite and MariaDB)"
    )  # fmt: skip
    parser.add_argument("--samples", type=int, default=3000, help="timed lookups of each fast kind")
    parser.add_argument("--stock-samples", type=int, default=100, help="timed stock lookups")
    parser.add_argument("--users", type=int, default=50, help="users the HTTP run registers")
    parser.add_argument("--clients", type=int, default=8, help="concurrent HTTP clients")
    parser.add_argument("--races", type=int, default=10, help="addresses raced for")
    parser.add_argument("--me-requests", type=int, default=4000, help="GET /users/me requests")
    parser.add_argument(
        "--rounds", type=int, default=8, help="rounds /users/me alternates between the apps in"
    )
    parser.add_argument("--no-http", action="store_true", help="measure the lookups only")
    parser.add_argument(
        "--no-storm", action="store_true", help="leave out the login storm (which needs wrk)"
    )
    parser.add_argument(
        "--storm-seconds", type=float, default=5, help="length of each wrk run of the storm"
    )
    parser.add_argument(
        "--storm-rounds", type=int, default=4, help="rounds the storm alternates the apps in"
    )
    parser.add_argument("--storm-clients", type=int, default=8, help="wrk connections on /users/me")
    parser.add_argument(
        "--storm-logins", type=int, default=2, help="wrk connections that log in meanwhile"
    )
    parser.add_argument(
        "--sessions",
        type=int,
        help="sessions to load for the second sessions run, on every DBMS (default: 1,000,000)",
    )
    parser.add_argument(
        "--no-sessions",
        action="store_true",
        help="leave out the sessions runs (which need wrk; they take the storm's connections, "
        "seconds and rounds)",
    )
    parser.add_argument(
        "--password-hashing-threads",
        type=int,
        help="PASSWORD_HASHING_THREADS of the generated app (default: its own default)",
    )
    parser.add_argument("--postgresql-url", default=server_url(BENCHMARK_DRIVERS["postgresql"]))
    parser.add_argument("--mysql-url", default=server_url(BENCHMARK_DRIVERS["mysql"]))
    parser.add_argument(
        "--output", type=Path, default=TEMPLATE_DIR / "bench" / "results", help="results folder"
    )
    parser.add_argument(
        "--no-readme", action="store_true", help="leave the README's table as it is"
    )
    parser.add_argument(
        "--note",
        default="",
        help="what else the machine was doing, recorded with the results",
    )
    parser.add_argument(
        "--keep-others",
        action="store_true",
        help="keep the figures of the DBMS not measured now from the results folder's "
        "benchmark.json (to spare a second run of 1,000,000 rows)",
    )
    return parser.parse_args()


def database_server(args: argparse.Namespace, dbms: str) -> str:
    """The URL of the DBMS's server the options give; for SQLite, one that names the driver."""
    given = {"postgresql": args.postgresql_url, "mysql": args.mysql_url}.get(dbms)
    return given or server_url(BENCHMARK_DRIVERS[dbms])


def measure_lookups(
    args: argparse.Namespace, dbms: str, project: Path, workdir: Path, env: dict[str, str]
) -> dict[str, Any]:
    """Run bench.lookups in a process that imports the generated package."""
    rows = args.rows or DEFAULT_ROWS[dbms]
    command = [sys.executable, "-m", "bench.lookups", "--dbms", dbms, "--directory", str(workdir),
               "--server", database_server(args, dbms), "--rows", str(rows),
               "--samples", str(args.samples),
               "--stock-samples", str(args.stock_samples)]  # fmt: skip
    result = subprocess.run(
        command, cwd=TEMPLATE_DIR, env=env, capture_output=True, text=True, check=False
    )
    if result.returncode != 0:
        raise SystemExit(f"The {dbms} lookup benchmark failed:\n{result.stderr}")
    figures: dict[str, Any] = json.loads(result.stdout)
    return figures


def storm_options(args: argparse.Namespace) -> dict[str, Any]:
    """How bench/storm.py and bench/sessions.py load the apps."""
    return {
        "connections": args.storm_clients,
        "login_connections": args.storm_logins,
        "seconds": args.storm_seconds,
        "rounds": args.storm_rounds,
    }


def measure_http(
    args: argparse.Namespace, dbms: str, project: Path, workdir: Path, env: dict[str, str]
) -> list[dict[str, Any]]:
    """The stock app and the generated one, served side by side, each on a fresh database."""
    apps = {
        "stock": ("bench.stock:app", TEMPLATE_DIR),
        "generated": (f"{PACKAGE}.app:app", project),
    }
    urls = {
        app: asyncio.run(fresh_database(database_server(args, dbms), f"bench_http_{app}", workdir))
        for app in apps
    }
    try:
        environments = {
            app: env | {"DATABASE_URL": url.render_as_string(hide_password=False)}
            for app, url in urls.items()
        }
        if args.password_hashing_threads is not None:
            threads = str(args.password_hashing_threads)
            environments["generated"]["PASSWORD_HASHING_THREADS"] = threads
        # The generated app serves only a database its migrations have brought up to date.
        subprocess.run(
            [sys.executable, "-m", "alembic", "upgrade", "head"],
            cwd=project, env={**os.environ, **environments["generated"]}, check=True,
            capture_output=True,
        )  # fmt: skip
        sessions = None
        if not args.no_sessions:
            sessions = storm_options(args) | {"count": args.sessions or DEFAULT_SESSIONS[dbms]}

        def load_sessions(count: int) -> dict[str, float]:
            return asyncio.run(session_rows.load(urls["generated"], urls["stock"], count))

        results = load.run(
            {
                app: (module, cwd, environments[app], workdir / f"{dbms}-{app}.log")
                for app, (module, cwd) in apps.items()
            },
            None if args.no_storm else storm_options(args),
            sessions,
            load_sessions,
            users=args.users, clients=args.clients, races=args.races,
            me_requests=args.me_requests, rounds=args.rounds,
        )  # fmt: skip
    finally:
        for url in urls.values():
            asyncio.run(drop_database(url))
    print(f"  {json.dumps(results)}", file=sys.stderr)
    return [{"dbms": dbms, "app": app, "phases": phases} for app, phases in results.items()]


async def server_version(dbms: str, url: str) -> str:
    if dbms == "sqlite":
        return sqlite3.sqlite_version
    engine = create_async_engine(make_url(url))
    try:
        async with engine.connect() as conn:
            query = "SHOW server_version" if dbms == "postgresql" else "SELECT version()"
            version = (await conn.execute(text(query))).scalar_one()
    finally:
        await engine.dispose()
    return str(version).split(" ")[0]


def now() -> str:
    return datetime.datetime.now(datetime.UTC).strftime("%Y-%m-%d %H:%M UTC")


def write(results: dict[str, Any], output: Path, options: str, readme: bool) -> None:
    """The results as JSON, Markdown and a chart in `output`, and the table in the README."""
    output.mkdir(parents=True, exist_ok=True)
    (output / "benchmark.json").write_text(json.dumps(results, indent=2) + "\n")
    table = report.markdown(results)
    (output / "benchmark.md").write_text(
        "# Benchmark: generated project against the stock FastAPI Users setup\n\n"
        f"`python -m bench` ({options or 'default options'}).\n\n"
        + table
        + "\n![Lookup latency and /users/me throughput](benchmark.png)\n"
    )
    report.chart(results, output / "benchmark.png")
    if readme:
        report.update_readme(TEMPLATE_DIR / "README.md", table)


def main() -> None:
    args = parse_arguments()
    if not args.no_http and not (args.no_storm and args.no_sessions):
        wrk.require_wrk()  # before the long lookups, not after
    results: dict[str, Any] = {
        "lookups": [],
        "http": [],
        "load": {"users": args.users, "clients": args.clients, "races": args.races,
                 "me_requests": args.me_requests, "rounds": args.rounds,
                 "storm": None if args.no_storm else storm_options(args),
                 "sessions": None if args.no_sessions else storm_options(args),
                 "password_hashing_threads": args.password_hashing_threads},
    }  # fmt: skip
    versions = {
        dbms: asyncio.run(server_version(dbms, database_server(args, dbms))) for dbms in args.dbms
    }
    with tempfile.TemporaryDirectory(prefix="bench-") as temporary:
        workdir = Path(temporary)
        for dbms in args.dbms:
            print(f"{dbms}: rendering the template", file=sys.stderr)
            project = render_template(
                workdir / f"project-{dbms}",
                project_name="Bench API",
                package_name=PACKAGE,
                db_driver=BENCHMARK_DRIVERS[dbms],
            )
            env = {
                "PYTHONPATH": f"{project}:{TEMPLATE_DIR}",
                "DATABASE_URL": f"sqlite+aiosqlite:///{workdir}/unused.db"
                if dbms == "sqlite"
                else database_server(args, dbms),
                "SECRET_KEY": secrets.token_urlsafe(32),
                "ENVIRONMENT": "production",
                # Production needs an SMTP server and an https PUBLIC_URL; the benchmark sends
                # no e-mail. /docs, off in production, tells that the server is up.
                "SMTP_HOST": "localhost",
                "PUBLIC_URL": "https://bench.example.com",
                "API_DOCS": "true",
                # Every client of the benchmark comes from one address: no throttling, as the
                # stock app has none.
                **UNTHROTTLED,
            }
            print(f"{dbms}: loading users and timing lookups", file=sys.stderr)
            measured = now()
            lookups = measure_lookups(args, dbms, project, workdir, env) | {"measured": measured}
            print(f"  {json.dumps(lookups)}", file=sys.stderr)
            results["lookups"].append(lookups)
            if not args.no_http:
                print(f"{dbms}: HTTP run", file=sys.stderr)
                runs = measure_http(args, dbms, project, workdir, env)
                results["http"] += [run | {"measured": measured} for run in runs]
    results["machine"] = report.machine(versions, args.note)
    previous_file = args.output / "benchmark.json"
    if args.keep_others and previous_file.exists():
        previous = json.loads(previous_file.read_text())
        for kind in ["lookups", "http"]:
            kept = [
                run | {"measured": run.get("measured", previous["machine"]["date"])}
                for run in previous[kind]
                if run["dbms"] not in args.dbms
            ]
            results[kind] = kept + results[kind]
        servers = previous["machine"]["servers"]
        results["machine"]["servers"] = ", ".join(
            [
                s
                for s in servers.split(", ")
                if not any(s.startswith(DISPLAY_NAMES[d]) for d in args.dbms)
            ]
            + [results["machine"]["servers"]]
        )

    write(results, args.output, " ".join(sys.argv[1:]), readme=not args.no_readme)
    print(report.markdown(results))


if __name__ == "__main__":
    main()
