"""Working with git as a user of the template does: a git copy of the template's working tree
to copy and update from, commits in a project, and code of the user's run in a project."""

import os
import shutil
import subprocess
import sys
from pathlib import Path

from tooling.rendering import TEMPLATE_DIR

GIT_IDENTITY = {
    "GIT_AUTHOR_NAME": "Template Tests",
    "GIT_AUTHOR_EMAIL": "tests@example.com",
    "GIT_COMMITTER_NAME": "Template Tests",
    "GIT_COMMITTER_EMAIL": "tests@example.com",
}


def git(cwd: Path, *args: str) -> str:
    """Run git in `cwd` as the tests' own author; what it printed, after asserting success."""
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


def copy_working_tree(repository: Path) -> None:
    """Copy the files of the template's working tree, uncommitted changes included, into
    `repository`."""
    listed = git(TEMPLATE_DIR, "ls-files", "--cached", "--others", "--exclude-standard", "-z")
    for name in filter(None, listed.split("\0")):
        source = TEMPLATE_DIR / name
        if source.is_file():
            (repository / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, repository / name)


def tagged_template(repository: Path) -> Path:
    """A git repository of the template's working tree, tagged 1.0.0."""
    copy_working_tree(repository)
    git(repository, "init", "--quiet")
    commit_all(repository, "Template")
    git(repository, "tag", "1.0.0")
    return repository


def python(project: Path, database_url: str, code: str) -> str:
    """Run code of the user's in the project, on the database: what it printed."""
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
