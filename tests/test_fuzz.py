"""An HTTP fuzzer driven by each rendered app's own OpenAPI schema: schemathesis sends every
route generated valid and invalid input, signed in as a user and as a superuser, to the app
served for real on SQLite, PostgreSQL and MariaDB, with integer and UUID IDs, JWT and database
tokens, OAuth, and unique columns of several types. No answer may be a 5xx.

The budget is fixed: EXAMPLES examples for each route, identity and generation mode, drawn in
a fixed order (derandomized), so the run takes the same time every time."""

import contextlib
import os
import sys
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import httpx
import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis.errors import Unsatisfiable
from schemathesis import GenerationMode

from tooling.rendering import EXTRA_COLUMNS, OAUTH_EXTRA_COLUMNS, UNTHROTTLED, run
from tooling.servers import running_server, serving_in_thread

# Examples for each route, identity and generation mode (valid, then invalid input).
EXAMPLES = 20
PASSWORD = "fuzzing is a kind of testing"

VARIANTS = [
    pytest.param("uuid", "aiosqlite", False, "jwt", EXTRA_COLUMNS, id="uuid-aiosqlite-jwt"),
    pytest.param(
        "int", "asyncpg", True, "database", OAUTH_EXTRA_COLUMNS, id="int-asyncpg-oauth-database"
    ),
    pytest.param("int", "aiomysql", False, "database", EXTRA_COLUMNS, id="int-aiomysql-database"),
    pytest.param("uuid", "asyncmy", True, "jwt", OAUTH_EXTRA_COLUMNS, id="uuid-asyncmy-oauth-jwt"),
]


@dataclass(frozen=True)
class Served:
    """A rendered project served by uvicorn: its base URL, directory and environment."""

    base_url: str
    project: Path
    env: dict[str, str]


class RefusingProvider(BaseHTTPRequestHandler):
    """An OAuth provider that refuses every code, as a real one refuses made-up codes."""

    def do_POST(self) -> None:
        body = b'{"error": "invalid_grant"}'
        self.send_response(400)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: Any) -> None:
        """Quiet: the fuzzer's requests are counted, not logged."""


@contextlib.contextmanager
def refusing_provider() -> Iterator[str]:
    """The stand-in provider on a loopback port, in a thread: its base URL."""
    with serving_in_thread(ThreadingHTTPServer(("127.0.0.1", 0), RefusingProvider)) as url:
        yield url


def uvicorn(port: int) -> list[str]:
    return [sys.executable, "-m", "uvicorn", "my_api.app:app", "--port", str(port)]


def required_fields(openapi: dict[str, Any]) -> dict[str, Any]:
    """A value for each field that registration requires besides the address and password."""
    user_create = openapi["components"]["schemas"]["UserCreate"]
    samples = {"string": "fuzz", "integer": 1, "number": 1.5, "boolean": True}
    return {
        name: samples[user_create["properties"][name].get("type", "string")]
        for name in user_create.get("required", [])
        if name not in ("email", "password")
    }


def sign_in(base_url: str, email: str, login_path: str) -> dict[str, str]:
    response = httpx.post(f"{base_url}{login_path}", data={"username": email, "password": PASSWORD})
    assert response.status_code == 200, response.text
    return {"Authorization": f"Bearer {response.json()['access_token']}"}


def destructive_last(operation: Any) -> tuple[bool, str]:
    """Routes that end a session or delete users come last, so the others run signed in."""
    ends_session = operation.method.upper() == "DELETE" or operation.path.endswith("/logout")
    return ends_session, operation.label


@pytest.fixture
def served(
    render: Any,
    new_database: Any,
    tmp_path: Path,
    id_type: str,
    driver: str,
    oauth: bool,
    auth_strategy: str,
    extra_columns: str,
) -> Iterator["Served"]:
    """The rendered app, served by uvicorn on a migrated database of its own: its base URL."""
    answers = {"id_type": id_type, "db_driver": driver, "extra_columns": extra_columns}
    if oauth or auth_strategy != "jwt":
        answers |= {"oauth": oauth, "auth_strategy": auth_strategy}
    project = render(**answers)
    with new_database(driver) as url, refusing_provider() as provider:
        upgrade = run(["alembic", "upgrade", "head"], project, DATABASE_URL=url)
        assert upgrade.returncode == 0, upgrade.stderr
        env = {
            **os.environ,
            "DATABASE_URL": url,
            "SECRET_KEY": "s" * 40,
            # Every request comes from one address: the throttle would answer most with 429.
            **UNTHROTTLED,
            "OAUTH_CLIENT_ID": "fuzz",
            "OAUTH_CLIENT_SECRET": "fuzz",
            "OAUTH_AUTHORIZE_ENDPOINT": f"{provider}/authorize",
            "OAUTH_ACCESS_TOKEN_ENDPOINT": f"{provider}/token",
            "OAUTH_USERINFO_ENDPOINT": f"{provider}/userinfo",
        }
        log = tmp_path / "server.log"
        with running_server(uvicorn, cwd=project, env=env, log=log) as base_url:
            yield Served(base_url, project, env)
        assert "Traceback" not in log.read_text(), log.read_text()


def fuzz(
    operation: Any,
    mode: GenerationMode,
    base_url: str,
    headers: dict[str, str],
    label: str,
    statuses: Counter[int],
    server_errors: list[str],
) -> None:
    """Send EXAMPLES requests generated for `operation` in `mode`; count their statuses, and
    describe each 5xx in `server_errors`."""

    @settings(
        max_examples=EXAMPLES,
        derandomize=True,
        database=None,
        deadline=None,
        phases=[Phase.generate],
        suppress_health_check=list(HealthCheck),
    )
    @given(case=operation.as_strategy(generation_mode=mode))
    def send(case: Any) -> None:
        response = case.call(base_url=base_url, headers=headers, timeout=30)
        statuses[response.status_code] += 1
        if response.status_code >= 500:
            server_errors.append(
                f"{label}: {case.as_curl_command()} -> {response.status_code} {response.text[:200]}"
            )

    # A route without parameters has no invalid input: there is nothing to send then.
    with contextlib.suppress(Unsatisfiable):
        send()


@pytest.mark.parametrize(("id_type", "driver", "oauth", "auth_strategy", "extra_columns"), VARIANTS)
def test_no_request_gets_a_5xx(
    served: Served,
    auth_strategy: str,
    request: pytest.FixtureRequest,
    record_property: Any,
    capsys: pytest.CaptureFixture[str],
) -> None:
    base_url = served.base_url
    login_path = f"/auth/{auth_strategy}/login"
    openapi = httpx.get(f"{base_url}/openapi.json").json()
    fields = required_fields(openapi)
    user = {"email": "user@example.com", "password": PASSWORD, **fields}
    assert httpx.post(f"{base_url}/auth/register", json=user).status_code == 201
    field_options = [
        option for name, value in fields.items() for option in ("--field", f"{name}={value}")
    ]
    superuser = run(
        ["my_api", "users", "create", "admin@example.com", "--superuser", *field_options],
        served.project,
        **{**served.env, "USER_PASSWORD": PASSWORD},
    )
    assert superuser.returncode == 0, superuser.stderr
    identities = {
        "user": sign_in(base_url, "user@example.com", login_path),
        "superuser": sign_in(base_url, "admin@example.com", login_path),
    }

    schema = schemathesis.openapi.from_dict(openapi)
    operations = sorted(
        (result.ok() for result in schema.get_all_operations()), key=destructive_last
    )
    statuses: Counter[int] = Counter()
    server_errors: list[str] = []

    for operation in operations:
        for identity, headers in identities.items():
            for mode in GenerationMode:
                label = f"{identity}, {mode.value} input"
                fuzz(operation, mode, base_url, headers, label, statuses, server_errors)

    requests = sum(statuses.values())
    errors = sum(count for status, count in statuses.items() if status >= 500)
    record_property("requests", requests)
    record_property("5xx", errors)
    with capsys.disabled():
        print(
            f"\nfuzz {request.node.callspec.id}: {requests} requests, {errors} 5xx; "
            f"statuses {dict(sorted(statuses.items()))}"
        )
    assert not server_errors, "\n".join(server_errors)
