"""Every ID type with every driver, and the optional tables pairwise with both and with every
DBMS: the generated project lints, type-checks and passes its own suite against the real DBMS."""

import itertools
from collections.abc import Callable
from pathlib import Path

import pytest
from conftest import (
    DRIVERS,
    EXTRA_COLUMNS,
    ID_TYPES,
    OAUTH_EXTRA_COLUMNS,
    require_server,
    run,
    server_url,
)

VARIANTS = [
    pytest.param(id_type, driver, False, "jwt", EXTRA_COLUMNS, id=f"{id_type}-{driver}")
    for id_type, driver in itertools.product(ID_TYPES, DRIVERS)
] + [
    # Each of oauth=yes and auth_strategy=database meets both ID types and the three DBMS, and
    # each other; one starts without extra columns, as a project does by default.
    pytest.param(
        "uuid",
        "aiosqlite",
        True,
        "database",
        OAUTH_EXTRA_COLUMNS,
        id="uuid-aiosqlite-oauth-database",
    ),
    pytest.param(
        "int", "asyncpg", True, "database", OAUTH_EXTRA_COLUMNS, id="int-asyncpg-oauth-database"
    ),
    pytest.param("uuid", "asyncmy", True, "jwt", "", id="uuid-asyncmy-oauth-no-columns"),
    pytest.param("int", "aiomysql", False, "database", EXTRA_COLUMNS, id="int-aiomysql-database"),
]
PARAMETERS = ("id_type", "driver", "oauth", "auth_strategy", "extra_columns")


@pytest.fixture
def project(
    render: Callable[..., Path],
    id_type: str,
    driver: str,
    oauth: bool,
    auth_strategy: str,
    extra_columns: str,
) -> Path:
    answers = {"id_type": id_type, "db_driver": driver, "extra_columns": extra_columns}
    if oauth or auth_strategy != "jwt":  # else the defaults: the same render as other tests
        answers |= {"oauth": oauth, "auth_strategy": auth_strategy}
    return render(**answers)


@pytest.mark.parametrize(PARAMETERS, VARIANTS)
def test_generated_suite_passes(project: Path, driver: str) -> None:
    require_server(driver)

    result = run(
        ["pytest", "-q", "-p", "no:cacheprovider"], project, DATABASE_URL=server_url(driver)
    )

    assert result.returncode == 0, result.stdout + result.stderr
    assert " passed" in result.stdout
    assert "skipped" not in result.stdout


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
