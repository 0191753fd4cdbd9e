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
    measured = wrk.in_rounds(
        base_urls,
        rounds,
        lambda app: one_round(
            base_urls[app],
            tokens[app],
            connections=connections,
            login_connections=login_connections,
            seconds=seconds,
        ),
    )
    results: dict[str, dict[str, Any]] = {}
    for app, runs in measured.items():
        results[app] = {
            "idle": wrk.medians([run["idle"] for run in runs]),
            "storm": wrk.medians([run["storm"] for run in runs]),
            "logins_per_second": statistics.median(run["logins"].good_per_second for run in runs),
            **wrk.errors_and_rounds(runs),
        }
    return results
