"""wrk, the HTTP load generator, run with a Lua script that reports its figures as JSON.

wrk is written in C and drives many connections from one thread, so the load it makes costs
the machine far less CPU than a Python client would, CPU the servers measured need. Debian and
Ubuntu ship it: `apt-get install wrk` (macOS: `brew install wrk`).
"""

import json
import os
import shutil
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

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
    waits for its figures. `env` holds the variables the script reads (WRK_TOKEN, WRK_BODY)."""
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
