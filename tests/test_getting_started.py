"""A fresh project, from its README's commands: with uv, one command serves it on the default
database and another runs its tests; with pip, the same after the documented install."""

import os
import shutil
import subprocess
import sys
import sysconfig
from pathlib import Path

import httpx
import pytest

from tooling.rendering import render_template
from tooling.servers import running_server

# Installing from uv's or pip's cache, then a SQLite suite: well under this.
COMMAND_TIMEOUT_SECONDS = 300
START_TIMEOUT_SECONDS = 120


def clean_environment(project: Path) -> dict[str, str]:
    """The environment of a newcomer's shell: no virtualenv of ours, no settings of the tests."""
    removed = {"VIRTUAL_ENV", "DATABASE_URL", "SECRET_KEY", "ENVIRONMENT", "PYTEST_ADDOPTS"}
    environment = {k: v for k, v in os.environ.items() if k not in removed}
    # Our virtualenv's bin directory off the PATH, so only the project's own tools are found.
    bin_dir = str(Path(sys.executable).parent)
    environment["PATH"] = os.pathsep.join(
        part for part in environment["PATH"].split(os.pathsep) if part != bin_dir
    )
    return environment


def command(args: list[str], project: Path, env: dict[str, str]) -> str:
    """Run a command in the project; its output, after checking it succeeded."""
    result = subprocess.run(
        args,
        cwd=project,
        env=env,
        capture_output=True,
        text=True,
        check=False,
        timeout=COMMAND_TIMEOUT_SECONDS,
    )
    assert result.returncode == 0, f"{args}:\n{result.stdout}\n{result.stderr}"
    return result.stdout


def assert_serves(serve: list[str], project: Path, env: dict[str, str], log: Path) -> None:
    """The serve command answers on a free port, with the default database set up; it keeps a
    SECRET_KEY in .env, and logs the e-mails it would send, links included."""
    with running_server(
        lambda port: [*serve, "--port", str(port)],
        cwd=project,
        env=env,
        log=log,
        ready_path="/health",
        start_timeout=START_TIMEOUT_SECONDS,
    ) as base_url:
        health = httpx.get(f"{base_url}/health")
        registered = httpx.post(
            f"{base_url}/auth/register",
            json={"email": "ada@example.com", "password": "a long password"},
        )
        forgot = httpx.post(f"{base_url}/auth/forgot-password", json={"email": "ada@example.com"})
    assert health.status_code == 200, health.text
    assert registered.status_code == 201, registered.text
    assert forgot.status_code == 202, forgot.text
    assert (project / "my_api.db").is_file()
    # The server, stopping, waits for the e-mail, which it logged.
    output = log.read_text()
    assert "Wrote a random SECRET_KEY to .env" in output
    assert "SECRET_KEY=" in (project / ".env").read_text()
    assert "http://localhost:8000/reset-password?token=" in output
    assert "UserWarning" not in output


@pytest.fixture
def uv() -> str:
    found = shutil.which("uv") or shutil.which("uv", path=str(Path(sys.executable).parent))
    if found is None:
        pytest.skip("uv is not installed")
    return found


def test_uv_two_commands(uv: str, tmp_path: Path) -> None:
    project = render_template(tmp_path / "my-api", project_name="My API")
    env = clean_environment(project)
    # This interpreter, and the packages uv has cached: nothing to download twice.
    env["UV_PYTHON"] = sys.executable

    assert_serves([uv, "run", "my_api", "dev"], project, env, tmp_path / "dev.log")
    # The README's command, on the tests of accounts and sessions: tests/test_variants.py runs
    # every generated suite whole.
    accounts = ["tests/test_users.py", "tests/test_sessions.py"]
    output = command([uv, "run", "pytest", "-q", "-p", "no:cacheprovider", *accounts], project, env)

    assert " passed" in output
    assert (project / "uv.lock").is_file()


def test_pip_commands(tmp_path: Path) -> None:
    project = render_template(tmp_path / "my-api", project_name="My API")
    env = clean_environment(project)
    command([sys.executable, "-m", "venv", ".venv"], project, env)
    python = str(project / ".venv" / "bin" / "python")
    # The packages of this environment, visible to the new one, so that pip finds the
    # dependencies installed and only builds the project: the commands are the README's.
    site_packages = Path(sysconfig.get_path("purelib"))
    new_site_packages = Path(
        command(
            [python, "-c", "import sysconfig; print(sysconfig.get_path('purelib'))"], project, env
        ).strip()
    )
    (new_site_packages / "template-test-environment.pth").write_text(f"{site_packages}\n")

    command([python, "-m", "pip", "install", "--quiet", "--upgrade", "pip"], project, env)
    command([python, "-m", "pip", "install", "--quiet", "-e", ".", "--group", "dev"], project, env)

    bin_dir = project / ".venv" / "bin"
    assert_serves([str(bin_dir / "my_api"), "dev"], project, env, tmp_path / "dev.log")
    # The README's test command in this environment; the same project's whole suite runs under
    # uv above, so here the tests of the accounts stand for it.
    tests = [python, "-m", "pytest", "-q", "-p", "no:cacheprovider", "tests/test_users.py"]
    output = command(tests, project, env)
    assert " passed" in output
