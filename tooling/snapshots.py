"""Rendered projects kept in the repository, so that a change to the template shows its effect
on the generated code in review.

    python -m tooling.snapshots            # render every answer set into tests/snapshots/

Each answer set is kept as one text file, every generated file in it under a header line, so
that the snapshots are read as text, not collected or linted as code. tests/test_snapshots.py
renders the same answers and fails where the output differs: a change of the template that
changes its output updates them with this command, in the same commit.
"""

import sys
import tempfile
from pathlib import Path

from tooling.rendering import EXTRA_COLUMNS, OAUTH_EXTRA_COLUMNS, TEMPLATE_DIR, render_template

SNAPSHOTS_DIR = TEMPLATE_DIR / "tests" / "snapshots"

# Every ID type, DBMS and option, with and without extra columns of every type; cookies alone,
# and beside bearer tokens.
ANSWER_SETS: dict[str, dict[str, object]] = {
    "uuid-aiosqlite-columns": {
        "id_type": "uuid",
        "db_driver": "aiosqlite",
        "extra_columns": EXTRA_COLUMNS,
        "auth_transport": "cookie",
    },
    "int-asyncpg-oauth-database": {
        "id_type": "int",
        "db_driver": "asyncpg",
        "oauth": True,
        "auth_strategy": "database",
        "extra_columns": OAUTH_EXTRA_COLUMNS,
        "auth_transport": "both",
    },
    "uuid-psycopg-defaults": {"id_type": "uuid", "db_driver": "psycopg"},
    "uuid-asyncmy-oauth": {"id_type": "uuid", "db_driver": "asyncmy", "oauth": True},
    "int-aiomysql-database-columns": {
        "id_type": "int",
        "db_driver": "aiomysql",
        "auth_strategy": "database",
        "extra_columns": EXTRA_COLUMNS,
    },
    "int-aiosqlite-oauth": {
        "id_type": "int",
        "db_driver": "aiosqlite",
        "oauth": True,
        "extra_columns": "nickname:str(32)? unique, age:int?",
    },
}
# Lines of the answers file that depend on where and when the template was rendered from.
UNSTABLE_ANSWER_LINES = ("_commit:", "_src_path:")
HEADER = "=====> {} <====="


def render(name: str, destination: Path) -> Path:
    """Render the template's working tree with the answer set `name` into `destination`."""
    render_template(destination, project_name="Snapshot API", **ANSWER_SETS[name])
    answers = destination / ".copier-answers.yml"
    lines = answers.read_text().splitlines(keepends=True)
    answers.write_text(
        "".join(line for line in lines if not line.startswith(UNSTABLE_ANSWER_LINES))
    )
    return destination


def snapshot(project: Path) -> str:
    """Every file of a rendered project under a header line that names it, in path order."""
    return "".join(
        f"{HEADER.format(path.relative_to(project).as_posix())}\n{path.read_text()}"
        for path in sorted(project.rglob("*"))
        if path.is_file()
    )


def snapshot_file(name: str) -> Path:
    return SNAPSHOTS_DIR / f"{name}.txt"


def main() -> None:
    SNAPSHOTS_DIR.mkdir(exist_ok=True)
    for name in sys.argv[1:] or list(ANSWER_SETS):
        with tempfile.TemporaryDirectory() as temporary:
            text = snapshot(render(name, Path(temporary) / "project"))
        snapshot_file(name).write_text(text)
        print(f"{snapshot_file(name).relative_to(TEMPLATE_DIR)}: {text.count(HEADER[:7])} files")


if __name__ == "__main__":
    main()
