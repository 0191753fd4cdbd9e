"""What a generated project holds, read as its user would read it."""

import ast
import re
import subprocess
import sys
import tomllib
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml

from tooling.drivers import DRIVERS
from tooling.rendering import EXTRA_COLUMNS, OAUTH_EXTRA_COLUMNS, TEMPLATE_DIR


def text_files(project: Path) -> list[Path]:
    return [path for path in project.rglob("*") if path.is_file() and ".git" not in path.parts]


def test_plain_copier_renders_without_trust(tmp_path: Path) -> None:
    """The command the README gives, as a user runs it: no --trust, no plug-ins."""
    destination = tmp_path / "my-api"
    result = subprocess.run(
        [
            sys.executable, "-m", "copier", "copy", "--defaults", "--vcs-ref=HEAD",
            "--data", "project_name=Acme Accounts",
            "--data", f"extra_columns={EXTRA_COLUMNS}",
            str(TEMPLATE_DIR), str(destination),
        ],
        capture_output=True,
        text=True,
        check=False,
    )  # fmt: skip

    assert result.returncode == 0, result.stderr
    assert (destination / "acme_accounts" / "db.py").is_file()
    assert "uv run acme_accounts dev" in result.stderr  # the message after copy
    assert "MissingFileWarning" not in result.stderr


@pytest.mark.parametrize("driver", DRIVERS)
def test_project_depends_on_the_chosen_driver_only(
    render: Callable[..., Path], driver: str
) -> None:
    project = render(db_driver=driver)

    pyproject = tomllib.loads((project / "pyproject.toml").read_text())
    dependencies = " ".join(pyproject["project"]["dependencies"])
    for other in DRIVERS.values():
        assert (other.requirement in dependencies) == (other.name == driver), other.name


@pytest.mark.parametrize("driver", DRIVERS)
def test_default_database_url_fits_the_driver(render: Callable[..., Path], driver: str) -> None:
    project = render(db_driver=driver)

    settings = (project / "my_api" / "settings.py").read_text()
    url = re.search(r'database_url: str = "([^"]+)"', settings)
    assert url is not None
    assert url.group(1).startswith(f"{DRIVERS[driver].dbms}+{driver}://")


def test_answers_file_keeps_the_answers_for_updates(render: Callable[..., Path]) -> None:
    project = render(id_type="int", extra_columns="age:int?")

    answers = yaml.safe_load((project / ".copier-answers.yml").read_text())

    assert answers["id_type"] == "int"
    assert answers["extra_columns"] == "age:int?"
    assert answers["_src_path"]
    assert "columns" not in answers  # derived, recomputed on every update


@pytest.mark.parametrize(
    "options",
    [{}, {"oauth": True, "auth_strategy": "database"}],
    ids=["defaults", "oauth-database"],
)
@pytest.mark.parametrize("extra_columns", ["", EXTRA_COLUMNS])
@pytest.mark.parametrize("id_type", ["uuid", "int"])
def test_generated_files_are_clean(
    render: Callable[..., Path], id_type: str, extra_columns: str, options: dict[str, Any]
) -> None:
    if options and extra_columns:
        extra_columns = OAUTH_EXTRA_COLUMNS
    project = render(id_type=id_type, extra_columns=extra_columns, **options)

    for path in text_files(project):
        text = path.read_text()
        name = path.relative_to(project)
        # The e-mail and page templates are the project's own Jinja, copied as they are.
        if name.parent.parts[-2:] not in (("mail", "templates"), ("pages", "templates")):
            assert not re.search(r"\{\{|\{%|%\}|\{#|#\}", text), f"Jinja left in {name}"
        assert "\n\n\n\n" not in text, f"blank-line debris in {name}"
        assert not re.search(r"[ \t]+$", text, re.MULTILINE), f"trailing spaces in {name}"
        assert text.endswith("\n") and not text.endswith("\n\n"), f"bad file end in {name}"


def test_no_secret_is_written_into_the_project(render: Callable[..., Path]) -> None:
    project = render(extra_columns=EXTRA_COLUMNS)

    for path in text_files(project):
        text = path.read_text()
        assert not re.search(r"(?i)secret\w*\s*=\s*[\"'][^\"']+[\"']", text), path.name
        assert not re.search(r"://[^/@\s]+:[^/@\s]+@", text), path.name


@pytest.mark.parametrize(
    ("id_type", "expected"),
    [
        (
            "int",
            {
                "db.py": [
                    "class User(SQLAlchemyBaseUserTable[int], Base):",
                    "id: Mapped[int] = mapped_column(Integer, primary_key=True)",
                ],
                "users.py": ["    IntegerIDMixin,\n    PasswordsOffTheLoop[User, int],\n):"],
                "schemas.py": ["class UserRead(schemas.BaseUser[int]):"],
            },
        ),
        (
            "uuid",
            {
                "db.py": ["class User(SQLAlchemyBaseUserTableUUID, Base):"],
                "users.py": ["    UUIDIDMixin,\n    PasswordsOffTheLoop[User, uuid.UUID],\n):"],
                "schemas.py": ["class UserRead(schemas.BaseUser[uuid.UUID]):"],
            },
        ),
    ],
)
def test_id_type_sets_the_table_manager_and_schemas(
    render: Callable[..., Path], id_type: str, expected: dict[str, list[str]]
) -> None:
    package = render(id_type=id_type) / "my_api"

    for module, lines in expected.items():
        text = (package / module).read_text()
        for line in lines:
            assert line in text, f"{module}: {line}"


def test_the_fastapi_users_names_are_where_the_docs_expect_them(
    render: Callable[..., Path],
) -> None:
    project = render()
    package = project / "my_api"

    db = (package / "db.py").read_text()
    for name in ["class Base(", "class User(", "engine =", "async_session_maker ="]:
        assert name in db
    for function in ["create_db_and_tables", "get_async_session", "get_user_db"]:
        assert f"async def {function}(" in db
    assert "expire_on_commit=False" in db
    for module in ["schemas.py", "users.py", "app.py", "settings.py"]:
        assert (package / module).is_file()
    readme = (project / "README.md").read_text()
    assert "uv run my_api dev" in readme
    assert "uv run pytest" in readme


@pytest.mark.parametrize("driver", ["aiosqlite", "psycopg", "aiomysql"])
def test_get_user_db_yields_an_adapter_that_fits_the_email_index(
    render: Callable[..., Path], driver: str
) -> None:
    package = render(db_driver=driver) / "my_api"

    db = (package / "db.py").read_text()
    adapter = (package / "database" / "user_database.py").read_text()
    assert "yield UserDatabase(session, User)" in db
    assert "class UserDatabase(SQLAlchemyUserDatabase[UP, ID]):" in adapter
    if DRIVERS[driver].dbms == "mysql":
        # MariaDB has no expression index: a case-insensitive collation and an equality lookup.
        assert '"mysql_collate": "utf8mb4_unicode_ci"' in db
        assert "async def get_by_email(" in adapter
    else:
        # The stock lookup, lower(email) = lower(:email), is what the index serves.
        assert 'Index("ix_user_email_lower", func.lower(User.email), unique=True)' in db
        assert "async def get_by_email(" not in adapter


def test_update_keeps_exactly_the_modules_the_layout_test_names(
    render: Callable[..., Path],
) -> None:
    """copier.yml's _exclude keeps a project's modules of the flat layout on update, and the
    generated tests/test_layout.py names each one left: the two lists are one."""
    project = render(oauth=True)
    questions = yaml.safe_load((TEMPLATE_DIR / "copier.yml").read_text())
    prefix = "{{ package_name }}/"
    excluded = {path.removeprefix(prefix) for path in questions["_exclude"] if prefix in path}
    layout_test = ast.parse((project / "tests/test_layout.py").read_text())
    moved = next(
        ast.literal_eval(statement.value)
        for statement in layout_test.body
        if isinstance(statement, ast.Assign)
        and any(getattr(target, "id", None) == "MOVED" for target in statement.targets)
    )

    assert excluded == set(moved)
    # None of them is rendered any more: each has moved.
    assert [name for name in moved if (project / "my_api" / name).exists()] == []
