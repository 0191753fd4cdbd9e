"""What the oauth, auth_strategy, auth_transport and second_factor answers, and the command
line, put into a project."""

import os
import re
import subprocess
import sys
import tomllib
from collections.abc import Callable
from pathlib import Path

import pytest


@pytest.mark.parametrize("auth_strategy", ["jwt", "database"])
@pytest.mark.parametrize("oauth", [False, True])
def test_optional_files_and_dependencies_follow_the_answers(
    render: Callable[..., Path], oauth: bool, auth_strategy: str
) -> None:
    project = render(oauth=oauth, auth_strategy=auth_strategy)
    package = project / "my_api"

    pyproject = tomllib.loads((project / "pyproject.toml").read_text())
    dependencies = " ".join(pyproject["project"]["dependencies"])
    db = (package / "db.py").read_text()
    users = (package / "users.py").read_text()
    database = auth_strategy == "database"
    assert (package / "accounts/oauth.py").is_file() == oauth
    assert (project / "tests/test_oauth.py").is_file() == oauth
    assert ("httpx-oauth" in dependencies) == oauth
    assert ("class OAuthAccount(" in db) == oauth
    assert ('relationship(\n        "OAuthAccount", lazy="joined"' in db) == oauth
    assert ("UserDatabase(session, User, OAuthAccount)" in db) == oauth
    assert (project / "tests/test_access_tokens.py").is_file() == database
    assert ("class AccessToken(" in db) == database
    assert ("async def get_access_token_db(" in db) == database
    assert ("SessionStrategy(SessionStore(session), request, access_token_db)" in users) == database
    assert ("access_tokens = VerifiedTokens(" in users) != database
    assert (package / "accounts/verified_tokens.py").is_file() != database
    assert (project / "tests/test_verified_tokens.py").is_file() != database
    assert f'tokenUrl="auth/{auth_strategy}/login"' in users


@pytest.mark.parametrize("auth_transport", ["bearer", "cookie", "both"])
def test_the_cookie_transport_and_its_csrf_check_follow_the_answer(
    render: Callable[..., Path], auth_transport: str
) -> None:
    # The default: the same render as other tests.
    project = render() if auth_transport == "bearer" else render(auth_transport=auth_transport)
    package = project / "my_api"

    users = (package / "users.py").read_text()
    app = (package / "app.py").read_text()
    cookies = auth_transport != "bearer"
    assert (package / "sessions/cookies.py").is_file() == cookies
    assert (package / "web/csrf.py").is_file() == cookies
    assert (project / "tests/test_cookies.py").is_file() == cookies
    assert ("cookie_secure: bool = True" in (package / "settings.py").read_text()) == cookies
    assert ("CSRFProtection," in app) == cookies
    assert ("allow_origins(app, settings.cors_origins, credentials=True)" in app) == cookies
    assert ('prefix="/auth/jwt"' in app) == (auth_transport != "cookie")
    assert ("bearer_transport = BearerSessionTransport(" in users) == (auth_transport != "cookie")
    assert ("cookie_transport = CookieSessionTransport(" in users) == cookies
    backends = {
        "bearer": "[auth_backend]",
        "cookie": "[auth_backend]",
        "both": "[auth_backend, cookie_backend]",
    }
    assert f"(get_user_manager, {backends[auth_transport]})" in users
    assert ('name="cookie"' in users) == cookies


@pytest.mark.parametrize("second_factor", [True, False])
def test_two_step_sign_in_follows_the_answer(
    render: Callable[..., Path], second_factor: bool
) -> None:
    # Yes is the default: the same render as other tests.
    project = render() if second_factor else render(second_factor=False)
    package = project / "my_api"

    pyproject = tomllib.loads((project / "pyproject.toml").read_text())
    dependencies = " ".join(pyproject["project"]["dependencies"])
    db = (package / "db.py").read_text()
    app = (package / "app.py").read_text()
    revision = package / "migrations/versions/0007_create_second_factor_tables.py"
    assert (package / "second_factor").is_dir() == second_factor
    assert (project / "tests/test_second_factor.py").is_file() == second_factor
    assert (project / "tests/test_passkeys.py").is_file() == second_factor
    assert (project / "tests/authenticator.py").is_file() == second_factor
    assert revision.is_file() == second_factor
    for dependency in ("pyotp", "segno", "webauthn"):
        assert (dependency in dependencies) == second_factor
    # cryptography encrypts the TOTP secrets, and otherwise only OAuth's tokens.
    assert ("cryptography" in dependencies) == second_factor
    assert (package / "database/encryption.py").is_file() == second_factor
    tables = ("class UserTOTP(", "class RecoveryCode(", "class Passkey(", "reauthenticated_at")
    for table in tables:
        assert (table in db) == second_factor
    assert ("second_factor_router.router" in app) == second_factor
    assert ("second_factor" in (package / "audit/events.py").read_text()) == second_factor
    assert (package / "mail/templates/second_factor.txt").is_file() == second_factor
    everything = " ".join(path.read_text() for path in package.rglob("*.py"))
    assert ("totp" in everything.lower()) == ("passkey" in everything.lower()) == second_factor


def test_command_line_is_a_console_script_and_a_module(render: Callable[..., Path]) -> None:
    project = render()

    pyproject = tomllib.loads((project / "pyproject.toml").read_text())

    assert pyproject["project"]["scripts"] == {"my_api": "my_api.__main__:main"}
    dependencies = pyproject["project"]["dependencies"]
    assert any(dependency.startswith("typer") for dependency in dependencies)
    assert (project / "my_api/__main__.py").is_file()
    assert (project / "my_api/cli/__init__.py").is_file()


# The DDL of the optional tables on SQLite, PostgreSQL and MySQL/MariaDB, from the models.
PRINT_DDL = """
from sqlalchemy.dialects import mysql, postgresql, sqlite
from sqlalchemy.schema import CreateTable
from my_api.db import AccessToken, OAuthAccount
for dialect in (sqlite.dialect(), postgresql.dialect(), mysql.dialect()):
    for table in (OAuthAccount.__table__, AccessToken.__table__):
        print(CreateTable(table).compile(dialect=dialect))
"""


FOREIGN_KEY = r"FOREIGN KEY\(user_id\) REFERENCES \W?user\W? \(id\) ON DELETE cascade"


@pytest.mark.parametrize(
    ("id_type", "user_id_types"),
    [("int", ["INTEGER", "INTEGER", "INTEGER"]), ("uuid", ["CHAR(36)", "UUID", "CHAR(36)"])],
)
def test_optional_tables_refer_to_users_by_their_id_type_with_cascade(
    render: Callable[..., Path], id_type: str, user_id_types: list[str]
) -> None:
    project = render(id_type=id_type, oauth=True, auth_strategy="database")

    result = subprocess.run(
        [sys.executable, "-c", PRINT_DDL],
        cwd=project,
        env={**os.environ, "SECRET_KEY": "k" * 40},
        capture_output=True,
        text=True,
        check=False,
    )

    assert result.returncode == 0, result.stderr
    tables = [table for table in result.stdout.split("CREATE TABLE ") if table.strip()]
    expected = [type_ for type_ in user_id_types for _ in ("oauth_account", "accesstoken")]
    assert len(tables) == len(expected)
    for table, user_id_type in zip(tables, expected, strict=True):
        assert f"user_id {user_id_type} NOT NULL" in table, table
        assert re.search(FOREIGN_KEY, table), table
