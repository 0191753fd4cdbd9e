"""A generated project signs users in with a real OpenID Connect provider on loopback:
oauth2-mock-server (tooling/oauth-provider/, installed by `npm ci` there), which requires PKCE
of a code issued with a challenge, and a redirect_uri at the token endpoint that is the code's.

The app and the provider each run as a server; the test plays the browser, following the
provider's redirect back to the app's callback."""

import json
import os
import shutil
import sqlite3
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from urllib.parse import urlsplit

import httpx
import pytest

from tooling.rendering import OAUTH_EXTRA_COLUMNS, TEMPLATE_DIR, run
from tooling.servers import running_server

PROVIDER_DIR = TEMPLATE_DIR / "tooling" / "oauth-provider"
# The accounts of the provider, by the login_hint that signs in as each.
ACCOUNTS = {
    "ada": {"sub": "ada-4242", "email": "ada@example.com", "email_verified": True},
    "mallory": {"sub": "mallory-1", "email": "grace@example.com", "email_verified": False},
}
# Where the app is reached from outside, unlike the loopback address it is served at.
PUBLIC_URL = "https://api.example.com"
CALLBACK_PATH = "/auth/mock/callback"
CSRF_COOKIE = "fastapiusersoauthcsrf"
# As tests/conftest.py treats database servers: with CI=true, a missing provider fails.
IN_CI = os.environ.get("CI", "").lower() == "true"
OAUTH_REQUESTS_PER_ADDRESS = 10


def require_provider() -> None:
    """Skip unless Node and the npm packages are installed; with CI=true, fail."""
    missing = []
    if shutil.which("node") is None:
        missing.append("node")
    if not (PROVIDER_DIR / "node_modules" / "oauth2-mock-server").is_dir():
        missing.append(f"oauth2-mock-server (run `npm ci` in {PROVIDER_DIR})")
    if not missing:
        return
    message = f"OpenID Connect provider not installed: {', '.join(missing)}"
    if IN_CI:
        pytest.fail(f"{message} (CI=true: .ci/run installs it)")
    pytest.skip(message)


class Servers:
    """The app, signing in with the provider, and the app's database file."""

    def __init__(self, app_url: str, database: Path) -> None:
        self.app_url = app_url
        self.database = database

    def user_count(self, email: str) -> int:
        with sqlite3.connect(self.database) as connection:
            query = 'SELECT count(*) FROM "user" WHERE email = ?'
            count: int = connection.execute(query, (email,)).fetchone()[0]
            return count

    def authorize(self) -> tuple[str, str]:
        """Start a sign-in at the app: the provider's authorization URL, and the CSRF cookie."""
        response = httpx.get(f"{self.app_url}/auth/mock/authorize")
        assert response.status_code == 200, response.text
        return response.json()["authorization_url"], response.cookies[CSRF_COOKIE]

    def consent(self, authorization_url: str, account: str) -> str:
        """Sign in at the provider as `account`: the URL it sends the browser back to."""
        response = httpx.get(httpx.URL(authorization_url).copy_add_param("login_hint", account))
        assert response.is_redirect, response.text
        return response.headers["Location"]

    def callback(self, redirect: str, csrf_cookie: str) -> httpx.Response:
        """Come back to the app's callback with the provider's query, as a reverse proxy at the
        public URL would deliver it (the cookie is a secure one: the test sends it itself)."""
        url = f"{self.app_url}{CALLBACK_PATH}?{urlsplit(redirect).query}"
        return httpx.get(url, headers={"Cookie": f"{CSRF_COOKIE}={csrf_cookie}"})

    def sign_in(self, account: str) -> httpx.Response:
        authorization_url, csrf_cookie = self.authorize()
        return self.callback(self.consent(authorization_url, account), csrf_cookie)


@pytest.fixture(scope="module")
def servers(
    render: Callable[..., Path], tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Servers]:
    require_provider()
    # The answers of a variant of test_variants.py: the same render.
    project = render(
        id_type="uuid",
        db_driver="aiosqlite",
        extra_columns=OAUTH_EXTRA_COLUMNS,
        oauth=True,
        auth_strategy="database",
    )
    logs = tmp_path_factory.mktemp("oauth-provider")
    database = logs / "app.db"
    database_url = f"sqlite+aiosqlite:///{database}"
    upgrade = run(["alembic", "upgrade", "head"], project, DATABASE_URL=database_url)
    assert upgrade.returncode == 0, upgrade.stderr

    def provider(port: int) -> list[str]:
        return ["node", "provider.mjs", str(port), json.dumps(ACCOUNTS)]

    def app(port: int) -> list[str]:
        return [sys.executable, "-m", "my_api", "serve", "--port", str(port)]

    with running_server(
        provider,
        cwd=PROVIDER_DIR,
        env=os.environ,
        log=logs / "provider.log",
        ready_path="/.well-known/openid-configuration",
    ) as provider_url:
        env = {
            **os.environ,
            "DATABASE_URL": database_url,
            "SECRET_KEY": "s" * 40,
            "PUBLIC_URL": PUBLIC_URL,
            "OAUTH_NAME": "mock",
            "OAUTH_CLIENT_ID": "my-api",
            "OAUTH_CLIENT_SECRET": "my-api-client-credential",
            "OAUTH_AUTHORIZE_ENDPOINT": f"{provider_url}/authorize",
            "OAUTH_ACCESS_TOKEN_ENDPOINT": f"{provider_url}/token",
            "OAUTH_USERINFO_ENDPOINT": f"{provider_url}/userinfo",
            "THROTTLE_OAUTH_PER_ADDRESS": str(OAUTH_REQUESTS_PER_ADDRESS),
        }
        with running_server(app, cwd=project, env=env, log=logs / "app.log") as app_url:
            yield Servers(app_url, database)


def test_a_user_signs_in_and_the_token_works(servers: Servers) -> None:
    authorization_url, csrf_cookie = servers.authorize()
    redirect = servers.consent(authorization_url, "ada")
    callback = servers.callback(redirect, csrf_cookie)

    assert callback.status_code == 200, callback.text
    token = callback.json()["access_token"]
    me = httpx.get(f"{servers.app_url}/users/me", headers={"Authorization": f"Bearer {token}"})
    assert me.status_code == 200, me.text
    assert me.json()["email"] == "ada@example.com"
    # The provider was asked to send the user back to the public URL, not the one served at.
    assert redirect.startswith(f"{PUBLIC_URL}{CALLBACK_PATH}?")


def test_an_address_the_provider_has_not_verified_is_refused(servers: Servers) -> None:
    callback = servers.sign_in("mallory")

    assert callback.status_code == 400
    assert callback.json()["detail"] == "OAUTH_EMAIL_NOT_VERIFIED"
    assert servers.user_count(ACCOUNTS["mallory"]["email"]) == 0


def test_the_provider_refuses_a_code_brought_back_by_another_sign_in(servers: Servers) -> None:
    # A code issued to one sign-in, brought to the callback with another's state and cookie,
    # as an attacker would inject it: the PKCE verifier is not the code's.
    authorization_url, _ = servers.authorize()
    code = dict(httpx.URL(servers.consent(authorization_url, "ada")).params)["code"]
    other_url, other_cookie = servers.authorize()
    other_redirect = httpx.URL(servers.consent(other_url, "mallory"))

    injected = servers.callback(str(other_redirect.copy_set_param("code", code)), other_cookie)

    assert injected.status_code == 400, injected.text
    assert injected.json()["detail"] == "OAUTH_PROVIDER_REFUSED"


# Last: it spends what is left of the address's requests.
def test_sign_in_requests_are_throttled_per_address(servers: Servers) -> None:
    statuses = [
        httpx.get(f"{servers.app_url}/auth/mock/authorize").status_code
        for _ in range(OAUTH_REQUESTS_PER_ADDRESS + 1)
    ]

    assert statuses[-1] == 429
