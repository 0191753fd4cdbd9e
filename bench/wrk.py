"""wrk, the HTTP load generator, run with a Lua script that reports its figures as JSON.

wrk is written in C and drives many connections from one thread, so the load it makes costs
the machine far less CPU than a Python client would, CPU the servers measured need. Debian and
Ubuntu ship it: `apt-get install wrk` (macOS: `brew install wrk`).
"""

import json
import os
import shutil
import statistics
import subprocess
import tempfile
from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

INSTALL_HINT = "wrk is not installed: `apt-get install wrk` (Debian, Ubuntu) or `brew install wrk`"
MARKER = "WRK_JSON "

# Written at the end of a run by wrk's done() hook: the counts and latency percentiles of every
# request, which wrk's text summary only rounds.
REPORT = r"""
done = function(summary, latency, requests)
  local errors = summary.errors
  io.write(string.format(
    'WRK_JSON {"requests": %d, "duration_us": %d, "connect_errors": %d, "read_errors": %d, ' ..
    '"write_errors": %d, "status_errors": %d, "timeouts": %d, "p50_us": %d, "p99_us": %d}\n',
    summary.requests, summary.duration, errors.connect, errors.read, errors.write,
    errors.status, errors.timeout, latency:percentile(50), latency:percentile(99)))
end
"""

# GET with the bearer token of WRK_TOKEN.
AUTHENTICATED_GET = """
wrk.headers["Authorization"] = "Bearer " .. os.getenv("WRK_TOKEN")
"""

# GET with the bearer tokens of WRK_TOKENS (separated by spaces), each request the next one.
AUTHENTICATED_GETS = """
local tokens = {}
for token in string.gmatch(os.getenv("WRK_TOKENS"), "%S+") do tokens[#tokens + 1] = token end
local last = 0
request = function()
  last = last % #tokens + 1
  return wrk.format(nil, nil, {["Authorization"] = "Bearer " .. tokens[last]})
end
"""

# POST of {"refresh_token": ...} with the refresh tokens of WRK_TOKENS, one per request: a
# refresh spends its token, and the next one, read from the answer, goes back to the pool.
# Once errors have emptied the pool, the requests send a token the app refuses, and count as
# errors.
REFRESH_POST = """
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
local pool = {}
for token in string.gmatch(os.getenv("WRK_TOKENS"), "%S+") do pool[#pool + 1] = token end
request = function()
  local token = table.remove(pool) or "spent"
  return wrk.format(nil, nil, nil, '{"refresh_token": "' .. token .. '"}')
end
response = function(status, headers, body)
  local token = string.match(body, '"refresh_token"%s*:%s*"([^"]+)"')
  if token then pool[#pool + 1] = token end
end
"""

# POST of the form in WRK_BODY, as the login route takes it.
FORM_POST = """
wrk.method = "POST"
wrk.body = os.getenv("WRK_BODY")
wrk.headers["Content-Type"] = "application/x-www-form-urlencoded"
"""


@dataclass
class Figures:
    """What one wrk run measured."""

    requests: int
    seconds: float
    # Responses other than 2xx or 3xx.
    bad_statuses: int
    # Connections that failed, and requests that timed out or broke off.
    failures: int
    p50_ms: float
    p99_ms: float

    @property
    def per_second(self) -> float:
        """Requests answered per second, whatever their status."""
        return self.requests / self.seconds

    @property
    def good_per_second(self) -> float:
        """Requests answered with 2xx or 3xx per second."""
        return (self.requests - self.bad_statuses) / self.seconds


def in_rounds(
    apps: Iterable[str], rounds: int, measure_round: Callable[[str], dict[str, Figures]]
) -> dict[str, list[dict[str, Figures]]]:
    """Each app's figures of `rounds` rounds of measure_round(app), the order of the apps
    reversed from one round to the next, so that a busy moment of the machine weighs on every
    app alike."""
    order = list(apps)
    measured: dict[str, list[dict[str, Figures]]] = {app: [] for app in order}
    for number in range(rounds):
        for app in order if number % 2 == 0 else reversed(order):
            measured[app].append(measure_round(app))
    return measured


def medians(figures: list[Figures], *, good_only: bool = False) -> dict[str, float]:
    """The medians of the rounds' throughput (of 2xx and 3xx answers alone with `good_only`)
    and latencies."""
    return {
        "per_second": statistics.median(
            f.good_per_second if good_only else f.per_second for f in figures
        ),
        "p50_ms": statistics.median(f.p50_ms for f in figures),
        "p99_ms": statistics.median(f.p99_ms for f in figures),
    }


def errors_and_rounds(runs: list[dict[str, Figures]]) -> dict[str, Any]:
    """The errors of an app's rounds, each a run of every kind, and every round's figures."""
    every = [figures for run in runs for figures in run.values()]
    return {
        "bad_statuses": sum(f.bad_statuses for f in every),
        "failures": sum(f.failures for f in every),
        "rounds": [{kind: asdict(f) for kind, f in run.items()} for run in runs],
    }


def require_wrk() -> str:
    """The path of wrk, or SystemExit with how to install it."""
    path = shutil.which("wrk")
    if path is None:
        raise SystemExit(INSTALL_HINT)
    return path


def parse(output: str) -> Figures:
    """The figures of the REPORT line in wrk's output."""
    for line in output.splitlines():
        if line.startswith(MARKER):
            raw = json.loads(line.removeprefix(MARKER))
            return Figures(
                requests=raw["requests"],
                seconds=raw["duration_us"] / 1e6,
                bad_statuses=raw["status_errors"],
                failures=raw["connect_errors"] + raw["read_errors"] + raw["write_errors"]
                + raw["timeouts"],
                p50_ms=raw["p50_us"] / 1000,
                p99_ms=raw["p99_us"] / 1000,
            )  # fmt: skip
    raise RuntimeError(f"wrk reported no figures:\n{output}")


@dataclass
class Running:
    """A wrk process that start() started, and its script file."""

    process: subprocess.Popen[str]
    script: Path


def start(
    url: str, script: str, *, connections: int, seconds: float, env: dict[str, str]
) -> Running:
    """Start wrk with one thread on `url` for `seconds`, the Lua `script` and REPORT; finish()
    waits for its figures. `env` holds the variables the script reads (WRK_TOKEN, WRK_TOKENS,
    WRK_BODY)."""
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as file:
        file.write(script + REPORT)
    command = [
        require_wrk(), "--threads", "1", "--connections", str(connections),
        "--duration", f"{seconds:g}s", "--timeout", "30s", "--script", file.name, url,
    ]  # fmt: skip
    process = subprocess.Popen(
        command, env={**os.environ, **env}, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
        text=True,
    )  # fmt: skip
    return Running(process, Path(file.name))


def finish(running: Running) -> Figures:
    """Wait for a wrk that start() started: its figures."""
    output, _ = running.process.communicate()
    running.script.unlink(missing_ok=True)
    if running.process.returncode != 0:
        raise RuntimeError(f"wrk failed with status {running.process.returncode}:\n{output}")
    return parse(output)


def run(url: str, script: str, *, connections: int, seconds: float, env: dict[str, str]) -> Figures:
    """Run wrk to the end: its figures."""
    return finish(start(url, script, connections=connections, seconds=seconds, env=env))
