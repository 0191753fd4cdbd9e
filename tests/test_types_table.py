"""The types table of macros/types.jinja is complete, and the README and the question's help
describe the types it holds."""

import re
from typing import Any

import pytest
import yaml

from tooling.macros import column_types
from tooling.rendering import TEMPLATE_DIR

# The keys every entry of the table has (macros/types.jinja describes them).
ENTRY_KEYS = {
    "args", "model_type", "revision_type", "own_type", "python", "schema", "python_import",
    "schema_imports", "constraints", "default", "indexable", "samples", "refused",
}  # fmt: skip
DEFAULT_RULES = {"string", "integer", "number", "decimal", "boolean", "date", None}


def readme_type_rows() -> dict[str, list[str]]:
    """The README's table of column types: the cells of each row, by each type it names."""
    readme = (TEMPLATE_DIR / "README.md").read_text()
    table = readme[readme.index("| Type | SQLAlchemy |") :].split("\n\n")[0]
    rows: dict[str, list[str]] = {}
    for line in table.splitlines()[2:]:
        cells = [cell.strip() for cell in line.strip("|").split("|")]
        for name in re.findall(r"`(\w+)", cells[0]):
            rows[name] = cells
    return rows


@pytest.mark.parametrize(("name", "entry"), list(column_types().items()))
def test_every_entry_has_every_key(name: str, entry: dict[str, Any]) -> None:
    assert set(entry) - {"range"} == ENTRY_KEYS, name
    assert entry["default"] in DEFAULT_RULES, name
    assert ("range" in entry) == (entry["default"] == "integer"), name
    assert entry["args"] in {None, "length", "precision_scale"}, name
    assert entry["samples"] is None or len(entry["samples"]) == 2, name


def test_the_readme_has_a_row_for_each_type() -> None:
    types = column_types()
    rows = readme_type_rows()

    assert set(rows) == set(types)
    for name, entry in types.items():
        sqlalchemy, pydantic = rows[name][1], rows[name][2]
        assert entry["model_type"].split("(")[0] in sqlalchemy, name
        assert entry["schema"].split(".")[-1] in pydantic, name


def test_the_question_lists_every_type() -> None:
    questions = yaml.safe_load((TEMPLATE_DIR / "copier.yml").read_text())
    help_text = questions["extra_columns"]["help"]

    listed = re.search(r"Types: ([^.]+)\.", help_text)
    assert listed is not None
    names = {re.match(r"\w+", item).group() for item in re.split(r",\s+", listed.group(1))}
    assert names == set(column_types())
