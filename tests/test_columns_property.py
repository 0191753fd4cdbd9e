"""Any valid extra_columns answer gives a project whose first migration creates exactly the
tables of its models on SQLite, and that passes ruff and mypy."""

import string
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tooling.macros import column_name_error, column_types
from tooling.rendering import render_template, run

# The types table: every type it holds is drawn, with the arguments, defaults and flags its
# entry allows.
TYPES = column_types()
# The largest str(N) that can still be indexed on MySQL/MariaDB.
MAX_INDEXED_LENGTH = 768

# Names long enough to be realistic; the 63-character limit has a test of its own. Every name
# the template's own rules accept is tried.
names = st.from_regex(r"[a-z_][a-z0-9_]{0,29}", fullmatch=True).filter(
    lambda name: not column_name_error(name)
)


def default_values(
    rule: str, type_: str, length: int | None, precision: int, scale: int
) -> st.SearchStrategy[str]:
    """Defaults a column of this default rule accepts, as written in an answer."""
    if rule == "string":
        characters = string.ascii_letters + string.digits + " ,-"
        return st.text(characters, max_size=length or 20).map(lambda text: f'"{text}"')
    if rule == "integer":
        low, high = TYPES[type_]["range"]
        return st.integers(low, high).map(str)
    if rule == "number":
        return st.floats(allow_nan=False, allow_infinity=False, width=32).map(repr)
    if rule == "decimal":
        return st.decimals(
            min_value=-(10 ** (precision - scale)) + 1,
            max_value=10 ** (precision - scale) - 1,
            places=scale,
            allow_nan=False,
            allow_infinity=False,
        ).map(lambda value: format(value, "f"))
    if rule == "boolean":
        return st.sampled_from(["true", "false", "True", "FALSE"])
    assert rule == "date", rule
    return st.dates().map(lambda day: day.isoformat())


@st.composite
def column_entry(draw: st.DrawFn, name: str) -> str:
    """One valid `name:type[(args)][?][=default][ flags]` entry."""
    type_ = draw(st.sampled_from(sorted(TYPES)))
    entry = TYPES[type_]
    args = ""
    length = 255 if entry["args"] == "length" else None
    if entry["args"] == "length" and draw(st.booleans()):
        length = draw(st.integers(1, MAX_INDEXED_LENGTH))
        args = f"({length})"
    precision, scale = 10, 2
    if entry["args"] == "precision_scale" and draw(st.booleans()):
        precision = draw(st.integers(1, 65))
        scale = draw(st.integers(0, min(precision, 30)))
        args = f"({precision},{scale})"
    nullable = "?" if draw(st.booleans()) else ""
    default = ""
    if entry["default"] and draw(st.booleans()):
        default = "=" + draw(default_values(entry["default"], type_, length, precision, scale))
    flags = []
    if entry["indexable"]:
        flags = draw(st.lists(st.sampled_from(["unique", "index"]), unique=True, max_size=2))
    # A read-only column is filled in at registration without the user: by "?" or its default,
    # which a unique column could give one user only.
    if (nullable or default) and not (default and "unique" in flags) and draw(st.booleans()):
        flags.insert(draw(st.integers(0, len(flags))), "readonly")
    return f"{name}:{type_}{args}{nullable}{default}" + "".join(f" {flag}" for flag in flags)


@st.composite
def extra_columns(draw: st.DrawFn) -> str:
    chosen = draw(st.lists(names, min_size=1, max_size=4, unique=True))
    entries = [draw(column_entry(name)) for name in chosen]
    return draw(st.sampled_from([", ", ",\n", "\n"])).join(entries)


@settings(
    # Each example renders, migrates, lints and type-checks a project: a fixed budget of two
    # keeps the suite within its time.
    max_examples=2,
    derandomize=True,  # the same examples on every run: CI stays reproducible
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(answer=extra_columns())
def test_valid_answers_give_a_working_project(
    answer: str, tmp_path_factory: pytest.TempPathFactory, mypy_cache: Path
) -> None:
    project = tmp_path_factory.mktemp("project")
    render_template(project, extra_columns=answer)

    database_url = f"sqlite+aiosqlite:///{project / 'check.db'}"
    for command in (["alembic", "upgrade", "head"], ["alembic", "check"]):
        result = run(command, project, DATABASE_URL=database_url)
        assert result.returncode == 0, f"{answer!r}: {command}\n{result.stdout}{result.stderr}"
    for command in (
        ["ruff", "check", "--no-cache", "."],
        ["ruff", "format", "--check", "--no-cache", "."],
        ["mypy", "--cache-dir", str(mypy_cache), "."],
    ):
        result = run(command, project)
        assert result.returncode == 0, f"{answer!r}: {command[0]}\n{result.stdout}{result.stderr}"
