"""The template's Jinja macros and tables, read from Python as Copier renders them."""

import json
from functools import cache
from typing import Any

from jinja2 import FileSystemLoader
from jinja2.sandbox import SandboxedEnvironment

from tooling.rendering import TEMPLATE_DIR


@cache
def environment() -> SandboxedEnvironment:
    """A Jinja environment like Copier's: sandboxed, with the Ansible filters."""
    return SandboxedEnvironment(
        loader=FileSystemLoader(TEMPLATE_DIR),
        extensions=["jinja2_ansible_filters.AnsibleCoreFiltersExtension"],
    )


def render(source: str, **values: Any) -> str:
    """Render Jinja source that imports from macros/, with `values` as its variables."""
    return environment().from_string(source).render(**values)


def column_types() -> dict[str, dict[str, Any]]:
    """The types table of the extra_columns language (macros/types.jinja), by type name."""
    types: dict[str, dict[str, Any]] = json.loads(
        render("{% from 'macros/types.jinja' import TYPES %}{{ TYPES | tojson }}")
    )
    return types


def column_name_error(name: str) -> str:
    """Why the template refuses `name` as a column name, or "" when it accepts it."""
    return render(
        "{% from 'macros/columns.jinja' import name_error %}{{ name_error(name) }}", name=name
    )


def parsed_columns(answer: str) -> list[dict[str, Any]]:
    """The columns of an extra_columns answer, as the templates read them (macros/columns.jinja)."""
    columns: list[dict[str, Any]] = json.loads(
        render(
            "{% from 'macros/columns.jinja' import columns_json %}{{ columns_json(answer) }}",
            answer=answer,
        )
    )
    return columns
