"""The pytest fixtures of the template's tests: rendering once a run, a shared mypy cache,
and the database servers, skipped when down. Everything else the tests share is in tooling/."""

import fcntl
import hashlib
import json
import os
import shutil
from collections.abc import Callable
from contextlib import AbstractContextManager
from pathlib import Path
from typing import Any

import pytest

from tooling.databases import server_is_up, temporary_database
from tooling.drivers import DRIVERS, SERVERS, server_url
from tooling.rendering import render_template

# With CI=true a database server that cannot be reached fails its tests instead of skipping them.
IN_CI = os.environ.get("CI", "").lower() == "true"


def skip_unless_server_is_up(driver: str) -> None:
    """Skip a test whose database server is down; in CI, fail it."""
    dbms = DRIVERS[driver].dbms
    if server_is_up(dbms):
        return
    host, port = SERVERS[dbms]
    message = f"{dbms} server not reachable at {host}:{port}"
    if IN_CI:
        pytest.fail(f"{message} (CI=true: every server must be up)")
    pytest.skip(message)


@pytest.fixture(scope="session")
def require_server() -> Callable[[str], None]:
    """`require_server(driver)`: skip the test if the driver's database server is down; with
    CI=true, fail it."""
    return skip_unless_server_is_up


@pytest.fixture
def new_database(tmp_path: Path) -> Callable[[str], AbstractContextManager[str]]:
    """`with new_database(driver) as url`: a new, empty database for the driver, dropped afterwards
    (a file in the test's tmp_path for SQLite); the test is skipped if its server is down, or
    failed with CI=true."""

    def _new_database(driver: str) -> AbstractContextManager[str]:
        skip_unless_server_is_up(driver)
        return temporary_database(server_url(driver), tmp_path)

    return _new_database


@pytest.fixture(scope="session")
def render(tmp_path_factory: pytest.TempPathFactory, worker_id: str) -> Callable[..., Path]:
    """Render the template with some answers, once a run for the same answers: pytest-xdist's
    workers share the projects, each rendered by the first worker that asks for it. A test that
    changes its project works on a copy."""
    root = tmp_path_factory.getbasetemp()
    if worker_id != "master":  # each worker's base is a folder of the run's
        root = root.parent
    root = root / "rendered"
    root.mkdir(exist_ok=True)

    def _render(**answers: object) -> Path:
        key = hashlib.sha256(json.dumps(answers, sort_keys=True).encode()).hexdigest()[:16]
        project = root / key / "project"
        with (root / f"{key}.lock").open("w") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            if not (root / key / "rendered").is_file():
                shutil.rmtree(root / key, ignore_errors=True)
                render_template(project, **answers)
                (root / key / "rendered").touch()
        return project

    return _render


@pytest.fixture(scope="session")
def mypy_cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One mypy cache for every variant, so the dependencies are analysed once."""
    return tmp_path_factory.mktemp("mypy_cache")


# The tests that take tens of seconds each. They start first, so that the quick ones fill the
# workers' last minutes, rather than one worker running a long test alone at the end.
LONG_TESTS = (
    "test_variants.py::test_generated_suite_passes",
    "test_history.py::test_a_project_of_an_earlier_release_updates_to_todays",
    "test_fuzz.py::",
    "test_columns_property.py::",
    "test_getting_started.py::",
    "test_ci.py::test_the_hooks_pass_offline_on_a_new_project",
    "test_container.py::test_the_image_migrates_then_serves_as_a_user_without_privileges",
)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    items.sort(key=lambda item: not any(long in item.nodeid for long in LONG_TESTS))


def pytest_terminal_summary(terminalreporter: Any) -> None:
    """The figures that tests record (`record_property("figure", ...)`), such as the size of the
    image the container test builds, at the end of the run, from every worker."""
    figures = [
        f"{report.nodeid.split('::')[-1]}: {value}"
        for reports in terminalreporter.stats.values()
        for report in reports
        if getattr(report, "when", None) == "call"
        for name, value in getattr(report, "user_properties", ())
        if name == "figure"
    ]
    if figures:
        terminalreporter.section("figures")
        for figure in figures:
            terminalreporter.write_line(figure)
