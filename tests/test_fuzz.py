"""An HTTP fuzzer for each rendered app, served for real on PostgreSQL and MariaDB, with integer
and UUID IDs, JWT and database tokens, OAuth, and unique columns of several types. No
answer may be a 5xx, and the server may log no traceback.

It sends two kinds of requests:

- schemathesis's, from the app's own OpenAPI schema: valid and invalid input for every route,
  signed in as a user and as a superuser;
- hostile ones, in every place a request carries input: each path and query parameter, each
  field of a JSON or form body, the JSON body as a whole, and raw bodies of other content types
  sent to every route. Each gets, in turn, each kind of input that breaks code written for
  well-formed text (HOSTILE_TEXT): lone UTF-16 surrogates, which JSON's escapes carry but which
  are no character; the NUL character; long values, past bcrypt's 72 bytes, a password's
  length, a column's and a parser's limits; deep nesting; numbers no float or int holds. The
  rest of the request is valid, drawn by schemathesis, so that the hostile value reaches the
  code behind the validation: a login names one of the fuzzer's accounts, among them one whose
  password was hashed with bcrypt, as by an earlier release.

The budget is fixed: EXAMPLES schemathesis examples for each route, identity and generation
mode, and HOSTILE_EXAMPLES for each place and kind of hostile input, drawn in a fixed order
(derandomized), so the run takes the same time every time."""

import asyncio
import contextlib
import json
import os
import sys
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import quote

import bcrypt
import httpx
import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from hypothesis.errors import Unsatisfiable
from schemathesis import GenerationMode
from sqlalchemy import column, table, update
from sqlalchemy.ext.asyncio import create_async_engine

from tooling.rendering import OAUTH_EXTRA_COLUMNS, UNTHROTTLED, run
from tooling.servers import running_server, serving_in_thread

# Examples for each route, identity and generation mode (valid, then invalid input).
EXAMPLES = 2
# Hostile requests for each place in a request and kind of hostile input.
HOSTILE_EXAMPLES = 1
PASSWORD = "fuzzing is a kind of testing"

# An account made before the project hashed with argon2id: its hash is bcrypt's, of a password
# longer than the 72 bytes bcrypt reads. It comes first: Hypothesis draws a strategy's simplest
# value, the first of a list, first.
LEGACY_EMAIL = "legacy@example.com"
LEGACY_PASSWORD = f"{PASSWORD}, from before argon2id, longer than bcrypt reads"
ACCOUNTS = [LEGACY_EMAIL, "user@example.com", "admin@example.com"]
BCRYPT_MAX_BYTES = 72

# The two server DBMS, whose columns refuse what SQLite stores (lengths, ranges, NUL
# characters): both ID types, both strategies, with OAuth, whose routes include every other.
VARIANTS = [
    pytest.param(
        "int", "asyncpg", True, "database", OAUTH_EXTRA_COLUMNS, id="int-asyncpg-oauth-database"
    ),
    pytest.param("uuid", "asyncmy", True, "jwt", OAUTH_EXTRA_COLUMNS, id="uuid-asyncmy-oauth-jwt"),
]

# The content types of the raw bodies sent to every route, whatever it reads.
RAW_CONTENT_TYPES = [
    "text/plain",
    "application/json",
    "application/x-www-form-urlencoded",
    "multipart/form-data; boundary=fuzz",
]


@dataclass(frozen=True)
class RawJSON:
    """JSON text sent as it is written: what json.dumps would not write, or not at this depth."""

    text: str


def nested(depth: int) -> str:
    """Arrays nested `depth` deep, past any parser's recursion limit for the deepest."""
    return "[" * depth + "]" * depth


def inserted(text: str, extra: str, at: int) -> str:
    """`text` with `extra` inserted at `at` (modulo its length)."""
    at %= len(text) + 1
    return text[:at] + extra + text[at:]


def repeated(text: str, length: int) -> str:
    """`text` repeated to `length` characters."""
    return (text * length)[:length]


# Hypothesis draws the simplest value of a strategy first, the first of a list: with the budget
# of one example a place and kind, the most hostile value of each list comes first, and more
# examples draw the others.
LONE_SURROGATES = st.characters(categories=["Cs"])
# A parser's buffers, then bcrypt's 72 bytes, a password's 128 characters, a column's 255 or
# 16383.
LENGTHS = st.sampled_from([100_000, 73, 129, 256, 16_384])
# Lengths that still fit a URL, which servers cap at a few kilobytes.
URL_LENGTHS = st.sampled_from([4_000, 73, 129, 256])
# Past any parser's recursion limit, then below it, where a recursive walk may still fail.
DEPTHS = st.sampled_from([100_000, 1_000, 100])
URL_DEPTHS = st.sampled_from([1_000, 100])


def hostile_text(kind: str, valid: str, in_url: bool = False) -> st.SearchStrategy[str]:
    """A string of the `kind` of HOSTILE_TEXT, made from a valid value where it can be."""
    base = valid or PASSWORD
    if kind == "surrogate":
        return st.builds(inserted, st.just(base), LONE_SURROGATES, st.integers(0, len(base)))
    if kind == "nul":
        return st.builds(inserted, st.just(base), st.just("\x00"), st.integers(0, len(base)))
    if kind == "long":
        lengths = URL_LENGTHS if in_url else LENGTHS
        # Characters of one to four bytes in UTF-8: few characters can make many bytes.
        return st.builds(repeated, st.sampled_from([base, "é", "😀"]), lengths)
    if kind == "nesting":
        return (URL_DEPTHS if in_url else DEPTHS).map(nested)
    raise ValueError(kind)


HOSTILE_TEXT = ["surrogate", "nul", "long", "nesting"]
# In JSON, text, but nested as JSON itself, and numbers past what Python reads or floats hold.
HOSTILE_JSON = ["surrogate", "nul", "long", "json-nesting", "number"]
HUGE_NUMBERS = ["1" * 5_000, "1e999999", "-1e-999999", "NaN", "-Infinity", str(2**64)]


def hostile_json(kind: str, valid: Any) -> st.SearchStrategy[Any]:
    """A JSON value of the `kind` of HOSTILE_JSON, made from a valid value where it can be."""
    if kind == "json-nesting":
        return DEPTHS.map(lambda depth: RawJSON(nested(depth)))
    if kind == "number":
        return st.sampled_from(HUGE_NUMBERS).map(RawJSON)
    return hostile_text(kind, valid if isinstance(valid, str) else "")


def to_json(value: Any) -> str:
    """`value` as JSON text, RawJSON as it is, and lone surrogates as the JSON escapes that
    carry them (json.dumps writes them so, as it writes every character outside ASCII)."""
    if isinstance(value, RawJSON):
        return value.text
    if isinstance(value, dict):
        return "{" + ",".join(f"{json.dumps(str(k))}:{to_json(v)}" for k, v in value.items()) + "}"
    if isinstance(value, list):
        return "[" + ",".join(to_json(item) for item in value) + "]"
    return json.dumps(value)


def url_quoted(value: Any) -> str:
    """A value percent-encoded for a URL or a form; a lone surrogate as the bytes UTF-8 would
    give it, which are not UTF-8 (what a client that does not check sends)."""
    return quote(str(value), safe="", errors="surrogatepass")


def raw_bodies(kind: str) -> st.SearchStrategy[bytes]:
    """A body of the `kind` of HOSTILE_TEXT, as raw bytes, or bytes that are not UTF-8."""
    if kind == "not-utf-8":
        return st.sampled_from([b"\xff\xfe\xfd", "\ud800".encode(errors="surrogatepass"), b"\xc3"])
    return hostile_text(kind, "").map(lambda text: text.encode(errors="surrogatepass"))


RAW_KINDS = [*HOSTILE_TEXT, "not-utf-8"]


@dataclass(frozen=True)
class Place:
    """Where a hostile value goes: a path or query parameter, a field of the body (`name`),
    the body as a whole (name None), or a raw body of a content type (`name`)."""

    location: str
    name: str | None = None

    def kinds(self) -> list[str]:
        if self.location == "raw":
            return RAW_KINDS
        if self.location in ("json-field", "json-body"):
            return HOSTILE_JSON
        return HOSTILE_TEXT


def resolved(openapi: dict[str, Any], schema: dict[str, Any]) -> dict[str, Any]:
    """A schema, its $ref followed."""
    while "$ref" in schema:
        *_, name = schema["$ref"].split("/")
        schema = openapi["components"]["schemas"][name]
    return schema


def places(openapi: dict[str, Any], operation: Any) -> list[Place]:
    """Every place of a request to `operation` that carries input, and raw bodies."""
    spec = openapi["paths"][operation.path][operation.method.lower()]
    found = [
        Place(parameter["in"], parameter["name"])
        for parameter in spec.get("parameters", [])
        if parameter["in"] in ("path", "query")
    ]
    for media_type, content in spec.get("requestBody", {}).get("content", {}).items():
        fields = resolved(openapi, content.get("schema", {})).get("properties", {})
        location = "json-field" if media_type == "application/json" else "form-field"
        found += [Place(location, name) for name in fields]
        if media_type == "application/json":
            found.append(Place("json-body"))
    return found + [Place("raw", content_type) for content_type in RAW_CONTENT_TYPES]


@st.composite
def hostile_requests(
    draw: Callable[[st.SearchStrategy[Any]], Any],
    operation: Any,
    place: Place,
    kind: str,
    base_url: str,
    identities: list[dict[str, str]],
) -> httpx.Request:
    """A valid request to `operation`, drawn by schemathesis, with a hostile value of `kind` in
    `place`; a field naming an account that is not the place names one of ACCOUNTS."""
    case = draw(operation.as_strategy(generation_mode=GenerationMode.POSITIVE))
    # A connection each: a server may close one after an error, with the next request sent.
    headers = {**draw(st.sampled_from(identities)), "Connection": "close"}
    path_parameters = {name: str(value) for name, value in (case.path_parameters or {}).items()}
    query = dict(case.query or {})
    body = case.body if isinstance(case.body, dict) else {}
    for name in ("username", "email"):
        if name in body and place.name != name:
            body[name] = draw(st.sampled_from(ACCOUNTS))

    if place.location == "path":
        path_parameters[place.name] = draw(hostile_text(kind, "", in_url=True))
    elif place.location == "query":
        query[place.name] = draw(hostile_text(kind, str(query.get(place.name, "")), in_url=True))
    elif place.location in ("json-field", "form-field"):
        valid = body.get(place.name, "")
        strategy = hostile_json if place.location == "json-field" else hostile_text
        body[place.name] = draw(strategy(kind, valid if isinstance(valid, str) else ""))

    if place.location == "raw":
        headers["Content-Type"] = str(place.name)
        content = draw(raw_bodies(kind))
    elif place.location == "json-body":
        headers["Content-Type"] = "application/json"
        content = to_json(draw(hostile_json(kind, ""))).encode()
    elif case.media_type == "application/json":
        headers["Content-Type"] = "application/json"
        content = to_json(case.body if not isinstance(case.body, dict) else body).encode()
    elif case.media_type is not None:
        headers["Content-Type"] = case.media_type
        pairs = (f"{url_quoted(name)}={url_quoted(value)}" for name, value in body.items())
        content = "&".join(pairs).encode()
    else:
        content = b""

    path = operation.path.format_map({k: url_quoted(v) for k, v in path_parameters.items()})
    query_string = "&".join(f"{url_quoted(k)}={url_quoted(v)}" for k, v in query.items())
    url = f"{base_url}{path}?{query_string}" if query_string else f"{base_url}{path}"
    return httpx.Request(operation.method.upper(), url, headers=headers, content=content)


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


async def set_bcrypt_hash(database_url: str, email: str, password: str) -> None:
    """Give the account a bcrypt hash of `password`, as bcrypt < 5 and passlib made them: of
    its first 72 bytes."""
    hashed = bcrypt.hashpw(password.encode()[:BCRYPT_MAX_BYTES], bcrypt.gensalt(4)).decode()
    users = table("user", column("email"), column("hashed_password"))
    engine = create_async_engine(database_url)
    try:
        async with engine.begin() as conn:
            await conn.execute(
                update(users).where(users.c.email == email).values(hashed_password=hashed)
            )
    finally:
        await engine.dispose()


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


@dataclass
class Findings:
    """The statuses of the requests sent, and a description of each 5xx."""

    statuses: Counter[int]
    server_errors: list[str]

    def count(self, label: str, response: httpx.Response, request: str) -> None:
        self.statuses[response.status_code] += 1
        if response.status_code >= 500:
            self.server_errors.append(
                f"{label}: {request[:500]} -> {response.status_code} {response.text[:200]}"
            )


FUZZ_SETTINGS = settings(
    derandomize=True,
    database=None,
    deadline=None,
    phases=[Phase.generate],
    suppress_health_check=list(HealthCheck),
)


def fuzz(
    operation: Any,
    mode: GenerationMode,
    base_url: str,
    headers: dict[str, str],
    label: str,
    findings: Findings,
) -> None:
    """Send EXAMPLES requests generated by schemathesis for `operation` in `mode`."""

    @settings(FUZZ_SETTINGS, max_examples=EXAMPLES)
    @given(case=operation.as_strategy(generation_mode=mode))
    def send(case: Any) -> None:
        response = case.call(base_url=base_url, headers=headers, timeout=30)
        findings.count(label, response, case.as_curl_command())

    # A route without parameters has no invalid input: there is nothing to send then.
    with contextlib.suppress(Unsatisfiable):
        send()


def describe(request: httpx.Request) -> str:
    """The request, as the first bytes of its method, URL, content type and body."""
    body = request.content[:200].decode(errors="backslashreplace")
    content_type = request.headers.get("Content-Type")
    return f"{request.method} {request.url} ({content_type}, {len(request.content)} bytes) {body}"


def send_all(
    requests: st.SearchStrategy[httpx.Request],
    label: str,
    client: httpx.Client,
    findings: Findings,
) -> None:
    """Send HOSTILE_EXAMPLES requests drawn from `requests`."""

    @settings(FUZZ_SETTINGS, max_examples=HOSTILE_EXAMPLES)
    @given(request=requests)
    def send(request: httpx.Request) -> None:
        findings.count(label, client.send(request), describe(request))

    send()


def fuzz_hostile(
    openapi: dict[str, Any],
    operation: Any,
    client: httpx.Client,
    base_url: str,
    identities: list[dict[str, str]],
    findings: Findings,
) -> None:
    """Send HOSTILE_EXAMPLES requests for each place of `operation` and kind of hostile input."""
    for place in places(openapi, operation):
        for kind in place.kinds():
            requests = hostile_requests(operation, place, kind, base_url, identities)
            send_all(requests, f"{kind} in {place}", client, findings)


def fuzz_served(served: Served, auth_strategy: str) -> Findings:
    """Make the fuzzer's accounts on a served app, then send it every request: what it got."""
    base_url = served.base_url
    login_path = f"/auth/{auth_strategy}/login"
    openapi = httpx.get(f"{base_url}/openapi.json").json()
    fields = required_fields(openapi)
    for email, password in [("user@example.com", PASSWORD), (LEGACY_EMAIL, LEGACY_PASSWORD)]:
        user = {"email": email, "password": password, **fields}
        assert httpx.post(f"{base_url}/auth/register", json=user).status_code == 201
    asyncio.run(set_bcrypt_hash(served.env["DATABASE_URL"], LEGACY_EMAIL, LEGACY_PASSWORD))
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
    findings = Findings(Counter(), [])
    with httpx.Client(timeout=30) as client:
        for operation in operations:
            for identity, headers in identities.items():
                for mode in GenerationMode:
                    label = f"{identity}, {mode.value} input"
                    fuzz(operation, mode, base_url, headers, label, findings)
            hostile_identities = list(identities.values())
            fuzz_hostile(openapi, operation, client, base_url, hostile_identities, findings)
    return findings


@pytest.mark.parametrize(("id_type", "driver", "oauth", "auth_strategy", "extra_columns"), VARIANTS)
def test_no_request_gets_a_5xx(
    served: Served,
    auth_strategy: str,
    request: pytest.FixtureRequest,
    record_property: Any,
    capsys: pytest.CaptureFixture[str],
) -> None:
    findings = fuzz_served(served, auth_strategy)

    statuses = findings.statuses
    requests = sum(statuses.values())
    errors = sum(count for status, count in statuses.items() if status >= 500)
    record_property("requests", requests)
    record_property("5xx", errors)
    with capsys.disabled():
        print(
            f"\nfuzz {request.node.callspec.id}: {requests} requests, {errors} 5xx; "
            f"statuses {dict(sorted(statuses.items()))}"
        )
    assert not findings.server_errors, "\n".join(findings.server_errors)
