"""The HTTP run: an app served by uvicorn on loopback, driven by a bounded number of
concurrent clients through registration, a registration race, login and /users/me, then by wrk
through the login storm and the sessions' runs."""

import asyncio
import contextlib
import os
import sys
import time
from collections import Counter
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import httpx

from bench import sessions, storm
from tooling.servers import running_server

PASSWORD = "correct horse battery staple"
START_TIMEOUT_SECONDS = 60


def serving(
    app: str, cwd: Path, env: dict[str, str], log: Path
) -> contextlib.AbstractContextManager[str]:
    """`uvicorn app` with one worker on a free loopback port, its output in `log`: its URL."""

    def uvicorn(port: int) -> list[str]:
        return [sys.executable, "-m", "uvicorn", app, "--port", str(port), "--no-access-log",
                "--log-level", "warning"]  # fmt: skip

    return running_server(
        uvicorn, cwd=cwd, env={**os.environ, **env}, log=log, start_timeout=START_TIMEOUT_SECONDS
    )


async def phase(
    requests: list[Callable[[], Awaitable[httpx.Response]]], clients: int
) -> tuple[dict[str, Any], list[httpx.Response | None]]:
    """Send the requests, `clients` at a time: throughput, status counts, and the responses
    (None where the connection failed)."""
    responses: list[httpx.Response | None] = [None] * len(requests)
    queue = iter(enumerate(requests))

    async def client() -> None:
        for index, request in queue:
            try:
                responses[index] = await request()
            except httpx.TransportError:
                responses[index] = None

    start = time.perf_counter()
    await asyncio.gather(*(client() for _ in range(clients)))
    seconds = time.perf_counter() - start
    statuses = Counter(str(r.status_code) if r is not None else "failed" for r in responses)
    figures = {
        "requests": len(requests),
        "seconds": seconds,
        "per_second": len(requests) / seconds,
        "statuses": dict(sorted(statuses.items())),
        "server_errors": count_server_errors(statuses),
    }
    return figures, responses


def spellings(email: str, count: int) -> list[str]:
    """`count` spellings of one address, each used twice: two requests with the very same
    address, and others that differ only in case."""
    distinct = [
        "".join(c.upper() if (n >> i) & 1 else c for i, c in enumerate(email))
        for n in range((count + 1) // 2)
    ]
    return (distinct * 2)[:count]


def me(http: httpx.AsyncClient, token: str) -> Callable[[], Awaitable[httpx.Response]]:
    """A GET /users/me request with the user's token."""
    headers = {"Authorization": f"Bearer {token}"}
    return lambda: http.get("/users/me", headers=headers)


def count_server_errors(statuses: dict[str, int]) -> int:
    return sum(n for status, n in statuses.items() if status.startswith("5") or status == "failed")


async def sign_up(http: httpx.AsyncClient, users: int, clients: int, races: int) -> dict[str, Any]:
    """Registrations, races for one address, and logins against one app; the tokens."""

    def register(email: str) -> Callable[[], Awaitable[httpx.Response]]:
        return lambda: http.post("/auth/register", json={"email": email, "password": PASSWORD})

    def log_in(email: str) -> Callable[[], Awaitable[httpx.Response]]:
        form = {"username": email, "password": PASSWORD}
        return lambda: http.post("/auth/jwt/login", data=form)

    emails = [f"user{n}@example.com" for n in range(users)]
    results: dict[str, Any] = {}
    results["register"], _ = await phase([register(email) for email in emails], clients)

    # `races` addresses, each registered by every client at once in various spellings.
    race_statuses: Counter[str] = Counter()
    accounts_created = 0
    for race in range(races):
        attempts = [register(e) for e in spellings(f"race{race}@example.com", clients)]
        figures, responses = await phase(attempts, clients)
        race_statuses.update(figures["statuses"])
        accounts_created += sum(1 for r in responses if r is not None and r.status_code == 201)
    results["race"] = {
        "requests": races * clients,
        "statuses": dict(sorted(race_statuses.items())),
        "server_errors": count_server_errors(race_statuses),
        "duplicate_accounts": accounts_created - races,
    }

    results["login"], responses = await phase([log_in(email) for email in emails], clients)
    results["tokens"] = [
        r.json()["access_token"] for r in responses if r is not None and r.status_code == 200
    ]
    if not results["tokens"]:
        raise RuntimeError(f"no login succeeded: {results['login']}")
    return results


async def drive(
    base_urls: dict[str, str], users: int, clients: int, races: int, me_requests: int, rounds: int
) -> dict[str, dict[str, Any]]:
    """Sign up on each app in turn, then GET /users/me in rounds that alternate between the
    apps, so that a busy moment of the machine weighs on both alike."""
    limits = httpx.Limits(max_connections=clients, max_keepalive_connections=clients)
    async with contextlib.AsyncExitStack() as stack:
        https = {
            app: await stack.enter_async_context(
                httpx.AsyncClient(base_url=url, limits=limits, timeout=120)
            )
            for app, url in base_urls.items()
        }
        results = {app: await sign_up(http, users, clients, races) for app, http in https.items()}

        totals: dict[str, dict[str, Any]] = {
            app: {"requests": 0, "seconds": 0.0, "statuses": Counter()} for app in https
        }
        for round_number in range(rounds):
            order = list(https) if round_number % 2 == 0 else list(reversed(https))
            for app in order:
                http, tokens = https[app], results[app]["tokens"]
                requests = [me(http, tokens[n % len(tokens)]) for n in range(me_requests // rounds)]
                figures, _ = await phase(requests, clients)
                totals[app]["requests"] += figures["requests"]
                totals[app]["seconds"] += figures["seconds"]
                totals[app]["statuses"].update(figures["statuses"])
        for app, figures in totals.items():
            statuses = dict(sorted(figures["statuses"].items()))
            results[app]["me"] = figures | {
                "per_second": figures["requests"] / figures["seconds"],
                "statuses": statuses,
                "server_errors": count_server_errors(statuses),
            }
            del results[app]["tokens"]
        return results


def run(
    apps: dict[str, tuple[str, Path, dict[str, str], Path]],
    storm_options: dict[str, Any] | None,
    sessions_options: dict[str, Any] | None,
    load_sessions: Callable[[int], dict[str, float]],
    **load: int,
) -> dict[str, dict[str, Any]]:
    """Serve every app at once (module, working directory, environment, log) and drive them:
    the figures of each phase for each app, with the login storm's (bench/storm.py) unless
    `storm_options` is None, and the sessions' (bench/sessions.py, which loads sessions with
    `load_sessions`) unless `sessions_options` is None."""
    with contextlib.ExitStack() as stack:
        base_urls = {app: stack.enter_context(serving(*how)) for app, how in apps.items()}
        results = asyncio.run(drive(base_urls, **load))
        if storm_options is not None:
            for app, figures in storm.measure(base_urls, **storm_options).items():
                results[app]["storm"] = figures
        if sessions_options is not None:
            measured = sessions.measure(base_urls, load_sessions, **sessions_options)
            for app, figures in measured.items():
                results[app]["sessions"] = figures
        return results
