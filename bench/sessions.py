"""Sessions: `GET /users/me` of both apps, the generated app's refresh and both apps' logins,
measured with wrk (bench/wrk.py) on the two apps served side by side, first with the sessions
the benchmark's own logins started, then with many more loaded (bench/session_rows.py).

The generated app looks the session up with the user on every authenticated request, and a
refresh spends one refresh token for the next: the stock app, which has neither, is the
yardstick of /users/me. Each round measures every app in turn, in alternating order, so that a
busy moment of the machine weighs on both alike; the figures are the medians of the rounds.

Logins come last in an app's round, on fewer connections: the logins that wrk leaves in flight
when it stops go on hashing, and one more login, which waits for them, ends the round so that
they do not weigh on the next run.
"""

import urllib.parse
from collections.abc import Callable
from typing import Any

import httpx

from bench import wrk

EMAIL = "sessions@example.com"
PASSWORD = "correct horse battery staple"
LOGIN = "/auth/jwt/login"
REFRESH = "/auth/jwt/refresh"
# Refresh tokens beyond one per connection, for the refreshes whose answer an error loses.
SPARE_REFRESH_TOKENS = 2


def log_in(base_url: str, times: int) -> list[dict[str, Any]]:
    """Register the user of this run on an app (once), and log in `times`: the answers, one
    session each in the generated app."""
    with httpx.Client(base_url=base_url, timeout=60) as http:
        registered = http.post("/auth/register", json={"email": EMAIL, "password": PASSWORD})
        if registered.status_code not in (201, 400):
            raise RuntimeError(f"registration failed: {registered.status_code} {registered.text}")
        answers = []
        for _ in range(times):
            login = http.post(LOGIN, data={"username": EMAIL, "password": PASSWORD})
            login.raise_for_status()
            answers.append(login.json())
        return answers


def one_round(
    base_url: str,
    access_tokens: list[str],
    refreshes: bool,
    *,
    connections: int,
    login_connections: int,
    seconds: float,
) -> dict[str, wrk.Figures]:
    """/users/me with the access tokens, refresh with fresh sessions where the app has it, then
    logins: the figures of each wrk run."""
    runs = {
        "me": wrk.run(
            base_url + "/users/me",
            wrk.AUTHENTICATED_GETS,
            connections=connections,
            seconds=seconds,
            env={"WRK_TOKENS": " ".join(access_tokens)},
        )
    }
    if refreshes:
        refresh_tokens = [
            answer["refresh_token"]
            for answer in log_in(base_url, connections + SPARE_REFRESH_TOKENS)
        ]
        runs["refresh"] = wrk.run(
            base_url + REFRESH,
            wrk.REFRESH_POST,
            connections=connections,
            seconds=seconds,
            env={"WRK_TOKENS": " ".join(refresh_tokens)},
        )
    form = urllib.parse.urlencode({"username": EMAIL, "password": PASSWORD})
    runs["login"] = wrk.run(
        base_url + LOGIN,
        wrk.FORM_POST,
        connections=login_connections,
        seconds=seconds,
        env={"WRK_BODY": form},
    )
    log_in(base_url, 1)
    return runs


def measure_apps(
    base_urls: dict[str, str],
    *,
    connections: int,
    login_connections: int,
    seconds: float,
    rounds: int,
) -> dict[str, dict[str, Any]]:
    """Every app's runs, `rounds` times in alternating order: for each app the medians of
    each kind, the errors, and every round's figures."""
    answers = {app: log_in(url, connections) for app, url in base_urls.items()}
    access_tokens = {app: [a["access_token"] for a in found] for app, found in answers.items()}
    refreshes = {app: "refresh_token" in found[0] for app, found in answers.items()}
    measured = wrk.in_rounds(
        base_urls,
        rounds,
        lambda app: one_round(
            base_urls[app],
            access_tokens[app],
            refreshes[app],
            connections=connections,
            login_connections=login_connections,
            seconds=seconds,
        ),
    )
    results: dict[str, dict[str, Any]] = {}
    for app, runs in measured.items():
        kinds = {kind: wrk.medians([run[kind] for run in runs], good_only=True) for kind in runs[0]}
        results[app] = kinds | wrk.errors_and_rounds(runs)
    return results


def measure(
    base_urls: dict[str, str],
    load_sessions: Callable[[int], dict[str, float]],
    *,
    count: int,
    connections: int,
    login_connections: int,
    seconds: float,
    rounds: int,
) -> dict[str, dict[str, Any]]:
    """The apps as the benchmark's logins left them, then after load_sessions(count) put
    `count` more sessions in the generated app's database: for each app, the figures of
    each ("empty", "loaded"), and the seconds the load took."""
    wrk.require_wrk()
    options: dict[str, Any] = {
        "connections": connections,
        "login_connections": login_connections,
        "seconds": seconds,
        "rounds": rounds,
    }
    empty = measure_apps(base_urls, **options)
    load_seconds = load_sessions(count)
    loaded = measure_apps(base_urls, **options)
    return {
        app: {
            "empty": empty[app],
            "loaded": loaded[app],
            "sessions_loaded": count,
            "load_seconds": load_seconds[app],
        }
        for app in base_urls
    }
