"""The benchmark's wrk runner: its Lua scripts send what they should, and its figures are read
from wrk's own report, against a real HTTP server on loopback."""

import os
import shutil
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from bench import wrk
from tooling.servers import serving_in_thread

# A second of load is enough to check the figures; the test stays within a few seconds.
SECONDS = 1

pytestmark = pytest.mark.skipif(
    shutil.which("wrk") is None and os.environ.get("CI", "").lower() != "true",
    reason=wrk.INSTALL_HINT,
)


class Handler(BaseHTTPRequestHandler):
    """200 for GET /users/me with the expected bearer token, 400 for any POST, 401 otherwise."""

    protocol_version = "HTTP/1.1"
    seen: set[str] = set()

    def answer(self, status: int) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        if length:
            Handler.seen.add(self.rfile.read(length).decode())
        self.send_response(status)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def do_GET(self) -> None:
        authorized = self.headers.get("Authorization") == "Bearer the-token"
        self.answer(200 if authorized and self.path == "/users/me" else 401)

    def do_POST(self) -> None:
        Handler.seen.add(self.headers.get("Content-Type", ""))
        self.answer(400)

    def log_message(self, format: str, *args: object) -> None:
        """Quiet: wrk sends thousands of requests."""


class Server(ThreadingHTTPServer):
    """A loopback HTTP server that does not print the connections wrk drops when it stops."""

    def handle_error(self, request: object, client_address: object) -> None:
        pass


@pytest.fixture
def base_url() -> Iterator[str]:
    with serving_in_thread(Server(("127.0.0.1", 0), Handler)) as url:
        yield url


def test_an_authenticated_get_is_counted_with_its_latencies(base_url: str) -> None:
    figures = wrk.run(
        f"{base_url}/users/me",
        wrk.AUTHENTICATED_GET,
        connections=2,
        seconds=SECONDS,
        env={"WRK_TOKEN": "the-token"},
    )

    assert figures.requests > 0
    assert figures.bad_statuses == 0
    assert figures.failures == 0
    assert 0 < figures.p50_ms <= figures.p99_ms
    assert figures.good_per_second == pytest.approx(figures.requests / figures.seconds)


def test_a_form_post_runs_beside_another_and_counts_bad_statuses(base_url: str) -> None:
    Handler.seen.clear()
    posting = wrk.start(
        f"{base_url}/auth/jwt/login",
        wrk.FORM_POST,
        connections=1,
        seconds=SECONDS,
        env={"WRK_BODY": "username=ada%40example.com&password=secret"},
    )
    wrong_token = wrk.run(
        f"{base_url}/users/me",
        wrk.AUTHENTICATED_GET,
        connections=1,
        seconds=SECONDS,
        env={"WRK_TOKEN": "wrong"},
    )
    posted = wrk.finish(posting)

    assert posted.requests > 0
    assert posted.bad_statuses == posted.requests
    assert posted.good_per_second == 0
    assert wrong_token.bad_statuses == wrong_token.requests > 0
    assert {"application/x-www-form-urlencoded", "username=ada%40example.com&password=secret"} <= (
        Handler.seen
    )


def test_output_without_figures_is_an_error() -> None:
    with pytest.raises(RuntimeError, match="no figures"):
        wrk.parse("Running 1s test @ http://127.0.0.1:1\n")
