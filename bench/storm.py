"""The login storm: `GET /users/me` alone, then while other clients log in as fast as the
server lets them, on each app served side by side, measured with wrk (bench/wrk.py).

A login hashes the password with argon2id, about 90 ms of CPU: where that runs in the event
loop, every other request of the process waits for it. Each round measures every app idle,
then under the storm, and the order of the apps alternates from round to round, so that a busy
moment of the machine weighs on both alike. The figures are the medians of the rounds.
"""

import statistics
import time
import urllib.parse
from dataclasses import asdict
from typing import Any

import httpx

from bench import wrk

EMAIL = "storm@example.com"
PASSWORD = "correct horse battery staple"
# The logins start this long before the /users/me run and end this long after it, so that the
# whole run is under the storm.
LEAD_SECONDS = 1.0


def sign_up(base_url: str) -> str:
    """Register the storm's user on an app and log in: its access token."""
    with httpx.Client(base_url=base_url, timeout=60) as http:
        registered = http.post("/auth/register", json={"email": EMAIL, "password": PASSWORD})
        if registered.status_code not in (201, 400):
            raise RuntimeError(f"registration failed: {registered.status_code} {registered.text}")
        login = http.post("/auth/jwt/login", data={"username": EMAIL, "password": PASSWORD})
        login.raise_for_status()
        token: str = login.json()["access_token"]
        return token


def one_round(
    base_url: str, token: str, *, connections: int, login_connections: int, seconds: float
) -> dict[str, Any]:
    """/users/me alone, then under a login storm: the figures of each wrk run."""
    me_url = base_url + "/users/me"
    me_env = {"WRK_TOKEN": token}
    idle = wrk.run(
        me_url, wrk.AUTHENTICATED_GET, connections=connections, seconds=seconds, env=me_env
    )
    form = urllib.parse.urlencode({"username": EMAIL, "password": PASSWORD})
    logins = wrk.start(
        base_url + "/auth/jwt/login", wrk.FORM_POST, connections=login_connections,
        seconds=seconds + 2 * LEAD_SECONDS, env={"WRK_BODY": form},
    )  # fmt: skip
    time.sleep(LEAD_SECONDS)
    storm = wrk.run(
        me_url, wrk.AUTHENTICATED_GET, connections=connections, seconds=seconds, env=me_env
    )
    return {"idle": idle, "storm": storm, "logins": wrk.finish(logins)}


def summary(figures: list[wrk.Figures]) -> dict[str, float]:
    """The medians of the rounds' throughput and latencies."""
    return {
        "per_second": statistics.median(f.per_second for f in figures),
        "p50_ms": statistics.median(f.p50_ms for f in figures),
        "p99_ms": statistics.median(f.p99_ms for f in figures),
    }


def measure(
    base_urls: dict[str, str],
    *,
    connections: int,
    login_connections: int,
    seconds: float,
    rounds: int,
) -> dict[str, dict[str, Any]]:
    """Every app idle and under the storm, `rounds` times in alternating order: for each app the
    median figures, the login rate, the errors, and every round's figures."""
    wrk.require_wrk()
    tokens = {app: sign_up(url) for app, url in base_urls.items()}
    measured: dict[str, list[dict[str, wrk.Figures]]] = {app: [] for app in base_urls}
    for round_number in range(rounds):
        order = list(base_urls) if round_number % 2 == 0 else list(reversed(base_urls))
        for app in order:
            measured[app].append(
                one_round(
                    base_urls[app],
                    tokens[app],
                    connections=connections,
                    login_connections=login_connections,
                    seconds=seconds,
                )
            )
    results: dict[str, dict[str, Any]] = {}
    for app, runs in measured.items():
        every = [figures for run in runs for figures in run.values()]
        results[app] = {
            "idle": summary([run["idle"] for run in runs]),
            "storm": summary([run["storm"] for run in runs]),
            "logins_per_second": statistics.median(run["logins"].good_per_second for run in runs),
            "bad_statuses": sum(f.bad_statuses for f in every),
            "failures": sum(f.failures for f in every),
            "rounds": [{kind: asdict(f) for kind, f in run.items()} for run in runs],
        }
    return results
