"""`copier update` from real earlier commits of this repository to its working tree: a project
made then, with rows, a route and notes of its own, ends with the schema of a project made
today, its rows and edits kept, and its own suite green, with nothing for the user to write.

The template's history must be in this clone (a full clone, not a shallow one): each project is
copied from the commit itself, so that its answers file names that commit, as a real project's
does, and then updated from a repository whose last commit is the working tree."""

import ast
import importlib.util
import os
import re
import shutil
import sqlite3
import subprocess
import sys
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from tooling.drivers import server_url
from tooling.macros import render
from tooling.rendering import TEMPLATE_DIR, run

GIT_IDENTITY = {
    "GIT_AUTHOR_NAME": "Template Tests",
    "GIT_AUTHOR_EMAIL": "tests@example.com",
    "GIT_COMMITTER_NAME": "Template Tests",
    "GIT_COMMITTER_EMAIL": "tests@example.com",
}
# The commits projects are made from, and why each.
RELEASES = {
    # Before the OAuth tables took Text tokens and the first revision the throttle's table.
    "f719fbf": "the last release before the e-mail and throttling features",
    # Before the lookups became case-insensitive: no lower(email) index, and on MySQL/MariaDB
    # tables in the database's default collation.
    "731c417": "the last release before case-insensitive e-mail lookups",
    # The flat layout, with today's first two revisions.
    "7d492c7": "the last commit before the package was laid out by concern",
}
COLUMNS = "nickname:str(32)? unique, plan:str=free index"
PASSWORD = "a long and unguessable passphrase 7421"
# The user's own work in the project: notes in the README, and a route in app.py, among the
# routers, before the OAuth one (a project adds it once it has OAuth). Appended at the end of
# app.py, after the example route of the flat layout, it would conflict with today's app.py,
# which has moved the example to routes/.
OUR_NOTES = "## Our notes\n\nDeploy on Fridays, after the backup.\n\n"
NOTES_BEFORE = "## Configuration"
OUR_ROUTE = (
    "\n\n\n"
    '@app.get("/our/status")\n'
    "async def our_status() -> dict[str, str]:\n"
    '    """Our own route."""\n'
    '    return {"status": "ours"}\n'
    "\n"
)
ROUTE_BEFORE = "\nif oauth_client is not None:\n"
CONFLICT = re.compile(r"^(<{7}|>{7})( |$)", re.MULTILINE)
# The team's edit in a module that moved: the subject of the password-reset e-mail.
SUBJECT = 'f"Reset your {PROJECT_NAME} password"'
OUR_SUBJECT = 'f"Choose a new {PROJECT_NAME} password"'


def git(cwd: Path, *args: str) -> str:
    result = subprocess.run(
        ["git", *args],
        cwd=cwd,
        env={**GIT_IDENTITY, "PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": str(cwd)},
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, f"git {' '.join(args)}: {result.stderr}"
    return result.stdout


def commit_all(repository: Path, message: str) -> None:
    git(repository, "add", "--all")
    git(repository, "commit", "--quiet", "--allow-empty", "--message", message)


def succeeds(args: list[str], cwd: Path, **env: str) -> str:
    """Run `python -m <args>` in `cwd`; its output, after asserting that it succeeded."""
    result = run(args, cwd, **env)
    assert result.returncode == 0, f"{' '.join(args)}:\n{result.stdout}\n{result.stderr}"
    return result.stdout


def python(project: Path, database_url: str, code: str) -> str:
    """Run code of the user's in the project, on the database: its output."""
    result = subprocess.run(
        [sys.executable, "-c", code],
        cwd=project,
        env={**os.environ, "DATABASE_URL": database_url},
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    return result.stdout


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A clone of this repository, its history included, with the working tree committed on top:
    `--vcs-ref <commit>` copies an earlier release, `--vcs-ref HEAD` updates to today's."""
    for commit, what in RELEASES.items():
        found = subprocess.run(
            ["git", "cat-file", "-e", f"{commit}^{{commit}}"], cwd=TEMPLATE_DIR, check=False
        )
        if found.returncode != 0:
            pytest.fail(
                f"commit {commit} ({what}) is not in the history of {TEMPLATE_DIR}: these tests "
                "need a full clone (git fetch --unshallow)"
            )
    repository = tmp_path_factory.mktemp("history") / "template"
    git(TEMPLATE_DIR, "clone", "--quiet", "--no-checkout", str(TEMPLATE_DIR), str(repository))
    # On this clone's HEAD, whatever branch it is on, with an empty index: the next commit holds
    # exactly the files of the working tree.
    head = git(TEMPLATE_DIR, "rev-parse", "HEAD").strip()
    git(repository, "update-ref", "--no-deref", "HEAD", head)
    git(repository, "read-tree", "--empty")
    listed = git(TEMPLATE_DIR, "ls-files", "--cached", "--others", "--exclude-standard", "-z")
    for name in filter(None, listed.split("\0")):
        source = TEMPLATE_DIR / name
        if source.is_file():
            (repository / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, repository / name)
    commit_all(repository, "The working tree")
    return repository


@dataclass(frozen=True)
class History:
    """A project made from `made_at` with `answers`, updated on the way with `updates` (each a
    commit and the answers changed then, followed by an autogenerated revision when the
    answers change the tables), then to the working tree."""

    made_at: str
    driver: str
    answers: dict[str, str]
    updates: list[tuple[str, dict[str, str]]] = field(default_factory=list)
    # An edit of the team's in a module that today's layout moved: (the module then, the
    # module now).
    moved_edit: tuple[str, str] | None = None

    @property
    def made_with_oauth(self) -> bool:
        return self.answers.get("oauth") == "true"


HISTORIES = [
    pytest.param(
        History("f719fbf", "aiosqlite", {"oauth": "true", "extra_columns": COLUMNS}),
        id="f719fbf-aiosqlite-oauth",
    ),
    pytest.param(
        History(
            "7d492c7",
            "asyncpg",
            {"oauth": "true", "auth_strategy": "database", "extra_columns": COLUMNS},
            moved_edit=("mail.py", "mail/messages.py"),
        ),
        id="7d492c7-asyncpg-oauth",
    ),
    # OAuth turned on by an update to 7d492c7, whose table the user autogenerated then, before
    # today's revisions existed: they must follow the user's revision, not fork beside it.
    pytest.param(
        History(
            "731c417",
            "asyncmy",
            {"id_type": "int", "extra_columns": COLUMNS},
            updates=[("7d492c7", {"oauth": "true"})],
        ),
        id="731c417-asyncmy-oauth-later",
    ),
]


def data(answers: dict[str, str]) -> list[str]:
    return [
        argument for name, value in answers.items() for argument in ("--data", f"{name}={value}")
    ]


def add_users(oauth: bool) -> str:
    """Code of the user's that adds two users, through the old project's own models, one with
    an OAuth account."""
    account = (
        """
        users[0].oauth_accounts.append(
            OAuthAccount(
                oauth_name="google", access_token="t" * 1000, refresh_token="r" * 1000,
                account_id="42", account_email="grace@example.com",
            )
        )"""
        if oauth
        else ""
    )
    return f"""
import asyncio
from my_api.db import {"OAuthAccount, " if oauth else ""}User, async_session_maker

async def main():
    async with async_session_maker() as session:
        users = [
            User(email="grace@example.com", hashed_password="x", nickname="grace"),
            User(email="alan@example.com", hashed_password="x", plan="pro"),
        ]{account}
        session.add_all(users)
        await session.commit()

asyncio.run(main())
"""


# Today's code reads the rows back, and serves the user's route on the upgraded database.
READ_BACK = """
import asyncio
from fastapi.testclient import TestClient
from sqlalchemy import select
from my_api.app import app
from my_api.db import User, async_session_maker, engine

async def main():
    async with async_session_maker() as session:
        users = (await session.scalars(select(User).order_by(User.email))).unique().all()
        for user in users:
            accounts = [
                (a.oauth_name, len(a.access_token), len(a.refresh_token or ""))
                for a in getattr(user, "oauth_accounts", [])
            ]
            print(user.email, user.nickname, user.plan, user.is_superuser, accounts)
    # The app's requests run on an event loop of their own.
    await engine.dispose()

asyncio.run(main())
with TestClient(app) as client:
    print(client.get("/our/status").json())
"""


def add_our_route(project: Path) -> None:
    """The user's route, once the project has the OAuth router it goes before."""
    app = project / "my_api/app.py"
    text = app.read_text()
    if ROUTE_BEFORE in text and OUR_ROUTE not in text:
        app.write_text(text.replace(ROUTE_BEFORE, OUR_ROUTE + ROUTE_BEFORE, 1))


def flat_layout_modules(project: Path) -> list[str]:
    """The modules of the flat layout that the update left, as the project's
    tests/test_layout.py lists them (MOVED), for the team to move their edits out of and delete."""
    test_layout = project / "tests/test_layout.py"
    if not test_layout.is_file():
        return []
    for statement in ast.parse(test_layout.read_text()).body:
        if isinstance(statement, ast.Assign) and any(
            isinstance(target, ast.Name) and target.id == "MOVED" for target in statement.targets
        ):
            moved = ast.literal_eval(statement.value)
            return sorted(name for name in moved if (project / "my_api" / name).exists())
    raise AssertionError(f"no MOVED in {test_layout}")


def no_conflicts(project: Path) -> Iterator[str]:
    """Files of the project that hold conflict markers, or that are rejected hunks."""
    listed = git(project, "ls-files", "--cached", "--others", "--exclude-standard", "-z")
    # An unmerged file is listed once a stage.
    for name in sorted(set(filter(None, listed.split("\0")))):
        path = project / name
        rejected = name.endswith(".rej")
        if rejected or (path.is_file() and CONFLICT.search(path.read_text(errors="replace"))):
            yield name


@pytest.mark.parametrize("history", HISTORIES)
def test_a_project_of_an_earlier_release_updates_to_todays(
    template: Path,
    tmp_path: Path,
    new_database: Callable[[str], AbstractContextManager[str]],
    history: History,
) -> None:
    project = tmp_path / "project"
    answers = {"db_driver": history.driver, **history.answers}
    copied = run(
        ["copier", "copy", "--defaults", "--vcs-ref", history.made_at, *data(answers)]
        + [str(template), str(project)],
        tmp_path,
    )
    assert copied.returncode == 0, f"copier copy of {history.made_at}:\n{copied.stderr}"
    answers_file = (project / ".copier-answers.yml").read_text()
    assert re.search(rf"^_commit: (.*-g)?{history.made_at}", answers_file, re.MULTILINE)
    git(project, "init", "--quiet")
    commit_all(project, "Start from the template")

    with new_database(history.driver) as database_url:
        # The old project, as its README said: migrate, then users through its command line and
        # its models; and the team's own route and notes.
        succeeds(["my_api", "db", "upgrade"], project, DATABASE_URL=database_url)
        succeeds(
            ["my_api", "users", "create", "ada@example.com", "--superuser"],
            project,
            DATABASE_URL=database_url,
            USER_PASSWORD=PASSWORD,
        )
        python(project, database_url, add_users(history.made_with_oauth))
        add_our_route(project)
        if history.moved_edit:
            module = project / "my_api" / history.moved_edit[0]
            module.write_text(module.read_text().replace(SUBJECT, OUR_SUBJECT))
        readme = (project / "README.md").read_text()
        assert NOTES_BEFORE in readme
        (project / "README.md").write_text(readme.replace(NOTES_BEFORE, OUR_NOTES + NOTES_BEFORE))
        commit_all(project, "Our route and notes")

        for commit, changed in history.updates:
            updated = run(
                ["copier", "update", "--defaults", "--vcs-ref", commit, *data(changed)], project
            )
            assert updated.returncode == 0, f"copier update to {commit}:\n{updated.stderr}"
            assert not list(no_conflicts(project))
            commit_all(project, f"Update to {commit}")
            # What that release's message said to do after a change of the answers, once the
            # database has its revisions (autogenerate refuses a database behind them).
            succeeds(["my_api", "db", "upgrade"], project, DATABASE_URL=database_url)
            succeeds(
                ["alembic", "revision", "--autogenerate", "-m", "What changed"],
                project,
                DATABASE_URL=database_url,
            )
            succeeds(["my_api", "db", "upgrade"], project, DATABASE_URL=database_url)
            add_our_route(project)
            commit_all(project, "Migrate what changed")
        assert OUR_ROUTE in (project / "my_api/app.py").read_text()

        updated = run(["copier", "update", "--defaults", "--vcs-ref", "HEAD"], project)

        assert updated.returncode == 0, f"copier update to the working tree:\n{updated.stderr}"
        assert list(no_conflicts(project)) == []
        assert OUR_ROUTE in (project / "my_api/app.py").read_text()
        assert OUR_NOTES in (project / "README.md").read_text()
        # The modules of the flat layout stay, with the team's edits, and the project's
        # tests/test_layout.py names each with its new place until they are gone.
        left = flat_layout_modules(project)
        layout = run(["pytest", "-q", "-p", "no:cacheprovider", "tests/test_layout.py"], project)
        assert layout.returncode != 0
        for name in left:
            assert f"{name} -> " in layout.stdout, layout.stdout
        if history.moved_edit:
            then, now = (project / "my_api" / name for name in history.moved_edit)
            assert OUR_SUBJECT in then.read_text()
            # As the CHANGELOG says: the team carries its edit into the new place.
            assert SUBJECT in now.read_text()
            now.write_text(now.read_text().replace(SUBJECT, OUR_SUBJECT))
        for name in left:
            git(project, "rm", "-r", "--quiet", f"my_api/{name}")
        commit_all(project, "Update to today's template")

        # To `head`: Alembic refuses if the template's revisions and the project's own made two.
        succeeds(["my_api", "db", "upgrade"], project, DATABASE_URL=database_url)
        succeeds(["alembic", "check"], project, DATABASE_URL=database_url)
        rows = python(project, database_url, READ_BACK).splitlines()

        account = [("google", 1000, 1000)] if history.made_with_oauth else []
        assert rows == [
            "ada@example.com None free True []",
            "alan@example.com None pro False []",
            f"grace@example.com grace free False {account}",
            "{'status': 'ours'}",
        ]

    suite = run(
        ["pytest", "-q", "-p", "no:cacheprovider", "-m", "not servers"],
        project,
        DATABASE_URL=server_url(history.driver),
    )
    assert suite.returncode == 0, suite.stdout + suite.stderr
    assert " passed" in suite.stdout


CATCH_UP = "0003_bring_earlier_tables_up_to_date.py"


Revision = tuple[str, str]


def declaration(
    revision: str, down_revision: str | tuple[str, ...] | None, wrapped: bool = False
) -> str:
    """A revision file's identifiers, as script.py.mako and ruff write them, without operations."""
    down = repr(down_revision).replace("'", '"')
    if wrapped and isinstance(down_revision, tuple):
        down = "(\n" + "".join(f'    "{name}",\n' for name in down_revision) + ")"
    return f'revision: str = "{revision}"\ndown_revision: str | Sequence[str] | None = {down}\n'


def own(revision: str, down_revision: str | tuple[str, ...], wrapped: bool = False) -> Revision:
    """A revision of the project's, named by its alembic.ini's file_template."""
    return f"2026_12_01_0930-{revision}_ours.py", declaration(revision, down_revision, wrapped)


def shipped(revision: str, down_revision: str | tuple[str, ...] | None) -> Revision:
    """A revision of the template's, named by its number."""
    return f"{revision}_shipped.py", declaration(revision, down_revision)


@pytest.mark.parametrize(
    ("others", "follows"),
    [
        pytest.param([], "0002", id="a-new-project"),
        pytest.param([own("a1", "0002")], "a1", id="a-revision-of-its-own-after-0002"),
        pytest.param([own("a1", "0002"), own("b2", "a1")], "b2", id="a-chain-of-its-own"),
        # CHANGELOG (7d492c7): a revision after 0001 met 0002, and `alembic merge heads`.
        pytest.param([own("a1", "0001"), own("m3", ("0002", "a1"))], "m3", id="a-merge"),
        # The same, its down_revision on several lines, as ruff formats a long tuple.
        pytest.param(
            [own("a1", "0001"), own("m3", ("0002", "a1"), wrapped=True)],
            "m3",
            id="a-merge-over-several-lines",
        ),
        pytest.param(
            [own("a1", "0002"), own("b2", "0002")], ("a1", "b2"), id="two-heads-of-its-own"
        ),
        pytest.param(
            [own("a1", "0003"), own("b2", "a1")], "0002", id="revisions-after-it-stay-after"
        ),
        pytest.param([own("a1", "0002"), own("b2", "0003")], "a1", id="before-and-after-it"),
        pytest.param(
            [shipped("0004", "0003"), own("a1", "0004")], "0002", id="a-later-template-revision"
        ),
        # A team that numbers its revisions as the template does (alembic revision --rev-id).
        pytest.param([own("0004", "0002")], "0004", id="a-numbered-revision-of-its-own"),
    ],
)
def test_the_template_revision_follows_the_projects_own(
    tmp_path: Path, others: list[Revision], follows: str | tuple[str, ...]
) -> None:
    """0003 arrives in projects that may have revisions of their own after 0002: it follows
    their heads, so that the chain keeps one head, and stays before the revisions that follow
    it."""
    source = TEMPLATE_DIR / "template/{{package_name}}/migrations/versions" / f"{CATCH_UP}.jinja"
    (tmp_path / CATCH_UP).write_text(render(source.read_text(), dbms="sqlite", oauth=True))
    for name, text in [shipped("0001", None), shipped("0002", "0001"), *others]:
        (tmp_path / name).write_text(text)

    spec = importlib.util.spec_from_file_location("catch_up", tmp_path / CATCH_UP)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)

    assert module.revision == "0003"
    assert module.down_revision == follows


def test_addresses_in_two_cases_stop_the_upgrade_naming_them(
    template: Path, tmp_path: Path
) -> None:
    """A database made before the lower(email) index may hold an address in two cases: 0003
    cannot make the index then, says which addresses, and makes it once they are dealt with."""
    project = tmp_path / "project"
    copied = run(
        ["copier", "copy", "--defaults", "--vcs-ref", "HEAD", str(template), str(project)], tmp_path
    )
    assert copied.returncode == 0, copied.stderr
    database = tmp_path / "old.db"
    database_url = f"sqlite+aiosqlite:///{database}"
    succeeds(["alembic", "upgrade", "0002"], project, DATABASE_URL=database_url)
    with sqlite3.connect(database) as connection:
        connection.execute("DROP INDEX ix_user_email_lower")
        connection.executemany(
            "INSERT INTO user VALUES (?, ?, 'x', 1, 0, 0)",
            [("0" * 31 + "1", "Ada@example.com"), ("0" * 31 + "2", "ada@example.com")],
        )

    result = run(["alembic", "upgrade", "head"], project, DATABASE_URL=database_url)

    assert result.returncode != 0
    assert "Users share an e-mail address but for the case" in result.stderr
    assert "Ada@example.com" in result.stderr
    # Once the team has dealt with them, the upgrade makes the index.
    with sqlite3.connect(database) as connection:
        connection.execute(
            "UPDATE user SET email = 'ada.old@example.com' WHERE email = ?", ["Ada@example.com"]
        )
    succeeds(["alembic", "upgrade", "head"], project, DATABASE_URL=database_url)
    with sqlite3.connect(database) as connection:
        index = "SELECT sql FROM sqlite_master WHERE name = 'ix_user_email_lower'"
        assert connection.execute(index).fetchone() == (
            "CREATE UNIQUE INDEX ix_user_email_lower ON user (lower(email))",
        )
        assert connection.execute("SELECT count(*) FROM user").fetchone() == (2,)
