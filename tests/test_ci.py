"""The generated CI workflow and pre-commit configuration: the workflow follows GitHub's schema,
its database service is the driver's, and it runs the README's commands, the image's build
last; the hooks run offline."""

import os
import re
import shutil
import subprocess
import sys
import tomllib
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml

from tooling.drivers import DRIVERS

# The image of each DBMS's service container; SQLite needs none.
SERVICE_IMAGES = {"postgresql": "postgres:", "mysql": "mariadb:"}
HOOKS_TIMEOUT_SECONDS = 120


def workflow(project: Path) -> dict[Any, Any]:
    parsed: dict[Any, Any] = yaml.safe_load((project / ".github/workflows/ci.yml").read_text())
    # YAML 1.1 reads the key `on` as true.
    parsed["on"] = parsed.pop(True)
    return parsed


def readme_commands(project: Path) -> set[str]:
    """Every line of the README's shell blocks."""
    readme = (project / "README.md").read_text()
    blocks = re.findall(r"```sh\n(.*?)```", readme, flags=re.DOTALL)
    return {line.strip() for block in blocks for line in block.splitlines()}


@pytest.mark.parametrize("driver", DRIVERS)
def test_the_workflow_runs_the_readme_checks_on_the_driver_dbms(
    render: Callable[..., Path], driver: str
) -> None:
    project = render(db_driver=driver)
    parsed = workflow(project)

    assert set(parsed["on"]) == {"push", "pull_request"}
    [job] = parsed["jobs"].values()
    services = job.get("services", {})
    dbms = DRIVERS[driver].dbms
    if dbms == "sqlite":
        assert services == {}
        assert "DATABASE_URL" not in job.get("env", {})
    else:
        [service] = services.values()
        assert service["image"].startswith(SERVICE_IMAGES[dbms])
        port = service["ports"][0].split(":")[0]
        url = job["env"]["DATABASE_URL"]
        assert url.startswith(f"{dbms}+{driver}://"), url
        assert f"@127.0.0.1:{port}/my_api" in url
    runs = [step["run"] for step in job["steps"] if "run" in step]
    commands = readme_commands(project)
    assert runs, job["steps"]
    for run in runs:
        assert run in commands, f"{run!r} is not one of the README's commands"
    for check in ["ruff check", "ruff format --check", "mypy", "alembic check", "pytest"]:
        assert any(check in run for run in runs), check
    assert runs[-1] == "docker build -t my-api ."
    schema = subprocess.run(
        [
            str(Path(sys.executable).with_name("check-jsonschema")),
            "--builtin-schema",
            "vendor.github-workflows",
            ".github/workflows/ci.yml",
        ],
        cwd=project,
        capture_output=True,
        text=True,
        check=False,
    )
    assert schema.returncode == 0, schema.stdout + schema.stderr


def test_the_hooks_are_local_and_run_the_project_tools(render: Callable[..., Path]) -> None:
    project = render()
    config = yaml.safe_load((project / ".pre-commit-config.yaml").read_text())
    pyproject = tomllib.loads((project / "pyproject.toml").read_text())
    dev_group = {
        re.match(r"[\w-]+", spec).group() for spec in pyproject["dependency-groups"]["dev"]
    }

    [repo] = config["repos"]
    assert repo["repo"] == "local"
    for hook in repo["hooks"]:
        assert hook["language"] == "system", hook
        tool = hook["entry"].split()[0]
        assert tool.startswith(".venv/bin/"), hook
        assert tool.removeprefix(".venv/bin/") in dev_group, hook
    assert "pre-commit" in dev_group


def test_the_hooks_pass_offline_on_a_new_project(
    render: Callable[..., Path], tmp_path: Path
) -> None:
    project = shutil.copytree(render(extra_columns="nickname:str(32)?"), tmp_path / "project")
    # The project's .venv: this environment, which holds every tool of the dev group.
    (project / ".venv").symlink_to(Path(sys.executable).parent.parent, target_is_directory=True)
    env = {**os.environ, "PRE_COMMIT_HOME": str(tmp_path / "pre-commit")}
    for args in (["git", "init", "-q"], ["git", "add", "."]):
        subprocess.run(args, cwd=project, env=env, check=True)

    result = subprocess.run(
        [sys.executable, "-m", "pre_commit", "run", "--all-files"],
        cwd=project,
        env=env,
        capture_output=True,
        text=True,
        check=False,
        timeout=HOOKS_TIMEOUT_SECONDS,
    )

    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.count("Passed") == 3, result.stdout
