"""Any valid extra_columns answer gives a project whose first migration creates exactly the
tables of its models on SQLite, and that passes ruff and mypy."""

import string
from pathlib import Path

import pytest
from conftest import TEMPLATE_DIR, run
from copier import run_copy
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from jinja2 import FileSystemLoader
from jinja2.sandbox import SandboxedEnvironment

# The template's own name rules, so that every name it accepts is tried.
NAME_RULES = SandboxedEnvironment(
    loader=FileSystemLoader(TEMPLATE_DIR),
    extensions=["jinja2_ansible_filters.AnsibleCoreFiltersExtension"],
).from_string("{% from 'macros/columns.jinja' import name_error %}{{ name_error(name) }}")


def accepted(name: str) -> bool:
    return not NAME_RULES.render(name=name)


# Names long enough to be realistic; the 63-character limit has a test of its own.
names = st.from_regex(r"[a-z_][a-z0-9_]{0,29}", fullmatch=True).filter(accepted)


@st.composite
def column_entry(draw: st.DrawFn, name: str) -> str:
    """One valid `name:type[(args)][?][=default][ flags]` entry."""
    type_ = draw(st.sampled_from(["str", "text", "int", "bigint", "float", "decimal", "bool",
                                  "date", "datetime", "uuid", "json"]))  # fmt: skip
    args = ""
    length = 255
    if type_ == "str" and draw(st.booleans()):
        length = draw(st.integers(1, 768))
        args = f"({length})"
    precision, scale = 10, 2
    if type_ == "decimal" and draw(st.booleans()):
        precision = draw(st.integers(1, 65))
        scale = draw(st.integers(0, min(precision, 30)))
        args = f"({precision},{scale})"
    nullable = "?" if draw(st.booleans()) else ""
    defaults = {
        "str": st.text(string.ascii_letters + string.digits + " ,-", max_size=length).map(
            lambda text: f'"{text}"'
        ),
        "text": st.text(string.ascii_letters, min_size=1, max_size=20),
        "int": st.integers(-(2**31), 2**31 - 1).map(str),
        "bigint": st.integers(-(2**63), 2**63 - 1).map(str),
        "float": st.floats(allow_nan=False, allow_infinity=False, width=32).map(repr),
        "decimal": st.decimals(
            min_value=-(10 ** (precision - scale)) + 1,
            max_value=10 ** (precision - scale) - 1,
            places=scale,
            allow_nan=False,
            allow_infinity=False,
        ).map(lambda value: format(value, "f")),
        "bool": st.sampled_from(["true", "false", "True", "FALSE"]),
        "date": st.dates().map(lambda day: day.isoformat()),
    }
    default = ""
    if type_ in defaults and draw(st.booleans()):
        default = "=" + draw(defaults[type_])
    flags = []
    if type_ not in ("text", "json"):
        flags = draw(st.lists(st.sampled_from(["unique", "index"]), unique=True, max_size=2))
    return f"{name}:{type_}{args}{nullable}{default}" + "".join(f" {flag}" for flag in flags)


@st.composite
def extra_columns(draw: st.DrawFn) -> str:
    chosen = draw(st.lists(names, min_size=1, max_size=4, unique=True))
    entries = [draw(column_entry(name)) for name in chosen]
    return draw(st.sampled_from([", ", ",\n", "\n"])).join(entries)


@settings(
    max_examples=8,
    derandomize=True,  # the same examples on every run: CI stays reproducible
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(answer=extra_columns())
def test_valid_answers_give_a_working_project(
    answer: str, tmp_path_factory: pytest.TempPathFactory, mypy_cache: Path
) -> None:
    project = tmp_path_factory.mktemp("project")
    run_copy(
        str(TEMPLATE_DIR),
        project,
        data={"extra_columns": answer},
        defaults=True,
        quiet=True,
        vcs_ref="HEAD",
    )

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
