"""`copier update`, run with git as users run it: template changes and changed answers arrive,
the user's edits and rows survive, and changes the database cannot follow are refused."""

import re
import subprocess
from collections.abc import Callable
from contextlib import AbstractContextManager
from pathlib import Path

import pytest

from tooling.projects import commit_all, git, python, tagged_template
from tooling.rendering import run

VERSIONS = Path("my_api/migrations/versions")
FIRST_REVISION = VERSIONS / "0001_create_user_table.py"
# The revisions every project starts with.
SHIPPED_REVISIONS = {
    FIRST_REVISION.name,
    "0002_create_rate_limit_table.py",
    "0003_bring_earlier_tables_up_to_date.py",
    "0004_protect_stored_tokens.py",
    "0005_create_session_tables.py",
    "0006_create_audit_table.py",
    "0007_create_second_factor_tables.py",
}
TEMPLATE_VERSIONS = Path("template/{{package_name}}/migrations/versions")


def copier(cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """The plain Copier CLI: no --trust."""
    return run(["copier", *args], cwd)


def edit(path: Path, old: str, new: str) -> None:
    text = path.read_text()
    assert old in text, f"{old!r} not in {path}"
    path.write_text(text.replace(old, new, 1))


@pytest.fixture
def template(tmp_path: Path) -> Path:
    """A git copy of this template, the working tree as it is, tagged 1.0.0."""
    return tagged_template(tmp_path / "template")


@pytest.fixture
def new_project(template: Path, tmp_path: Path) -> Callable[..., Path]:
    """`copier copy` from the template, then the first commit, as a user starts."""

    def _new_project(*answers: str) -> Path:
        project = tmp_path / "project"
        data = [argument for answer in answers for argument in ("--data", answer)]
        result = copier(tmp_path, "copy", "--defaults", *data, str(template), str(project))
        assert result.returncode == 0, result.stderr
        git(project, "init", "--quiet")
        commit_all(project, "Start from the template")
        return project

    return _new_project


def update(project: Path, *answers: str) -> subprocess.CompletedProcess[str]:
    data = [argument for answer in answers for argument in ("--data", answer)]
    return copier(project, "update", "--defaults", *data)


def alembic(project: Path, database_url: str, *args: str) -> subprocess.CompletedProcess[str]:
    result = run(["alembic", *args], project, DATABASE_URL=database_url)
    assert result.returncode == 0, result.stdout + result.stderr
    return result


ADD_USERS = """
import asyncio
from my_api.db import User, async_session_maker

async def main():
    async with async_session_maker() as session:
        session.add_all(
            User(email=f"user{i}@example.com", hashed_password="x", nickname=f"n{i}")
            for i in range(3)
        )
        await session.commit()

asyncio.run(main())
"""

READ_USERS = """
import asyncio
from sqlalchemy import select
from my_api.db import User, async_session_maker

async def main():
    async with async_session_maker() as session:
        users = (await session.scalars(select(User).order_by(User.email))).all()
        print([(user.email, user.nickname, user.level) for user in users])

asyncio.run(main())
"""


def test_template_changes_arrive_and_the_users_edits_stay(
    template: Path, new_project: Callable[..., Path]
) -> None:
    project = new_project()
    first_revision = (project / FIRST_REVISION).read_text()
    # The user's own work: a section of the README, a setting, and a docstring of the app.
    edit(
        project / "README.md",
        "## Configuration",
        "## Our notes\n\nDeploy on Fridays.\n\n## Configuration",
    )
    edit(
        project / "my_api/settings.py",
        "default=900, ge=1, le=MAX_ACCESS_TOKEN_LIFETIME_SECONDS",
        "default=600, ge=1, le=MAX_ACCESS_TOKEN_LIFETIME_SECONDS",
    )
    edit(project / "my_api/routes/examples.py", "An example of a route", "Our route")
    commit_all(project, "Our changes")
    # A later template release changes the README's first line, the same docstring, and the
    # first revision.
    edit(template / "template/README.md.jinja", "A FastAPI application", "An HTTP API")
    edit(
        template / "template/{{package_name}}/routes/examples.py.jinja",
        "An example of a route",
        "A route",
    )
    edit(
        template / "template/{{package_name}}/migrations/versions/0001_create_user_table.py.jinja",
        '"""Create the ',
        '"""Create, in the first revision, the ',
    )
    commit_all(template, "Improve the template")
    git(template, "tag", "1.1.0")

    result = update(project)

    assert result.returncode == 0, result.stderr
    readme = (project / "README.md").read_text()
    assert readme.startswith("# My API\n\nAn HTTP API")
    assert "Deploy on Fridays." in readme
    assert "default=600, ge=1," in (project / "my_api/settings.py").read_text()
    routes = (project / "my_api/routes/examples.py").read_text()
    assert re.search(r"<<<<<<< .*Our route.*=======.*A route.*>>>>>>> ", routes, re.DOTALL), routes
    assert (project / FIRST_REVISION).read_text() == first_revision
    assert "1.1.0" in (project / ".copier-answers.yml").read_text()


def upgrade_body(revision: Path) -> str:
    text = revision.read_text()
    return text[text.index("def upgrade()") : text.index("def downgrade()")]


# SQLite, whose revision recreates the table (batch), and MySQL, whose DDL commits as it goes;
# PostgreSQL's revision is MySQL's op.add_column, in a transaction.
@pytest.mark.parametrize("driver", ["aiosqlite", "asyncmy"])
def test_a_new_column_reaches_a_database_that_holds_users(
    new_project: Callable[..., Path],
    new_database: Callable[[str], AbstractContextManager[str]],
    driver: str,
) -> None:
    with new_database(driver) as database_url:
        project = new_project(f"db_driver={driver}", "extra_columns=nickname:str(32)?")
        alembic(project, database_url, "upgrade", "head")
        python(project, database_url, ADD_USERS)

        result = update(project, "extra_columns=nickname:str(32)?, level:int=1")

        assert result.returncode == 0, result.stderr
        assert "level: Mapped[int]" in (project / "my_api/db.py").read_text()
        assert "level: int" in (project / "my_api/schemas.py").read_text()
        commit_all(project, "Add the level column")

        alembic(project, database_url, "revision", "--autogenerate", "-m", "Add the level column")
        [revision] = [
            path for path in (project / VERSIONS).glob("*.py") if path.name not in SHIPPED_REVISIONS
        ]
        operations = re.findall(r"\bop\.\w+|\bbatch_op\.\w+", upgrade_body(revision))
        assert operations in (["op.add_column"], ["op.batch_alter_table", "batch_op.add_column"])
        assert '"level"' in upgrade_body(revision)
        alembic(project, database_url, "upgrade", "head")
        alembic(project, database_url, "check")

        assert python(project, database_url, READ_USERS).strip() == str(
            [(f"user{i}@example.com", f"n{i}", 1) for i in range(3)]
        )


READ_EMAILS_AND_TABLES = """
import asyncio
from sqlalchemy import inspect, select
from my_api.db import User, async_session_maker

async def main():
    async with async_session_maker() as session:
        emails = (await session.scalars(select(User.email).order_by(User.email))).all()
        tables = await (await session.connection()).run_sync(
            lambda sync: sorted(inspect(sync).get_table_names())
        )
    print(list(emails), tables)

asyncio.run(main())
"""


# On SQLite; tests/test_history.py updates real earlier releases that hold users through the
# later revisions on PostgreSQL and MySQL/MariaDB.
@pytest.mark.parametrize("driver", ["aiosqlite"])
def test_a_new_revision_of_the_template_upgrades_a_database_that_holds_users(
    template: Path,
    new_project: Callable[..., Path],
    new_database: Callable[[str], AbstractContextManager[str]],
    driver: str,
) -> None:
    # A release with the first revision only, then one with the later ones too.
    later_revisions = {
        path: path.read_text()
        for path in (template / TEMPLATE_VERSIONS).glob("*.jinja")
        if not path.name.startswith("0001_")
    }
    for path in later_revisions:
        path.unlink()
    commit_all(template, "A release with one revision")
    git(template, "tag", "1.0.1")
    with new_database(driver) as database_url:
        project = new_project(f"db_driver={driver}", "extra_columns=nickname:str(32)?")
        alembic(project, database_url, "upgrade", "head")
        python(project, database_url, ADD_USERS)
        for path, source in later_revisions.items():
            path.write_text(source)
        commit_all(template, "The throttle's revision")
        git(template, "tag", "1.1.0")

        result = update(project)

        assert result.returncode == 0, result.stderr
        assert (project / "my_api/migrations/versions/0002_create_rate_limit_table.py").is_file()
        alembic(project, database_url, "upgrade", "head")
        alembic(project, database_url, "check")
        emails, tables = python(project, database_url, READ_EMAILS_AND_TABLES).split("] [")
    assert emails == str([f"user{i}@example.com" for i in range(3)])[:-1]
    assert "'rate_limit'" in tables


@pytest.mark.parametrize(
    ("extra_columns", "message"),
    [
        ("nickname:str(32)?, level:int", "level: a new column that is NOT NULL needs a default"),
        (
            "nickname:str(32)?, code:str(8)=x unique",
            "code: a new unique column cannot have a default",
        ),
    ],
)
def test_a_new_column_that_rows_cannot_take_is_refused(
    new_project: Callable[..., Path], extra_columns: str, message: str
) -> None:
    project = new_project("extra_columns=nickname:str(32)?")

    result = update(project, f"extra_columns={extra_columns}")

    assert result.returncode != 0
    assert message in result.stderr
    assert git(project, "status", "--porcelain") == ""


def test_autogenerate_refuses_a_hand_made_not_null_column(
    new_project: Callable[..., Path], tmp_path: Path
) -> None:
    project = new_project()
    database_url = f"sqlite+aiosqlite:///{tmp_path / 'project.db'}"
    alembic(project, database_url, "upgrade", "head")
    db = project / "my_api/db.py"
    edit(
        db,
        '"""A user account: the FastAPI Users columns."""',
        '"""A user account."""\n\n    level: Mapped[int]',
    )

    result = run(
        ["alembic", "revision", "--autogenerate", "-m", "Add level"],
        project,
        DATABASE_URL=database_url,
    )

    assert result.returncode != 0
    assert "user.level is NOT NULL without a server default" in result.stderr
    assert {path.name for path in (project / VERSIONS).glob("*.py")} == SHIPPED_REVISIONS


def test_the_id_type_of_a_project_cannot_change(new_project: Callable[..., Path]) -> None:
    project = new_project("id_type=uuid")

    result = update(project, "id_type=int")

    assert result.returncode != 0
    assert "would orphan every row that refers to a user" in result.stderr
    assert git(project, "status", "--porcelain") == ""


def test_a_new_driver_switches_dependency_url_and_migrations(
    new_project: Callable[..., Path], new_database: Callable[[str], AbstractContextManager[str]]
) -> None:
    project = new_project("db_driver=aiosqlite")

    result = update(project, "db_driver=asyncpg")

    assert result.returncode == 0, result.stderr
    pyproject = (project / "pyproject.toml").read_text()
    assert '"asyncpg' in pyproject and "aiosqlite" not in pyproject
    assert (
        'database_url: str = "postgresql+asyncpg://' in (project / "my_api/settings.py").read_text()
    )
    with new_database("asyncpg") as database_url:
        alembic(project, database_url, "upgrade", "head")
        alembic(project, database_url, "check")


def test_another_driver_of_the_same_dbms_keeps_the_url(new_project: Callable[..., Path]) -> None:
    project = new_project(
        "db_driver=asyncpg", "database_url=postgresql+asyncpg://app@db.internal:5433/accounts"
    )

    result = update(project, "db_driver=psycopg")

    assert result.returncode == 0, result.stderr
    settings = (project / "my_api/settings.py").read_text()
    assert 'database_url: str = "postgresql+psycopg://app@db.internal:5433/accounts"' in settings


STORE_A_LONG_TOKEN = """
import asyncio
from my_api.db import OAuthAccount, User, async_session_maker

async def main():
    async with async_session_maker() as session:
        user = User(email="ada@example.com", hashed_password="x")
        user.oauth_accounts.append(
            OAuthAccount(
                oauth_name="entra", access_token="t" * 5000, refresh_token="r" * 5000,
                account_id="1", account_email="ada@example.com",
            )
        )
        session.add(user)
        await session.commit()
    async with async_session_maker() as session:
        [account] = (await session.get(User, user.id)).oauth_accounts
        print(len(account.access_token), len(account.refresh_token))

asyncio.run(main())
"""


# MySQL/MariaDB, whose ALTER differs most; tests/test_history.py updates real earlier releases
# with OAuth through the same revision on SQLite and PostgreSQL.
@pytest.mark.parametrize("driver", ["asyncmy"])
def test_oauth_token_columns_widen_in_an_existing_project(
    template: Path,
    tmp_path: Path,
    new_database: Callable[[str], AbstractContextManager[str]],
    driver: str,
) -> None:
    """A project made when the token columns were upstream's VARCHAR(1024) gets Text columns
    from the update, and its database through the template's revision 0003: nothing to
    autogenerate."""
    models = template / "template/{{package_name}}/db.py.jinja"
    first = template / TEMPLATE_VERSIONS / "0001_create_user_table.py.jinja"
    # The template's revisions after 0002, which that release did not have.
    later = {
        path: path.read_text()
        for path in (template / TEMPLATE_VERSIONS).glob("*.jinja")
        if path.name[:4] > "0002"
    }
    widened = models.read_text(), first.read_text()
    for line in (
        "    access_token: Mapped[str] = mapped_column(EncryptedText, nullable=False)\n",
        "    refresh_token: Mapped[str | None] = mapped_column(EncryptedText, nullable=True)\n",
    ):
        edit(models, line, "")
    for column in ("access_token", "refresh_token"):
        edit(first, f'"{column}", sa.Text()', f'"{column}", sa.String(length=1024)')
    for path in later:
        path.unlink()
    commit_all(template, "Upstream's token columns")
    git(template, "tag", "0.9.0")
    models.write_text(widened[0])
    first.write_text(widened[1])
    for path, source in later.items():
        path.write_text(source)
    commit_all(template, "Token columns wide enough")
    git(template, "tag", "1.1.0")

    with new_database(driver) as database_url:
        project = tmp_path / "project"
        answers = ["--data", f"db_driver={driver}", "--data", "oauth=true"]
        copied = copier(
            tmp_path, "copy", "--defaults", "--vcs-ref=0.9.0", *answers, str(template), str(project)
        )
        assert copied.returncode == 0, copied.stderr
        git(project, "init", "--quiet")
        commit_all(project, "Start from the template")
        alembic(project, database_url, "upgrade", "head")

        result = update(project)

        assert result.returncode == 0, result.stderr
        assert "mapped_column(EncryptedText" in (project / "my_api/db.py").read_text()
        assert {path.name for path in (project / VERSIONS).glob("*.py")} == SHIPPED_REVISIONS
        alembic(project, database_url, "upgrade", "head")
        alembic(project, database_url, "check")
        assert python(project, database_url, STORE_A_LONG_TOKEN).split() == ["5000", "5000"]
