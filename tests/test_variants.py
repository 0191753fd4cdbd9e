"""Every ID type with every driver: the generated project lints, type-checks and passes its own
suite against the real DBMS."""

import itertools
from collections.abc import Callable
from pathlib import Path

import pytest
from conftest import DRIVERS, EXTRA_COLUMNS, ID_TYPES, require_server, run, server_url

VARIANTS = [
    pytest.param(id_type, driver, id=f"{id_type}-{driver}")
    for id_type, driver in itertools.product(ID_TYPES, DRIVERS)
]


@pytest.fixture
def project(render: Callable[..., Path], id_type: str, driver: str) -> Path:
    return render(id_type=id_type, db_driver=driver, extra_columns=EXTRA_COLUMNS)


@pytest.mark.parametrize(("id_type", "driver"), VARIANTS)
def test_generated_suite_passes(project: Path, driver: str) -> None:
    require_server(driver)

    result = run(
        ["pytest", "-q", "-p", "no:cacheprovider"], project, DATABASE_URL=server_url(driver)
    )

    assert result.returncode == 0, result.stdout + result.stderr
    assert " passed" in result.stdout
    assert "skipped" not in result.stdout


@pytest.mark.parametrize(("id_type", "driver"), VARIANTS)
def test_generated_code_passes_ruff(project: Path) -> None:
    check = run(["ruff", "check", "--no-cache", "."], project)
    assert check.returncode == 0, check.stdout + check.stderr

    formatting = run(["ruff", "format", "--check", "--no-cache", "."], project)
    assert formatting.returncode == 0, formatting.stdout + formatting.stderr


@pytest.mark.parametrize(("id_type", "driver"), VARIANTS)
def test_generated_code_passes_mypy(project: Path, mypy_cache: Path) -> None:
    result = run(["mypy", "--cache-dir", str(mypy_cache), "."], project)

    assert result.returncode == 0, result.stdout + result.stderr
