"""The HTTP run: an app served by uvicorn on loopback, driven by a bounded number of
concurrent clients through registration, a registration race, login and /users/me."""

import asyncio
import os
import socket
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx

PASSWORD = "correct horse battery staple"
START_TIMEOUT_SECONDS = 60


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@contextmanager
def serving(app: str, cwd: Path, env: dict[str, str], log: Path) -> Iterator[str]:
    """`uvicorn app` with one worker on a free loopback port, its output in `log`: its URL."""
    port = free_port()
    command = [sys.executable, "-m", "uvicorn", app, "--port", str(port), "--no-access-log",
               "--log-level", "warning"]  # fmt: skip
    with log.open("w") as output:
        # A file, not a pipe: a pipe nobody reads would stall the server once full.
        process = subprocess.Popen(
            command, cwd=cwd, env={**os.environ, **env}, stdout=output, stderr=subprocess.STDOUT
        )
    base_url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + START_TIMEOUT_SECONDS
        while True:
            try:
                httpx.get(f"{base_url}/docs", timeout=1)
                break
            except httpx.TransportError:
                if process.poll() is not None or time.monotonic() > deadline:
                    process.kill()
                    process.wait()
                    raise RuntimeError(f"{app} did not start:\n{log.read_text()}") from None
                time.sleep(0.2)
        yield base_url
    finally:
        process.terminate()
        process.wait(timeout=30)


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
        "server_errors": sum(n for s, n in statuses.items() if s.startswith("5") or s == "failed"),
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


async def drive(
    base_url: str, users: int, clients: int, races: int, me_requests: int
) -> dict[str, Any]:
    """The four phases against one running app."""
    limits = httpx.Limits(max_connections=clients, max_keepalive_connections=clients)
    async with httpx.AsyncClient(base_url=base_url, limits=limits, timeout=120) as http:
        emails = [f"user{n}@example.com" for n in range(users)]

        def register(email: str) -> Callable[[], Awaitable[httpx.Response]]:
            return lambda: http.post("/auth/register", json={"email": email, "password": PASSWORD})

        def log_in(email: str) -> Callable[[], Awaitable[httpx.Response]]:
            form = {"username": email, "password": PASSWORD}
            return lambda: http.post("/auth/jwt/login", data=form)

        results: dict[str, Any] = {}
        results["register"], _ = await phase([register(email) for email in emails], clients)

        # `races` addresses, each registered by every client at once in various spellings.
        race_figures: Counter[str] = Counter()
        accounts_created = 0
        for race in range(races):
            attempts = [register(e) for e in spellings(f"race{race}@example.com", clients)]
            figures, responses = await phase(attempts, clients)
            race_figures.update(figures["statuses"])
            accounts_created += sum(1 for r in responses if r is not None and r.status_code == 201)
        results["race"] = {
            "requests": races * clients,
            "statuses": dict(sorted(race_figures.items())),
            "server_errors": sum(
                n for s, n in race_figures.items() if s.startswith("5") or s == "failed"
            ),
            "duplicate_accounts": accounts_created - races,
        }

        results["login"], responses = await phase([log_in(email) for email in emails], clients)
        tokens = [
            r.json()["access_token"] for r in responses if r is not None and r.status_code == 200
        ]
        assert tokens, "no login succeeded"

        def me(token: str) -> Callable[[], Awaitable[httpx.Response]]:
            headers = {"Authorization": f"Bearer {token}"}
            return lambda: http.get("/users/me", headers=headers)

        results["me"], _ = await phase(
            [me(tokens[n % len(tokens)]) for n in range(me_requests)], clients
        )
        return results


def run(app: str, cwd: Path, env: dict[str, str], log: Path, **load: int) -> dict[str, Any]:
    """Serve `app` and drive it: the figures of each phase."""
    with serving(app, cwd, env, log) as base_url:
        return asyncio.run(drive(base_url, **load))
