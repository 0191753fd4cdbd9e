"""Every driver, both ID types on every DBMS, and the optional tables pairwise with both and
with every DBMS: the generated project lints, type-checks and passes its own suite against the
real DBMS."""

from collections.abc import Callable
from pathlib import Path

import pytest

from tooling.drivers import server_url
from tooling.rendering import EXTRA_COLUMNS, OAUTH_EXTRA_COLUMNS, run


def variant(
    id_type: str,
    driver: str,
    oauth: bool,
    auth_strategy: str,
    extra_columns: str,
    suffix: str = "",
    auth_transport: str = "bearer",
) -> object:
    """A set of answers, named `<id_type>-<driver>[-<suffix>]`."""
    name = "-".join(part for part in (id_type, driver, suffix) if part)
    return pytest.param(
        id_type, driver, oauth, auth_strategy, extra_columns, auth_transport, id=name
    )


# Six variants: each driver runs; each DBMS with both ID types, with every column type, and with
# oauth=yes and auth_strategy=database, which meet each other, both ID types and a project
# without them (pairwise). One starts without extra columns, as a project does by default. The
# drivers of one DBMS differ in how they bind values, which every suite exercises. The cookie
# transport alone on SQLite with JWTs, where the suite serves the app in processes for a
# browser's round trip, and on PostgreSQL with stored tokens and OAuth sign-in, whose callback
# answers in cookies; beside bearer tokens on MySQL.
VARIANTS = [
    variant("int", "aiosqlite", False, "jwt", EXTRA_COLUMNS, "cookie", "cookie"),
    variant("uuid", "aiosqlite", True, "database", OAUTH_EXTRA_COLUMNS, "oauth-database"),
    variant("uuid", "asyncpg", False, "jwt", EXTRA_COLUMNS),
    variant(
        "int", "psycopg", True, "database", OAUTH_EXTRA_COLUMNS, "oauth-database-cookie", "cookie"
    ),
    variant("uuid", "asyncmy", True, "jwt", "", "oauth-no-columns"),
    variant("int", "aiomysql", False, "database", EXTRA_COLUMNS, "database-both", "both"),
]
# The variant whose suite also runs the tests that start the app in uvicorn processes (marked
# `servers` in the generated project): SQLite, whose processes share one file, the hardest case
# of counts that workers share. What they check does not vary with the ID type or the driver,
# and the counters' SQL of each server DBMS runs in every suite's own process, whose
# connections share the counts as processes do.
WITH_SERVERS = {"int-aiosqlite-cookie"}
# The generated tests whose outcome the DBMS and its driver do not change: the account pages,
# the e-mails, the password policy, the settings, CORS, the validation of input, the current
# password's check, and the session routes' and revocation's logic. They run in the SQLite
# variants, which between them take every answer these tests depend on (both transports'
# cookies or none, OAuth or not, both ID types and strategies); the variants on a server leave
# them out.
DBMS_INDEPENDENT_TESTS = (
    "tests/test_pages.py",
    "tests/test_mail.py",
    "tests/test_passwords.py",
    "tests/test_settings.py",
    "tests/test_cors.py",
    "tests/test_validation.py",
    "tests/test_current_password.py",
    "tests/test_sessions_routes.py",
    "tests/test_revocation.py",
)
# The second driver of each server DBMS, whose first runs the rest of the suite (psycopg's
# variant on PostgreSQL, aiomysql's on MariaDB), runs the tests of what a driver changes: how
# each table's values are bound and read back (asyncpg's own codecs, strict about dates), the
# errors it raises and the URLs it takes, on the UUID columns the first's variant does not
# have, and OAuth's where the first has none. Their throttled and OAuth routes are fuzzed
# (tests/test_fuzz.py), and their upgrades from earlier releases run their own tests
# (tests/test_history.py).
DRIVER_TESTS = (
    "tests/test_user_database.py",
    "tests/test_users.py",
    "tests/test_refusals.py",
    "tests/test_sessions.py",
    "tests/test_audit.py",
    "tests/test_second_factor.py",
    "tests/test_passkeys.py",
    "tests/test_oauth.py",
    "tests/test_token_encryption.py",
    "tests/test_engine.py",
    "tests/test_outage.py",
    "tests/test_development.py",
    "tests/test_migrations.py",
)
SECOND_DRIVERS = {"uuid-asyncpg", "uuid-asyncmy-oauth-no-columns"}
PARAMETERS = ("id_type", "driver", "oauth", "auth_strategy", "extra_columns", "auth_transport")


@pytest.fixture
def project(
    render: Callable[..., Path],
    id_type: str,
    driver: str,
    oauth: bool,
    auth_strategy: str,
    extra_columns: str,
    auth_transport: str,
) -> Path:
    answers = {"id_type": id_type, "db_driver": driver, "extra_columns": extra_columns}
    if oauth or auth_strategy != "jwt":  # else the defaults: the same render as other tests
        answers |= {"oauth": oauth, "auth_strategy": auth_strategy}
    if auth_transport != "bearer":
        answers["auth_transport"] = auth_transport
    return render(**answers)


@pytest.mark.parametrize(PARAMETERS, VARIANTS)
def test_generated_suite_passes(
    project: Path,
    driver: str,
    require_server: Callable[[str], None],
    request: pytest.FixtureRequest,
) -> None:
    require_server(driver)
    name = request.node.callspec.id
    with_servers = name in WITH_SERVERS
    if name in SECOND_DRIVERS:
        # Those of the variant's answers; none of them starts servers.
        options = [path for path in DRIVER_TESTS if (project / path).is_file()]
    else:
        options = [] if with_servers else ["-m", "not servers"]
        if driver != "aiosqlite":
            options += [f"--ignore={path}" for path in DBMS_INDEPENDENT_TESTS]

    result = run(
        ["pytest", "-q", "-p", "no:cacheprovider", *options],
        project,
        DATABASE_URL=server_url(driver),
    )

    assert result.returncode == 0, result.stdout + result.stderr
    assert " passed" in result.stdout
    assert "skipped" not in result.stdout
    assert ("deselected" in result.stdout) == ("-m" in options)


@pytest.mark.parametrize(PARAMETERS, VARIANTS)
def test_generated_code_passes_ruff(project: Path) -> None:
    check = run(["ruff", "check", "--no-cache", "."], project)
    assert check.returncode == 0, check.stdout + check.stderr

    formatting = run(["ruff", "format", "--check", "--no-cache", "."], project)
    assert formatting.returncode == 0, formatting.stdout + formatting.stderr


@pytest.mark.parametrize(PARAMETERS, VARIANTS)
def test_generated_code_passes_mypy(project: Path, mypy_cache: Path) -> None:
    result = run(["mypy", "--cache-dir", str(mypy_cache), "."], project)

    assert result.returncode == 0, result.stdout + result.stderr
