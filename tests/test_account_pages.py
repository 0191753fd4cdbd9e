"""The account pages that the e-mails' links open (pages/), in a real browser: headless Chromium
from Debian's packages, driven by Playwright, on a served project whose e-mails reach an SMTP
server on loopback. A reset link refuses a weak password with its reason on the page and sets a
strong one, a verification link confirms the address, an address-change link moves the
account to its new address, and the passkeys page adds a passkey to Chromium's virtual
authenticator (the DevTools WebAuthn domain) that then signs in alone; every page has its
Content-Security-Policy, and the browser's console stays free of errors.

Without Playwright or /usr/bin/chromium the tests are skipped, saying so; with CI=true they fail,
since .ci/run installs both. One project is rendered and served for the module, and one browser
started: the tests share them, each with accounts of its own.
"""

# The annotations name Playwright's classes, which a machine without Playwright lacks.
from __future__ import annotations

import email
import email.policy
import os
import re
import sys
import threading
from collections.abc import Callable, Iterator
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import httpx
import pytest
from aiosmtpd.controller import Controller

from tooling.rendering import run
from tooling.servers import HOST, free_port, running_server

try:
    from playwright.sync_api import (
        Browser,
        ConsoleMessage,
        Locator,
        Page,
        Response,
        expect,
        sync_playwright,
    )
except ImportError:  # the `chromium` fixture skips the tests, saying so
    sync_playwright = None

# Debian's package (`apt-get install chromium`): Playwright's own builds cannot be downloaded
# everywhere, and this one is kept up to date by the system.
CHROMIUM = Path("/usr/bin/chromium")
# As tests/conftest.py treats database servers: with CI=true, a missing browser fails.
IN_CI = os.environ.get("CI", "").lower() == "true"

# Each browser step (a navigation, a click, an expectation) gets a few seconds, and a mailed
# link as long: the module takes seconds in all, and a step that hangs fails soon.
STEP_TIMEOUT_MS = 5_000
MAIL_TIMEOUT_SECONDS = 5
HTTP_TIMEOUT_SECONDS = 5

# Strong passwords by the project's policy (zxcvbn scores them 4), and one it refuses.
PASSWORD = "velvet tundra copper glade"
NEW_PASSWORD = "orbit quartz fennel harbour"
WEAK_PASSWORD = "password1"
# The policy's first sentence for a password zxcvbn scores too low (passwords/policy.py).
WEAK_PASSWORD_REASON = "too easy to guess"
# How Chromium's console reports a resource answered with an error status.
FAILED_TO_LOAD = "Failed to load resource: the server responded with"


def serve(port: int) -> list[str]:
    """`my_api serve`, the README's production command, on a loopback port."""
    return [sys.executable, "-m", "my_api", "serve", "--port", str(port)]


class Mailbox:
    """An aiosmtpd handler that keeps every message the SMTP server receives, for the tests to
    wait for: the app sends its e-mails in the background, after its response."""

    def __init__(self, port: int) -> None:
        self.port = port
        self.messages: list[tuple[list[str], EmailMessage]] = []
        self.arrived = threading.Condition()

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        message = email.message_from_bytes(envelope.content, policy=email.policy.default)
        assert isinstance(message, EmailMessage)
        with self.arrived:
            self.messages.append((list(envelope.rcpt_tos), message))
            self.arrived.notify_all()
        return "250 Message accepted for delivery"

    def text_to(self, recipient: str, containing: str) -> str:
        """The plain text of a message to `recipient` that holds `containing`, once it arrives."""

        def found() -> str | None:
            for recipients, message in self.messages:
                body = message.get_body(("plain",))
                text = body.get_content() if isinstance(body, EmailMessage) else ""
                if recipient in recipients and containing in text:
                    return text
            return None

        with self.arrived:
            text = self.arrived.wait_for(found, timeout=MAIL_TIMEOUT_SECONDS)
            if text is None:
                received = [(to, message["Subject"]) for to, message in self.messages]
                raise AssertionError(
                    f"no e-mail to {recipient} holding {containing!r} within "
                    f"{MAIL_TIMEOUT_SECONDS} s; received: {received}"
                )
            return text

    def link_to(self, recipient: str, page_url: str) -> str:
        """The link to `page_url`, with its token, in a message to `recipient`."""
        text = self.text_to(recipient, f"{page_url}?token=")
        link = re.search(re.escape(page_url) + r"\?token=\S+", text)
        assert link is not None
        return link.group()


class Api:
    """The served app's JSON API, as a client of the default variant (JWT, bearer) calls it."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.client = httpx.Client(base_url=url, timeout=HTTP_TIMEOUT_SECONDS)

    def register(self, email: str, password: str) -> None:
        registered = self.client.post("/auth/register", json={"email": email, "password": password})
        assert registered.status_code == 201, registered.text

    def log_in(self, email: str, password: str) -> httpx.Response:
        return self.client.post("/auth/jwt/login", data={"username": email, "password": password})

    def auth(self, email: str, password: str) -> dict[str, str]:
        """The headers of a request authenticated by a new login."""
        login = self.log_in(email, password)
        assert login.status_code == 200, login.text
        return {"Authorization": f"Bearer {login.json()['access_token']}"}

    def me(self, email: str, password: str) -> dict[str, Any]:
        """The user, as GET /users/me shows it after a login."""
        me = self.client.get("/users/me", headers=self.auth(email, password))
        assert me.status_code == 200, me.text
        user: dict[str, Any] = me.json()
        return user

    def post(self, path: str, body: dict[str, str], status_code: int) -> None:
        answer = self.client.post(path, json=body)
        assert answer.status_code == status_code, answer.text


class Tab:
    """A page in a browser context of its own, which records what the checks of every page
    need: the documents it loaded, and the errors its console reported (a refused resource,
    such as a Content-Security-Policy violation, is one)."""

    def __init__(self, page: Page) -> None:
        self.page = page
        self.documents: list[Response] = []
        # Where each error was reported, and what it said.
        self.console_errors: list[tuple[str, str]] = []
        page.on("response", self.record_document)
        page.on("console", self.record_console)
        page.on("pageerror", lambda error: self.console_errors.append((page.url, str(error))))

    def record_document(self, response: Response) -> None:
        if response.request.is_navigation_request():
            self.documents.append(response)

    def record_console(self, message: ConsoleMessage) -> None:
        if message.type == "error":
            self.console_errors.append((message.location.get("url", ""), message.text))

    def is_no_fault(self, url: str, error: str) -> bool:
        """Whether the error is the browser's report of a page's own 4xx status: a refused form
        answers 400, which the test checks itself. Any other resource that fails to load, the
        pages' icon and stylesheet included, is a fault."""
        if not error.startswith(FAILED_TO_LOAD):
            return False
        return any(
            document.url == url
            and error.startswith(f"{FAILED_TO_LOAD} a status of {document.status} ")
            for document in self.documents
        )

    def open(self, link: str) -> None:
        opened = self.page.goto(link)
        assert opened is not None and opened.status == 200, opened and opened.text()

    def submit(self, button: str) -> Response:
        """Click the form's button: the answer to the form's POST."""
        with self.page.expect_response(lambda answer: answer.request.method == "POST") as posted:
            self.page.get_by_role("button", name=button).click()
        return posted.value

    def heading(self) -> Locator:
        return self.page.get_by_role("heading", level=1)

    def assert_every_page_was_safe(self) -> None:
        """Every page came with a policy that lets it load nothing by default, and the browser
        reported no error while they loaded."""
        assert self.documents
        for document in self.documents:
            policy = document.headers.get("content-security-policy", "")
            assert "default-src 'none'" in policy, f"{document.url}: {policy!r}"
        faults = [
            f"{url}: {error}"
            for url, error in self.console_errors
            if not self.is_no_fault(url, error)
        ]
        assert not faults, "the browser's console reported:\n" + "\n".join(faults)


def described_by(field: Locator) -> Locator:
    """The elements that the field's aria-describedby ties to it."""
    ids = (field.get_attribute("aria-describedby") or "").split()
    assert ids, "the field has no aria-describedby"
    return field.page.locator(", ".join(f"[id='{id}']" for id in ids))


@pytest.fixture(scope="module", autouse=True)
def chromium() -> Path:
    """Debian's Chromium, which Playwright drives; skip the module, saying why, without either
    of them, or fail it with CI=true."""
    missing = []
    if sync_playwright is None:
        missing.append("Playwright (pip install '.[test]')")
    if not CHROMIUM.is_file():
        missing.append(f"Chromium at {CHROMIUM} (apt-get install chromium)")
    if missing:
        message = f"a real browser is needed, not installed: {', '.join(missing)}"
        if IN_CI:
            pytest.fail(f"{message} (CI=true: .ci/run installs it)")
        pytest.skip(message)
    return CHROMIUM


@pytest.fixture(scope="module")
def mailbox() -> Iterator[Mailbox]:
    """The messages of an SMTP server on a loopback port, the app's SMTP_PORT."""
    mailbox = Mailbox(port=free_port())
    controller = Controller(mailbox, hostname=HOST, port=mailbox.port)
    controller.start()
    try:
        yield mailbox
    finally:
        controller.stop()


@pytest.fixture(scope="module")
def api(
    render: Callable[..., Path], mailbox: Mailbox, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Api]:
    """The default variant served on SQLite, its pages on, its e-mails sent to `mailbox`."""
    project = render()
    logs = tmp_path_factory.mktemp("account-pages")
    database_url = f"sqlite+aiosqlite:///{logs / 'app.db'}"
    upgrade = run(["alembic", "upgrade", "head"], project, DATABASE_URL=database_url)
    assert upgrade.returncode == 0, upgrade.stderr

    # The links in the e-mails start with PUBLIC_URL: the port is chosen before the server starts.
    # Its host is localhost, not 127.0.0.1: browsers hold passkeys for a domain name only, and
    # the project's relying party is PUBLIC_URL's host.
    port = free_port()
    environment = {key: value for key, value in os.environ.items() if key != "ENVIRONMENT"}
    env = {
        **environment,
        "DATABASE_URL": database_url,
        "SECRET_KEY": "s" * 40,
        "PUBLIC_URL": f"http://localhost:{port}",
        "SMTP_HOST": HOST,
        "SMTP_PORT": str(mailbox.port),
        "SMTP_SECURITY": "none",
    }
    with running_server(serve, cwd=project, env=env, log=logs / "app.log", port=port):
        api = Api(env["PUBLIC_URL"])
        yield api
        api.client.close()


@pytest.fixture(scope="module")
def browser(chromium: Path) -> Iterator[Browser]:
    assert sync_playwright is not None
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=chromium, headless=True)
        # Each expectation waits as long as each action.
        expect.set_options(timeout=STEP_TIMEOUT_MS)
        yield browser
        browser.close()


@pytest.fixture
def tab(browser: Browser) -> Iterator[Tab]:
    """A fresh page: no cookie or cache of another test's."""
    context = browser.new_context()
    context.set_default_timeout(STEP_TIMEOUT_MS)
    try:
        yield Tab(context.new_page())
    finally:
        context.close()


def test_a_reset_link_refuses_a_weak_password_and_sets_a_strong_one(
    api: Api, mailbox: Mailbox, tab: Tab
) -> None:
    api.register("ada@example.com", PASSWORD)
    api.post("/auth/forgot-password", {"email": "ada@example.com"}, status_code=202)
    tab.open(mailbox.link_to("ada@example.com", f"{api.url}/reset-password"))

    new_password = tab.page.get_by_label("New password", exact=True)
    confirmation = tab.page.get_by_label("Confirm the new password", exact=True)
    new_password.fill(WEAK_PASSWORD)
    confirmation.fill(WEAK_PASSWORD)
    refused = tab.submit("Change my password")

    assert refused.status == 400
    expect(new_password).to_have_attribute("aria-invalid", "true")
    # The reason is on the page, and a screen reader reads it with the field.
    expect(described_by(new_password).filter(has_text=WEAK_PASSWORD_REASON)).to_be_visible()
    expect(new_password).to_have_accessible_description(re.compile(WEAK_PASSWORD_REASON))

    new_password.fill(NEW_PASSWORD)
    confirmation.fill(NEW_PASSWORD)
    accepted = tab.submit("Change my password")

    assert accepted.status == 200
    expect(tab.heading()).to_have_text("Password changed")
    assert api.log_in("ada@example.com", NEW_PASSWORD).status_code == 200
    assert api.log_in("ada@example.com", PASSWORD).status_code == 400
    tab.assert_every_page_was_safe()


def test_a_verification_link_confirms_the_address_with_its_button(
    api: Api, mailbox: Mailbox, tab: Tab
) -> None:
    api.register("grace@example.com", PASSWORD)
    api.post("/auth/request-verify-token", {"email": "grace@example.com"}, status_code=202)
    tab.open(mailbox.link_to("grace@example.com", f"{api.url}/verify"))

    # Opening the link, as a mail scanner does before its reader, confirms nothing.
    assert not api.me("grace@example.com", PASSWORD)["is_verified"]
    confirmed = tab.submit("Confirm my address")

    assert confirmed.status == 200
    expect(tab.heading()).to_have_text("Address confirmed")
    assert api.me("grace@example.com", PASSWORD)["is_verified"]
    tab.assert_every_page_was_safe()


def test_an_address_change_link_moves_the_account_to_the_new_address(
    api: Api, mailbox: Mailbox, tab: Tab
) -> None:
    old, new = "alan@example.com", "alan@example.org"
    api.register(old, PASSWORD)
    asked = api.client.patch(
        "/users/me",
        json={"email": new, "current_password": PASSWORD},
        headers=api.auth(old, PASSWORD),
    )
    assert asked.status_code == 200, asked.text
    assert asked.json()["email"] == old

    # The old address hears of the change; the link goes to the new one, which proves it.
    notice = mailbox.text_to(old, containing=new)
    assert "?token=" not in notice
    tab.open(mailbox.link_to(new, f"{api.url}/confirm-email-change"))
    expect(tab.page.get_by_text(new)).to_be_visible()
    changed = tab.submit("Confirm the new address")

    assert changed.status == 200
    expect(tab.heading()).to_have_text("Address changed")
    user = api.me(new, PASSWORD)
    assert (user["email"], user["is_verified"]) == (new, True)
    assert api.log_in(old, PASSWORD).status_code == 400
    tab.assert_every_page_was_safe()


def test_a_passkey_added_on_its_page_signs_in_alone(api: Api, tab: Tab) -> None:
    api.register("hedy@example.com", PASSWORD)
    tab.open(f"{api.url}/passkeys")
    # A platform authenticator that keeps discoverable credentials and verifies its user, as a
    # laptop's fingerprint reader does; it answers each ceremony at once.
    devtools = tab.page.context.new_cdp_session(tab.page)
    devtools.send("WebAuthn.enable", {"enableUI": False})
    authenticator = devtools.send(
        "WebAuthn.addVirtualAuthenticator",
        {
            "options": {
                "protocol": "ctap2",
                "transport": "internal",
                "hasResidentKey": True,
                "hasUserVerification": True,
                "isUserVerified": True,
                "automaticPresenceSimulation": True,
            }
        },
    )["authenticatorId"]
    status = tab.page.get_by_role("status")
    signed_in = tab.page.get_by_text("Signed in as hedy@example.com")

    tab.page.get_by_label("E-mail address").fill("hedy@example.com")
    tab.page.get_by_label("Password", exact=True).fill(PASSWORD)
    tab.page.get_by_role("button", name="Sign in", exact=True).click()
    expect(signed_in).to_be_visible()
    tab.page.get_by_label("Name of the new passkey").fill("Laptop")
    tab.page.get_by_role("button", name="Add a passkey").click()

    expect(status).to_have_text("Laptop was added.")
    expect(tab.page.locator("#recovery-code-list li")).to_have_count(10)
    expect(tab.page.get_by_role("button", name="Remove Laptop")).to_be_visible()
    stored = devtools.send("WebAuthn.getCredentials", {"authenticatorId": authenticator})
    assert [credential["isResidentCredential"] for credential in stored["credentials"]] == [True]
    # The password alone no longer signs in: a second step follows.
    assert api.log_in("hedy@example.com", PASSWORD).json()["mfa_required"] is True

    tab.page.get_by_role("button", name="Sign out").click()
    expect(status).to_have_text("Signed out.")
    tab.page.get_by_role("button", name="Sign in with a passkey").click()

    expect(signed_in).to_be_visible()
    tab.assert_every_page_was_safe()
