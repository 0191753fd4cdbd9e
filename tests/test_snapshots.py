"""The generated code is what tests/snapshots/ shows: a change of the template's output is
seen, file by file, in the review of the change that makes it."""

import difflib
from pathlib import Path

import pytest

from tooling.snapshots import ANSWER_SETS, render, snapshot, snapshot_file

# Diff lines shown on failure: enough to see what changed, not the whole project.
SHOWN_DIFF_LINES = 200


@pytest.mark.parametrize("name", list(ANSWER_SETS))
def test_rendered_output_matches_its_snapshot(name: str, tmp_path: Path) -> None:
    rendered = snapshot(render(name, tmp_path / "project"))
    kept = snapshot_file(name).read_text()

    if rendered != kept:
        diff = difflib.unified_diff(
            kept.splitlines(), rendered.splitlines(), "kept", "rendered", lineterm=""
        )
        shown = "\n".join(list(diff)[:SHOWN_DIFF_LINES])
        pytest.fail(
            f"The template renders {name} differently from {snapshot_file(name).name}; if the "
            f"change is meant, run `python -m tooling.snapshots {name}`.\n{shown}"
        )
