"""Where a revision of the template goes in a project's chain of revisions.

The template ships revisions into projects that may already have revisions of their own after
the template's last one: the OAuth table of a project that turned OAuth on, a new column. A
template revision that follows their heads, rather than its predecessor in the template, keeps
one head; the project's revisions written after it follow it, and stay after it.
"""

import re
from pathlib import Path

# `revision = "..."` and `down_revision = ...` as revision files write them, with or without an
# annotation, the value on one line or, in parentheses or brackets, on several.
_ASSIGNMENT = re.compile(
    r"^(revision|down_revision)\b[^=\n]*=[ \t]*(\([^)]*\)|\[[^\]]*\]|[^\n]*)", re.MULTILINE
)
_STRING = re.compile(r"""(['"])([^'"\n]*)\1""")
# The template's revision files: 0001_create_user_table.py, its id the number. The project's
# own are named by alembic.ini's file_template, 2026_12_01_0930-<id>_<slug>.py.
_TEMPLATE_FILE = re.compile(r"(\d{4})_[a-z][a-z0-9_]*\.py")


def _literal(value: str) -> tuple[str, ...] | None:
    """The revisions a value names: () for None, one for a string, each of a tuple or list of
    strings; None for anything else, such as a value the file computes."""
    value = value.split("#")[0].strip()
    if value == "None":
        return ()
    if _STRING.fullmatch(value):
        return (value[1:-1],)
    if value[:1] in "([" and value[-1:] in ")]":
        inner = value[1:-1]
        names = [match[2] for match in _STRING.finditer(inner)]
        if _STRING.sub("", inner).replace(",", "").strip() == "":
            return tuple(names)
    return None


def _declared(path: Path) -> tuple[str, tuple[str, ...] | None] | None:
    """The `revision` a revision file declares and its `down_revision`, as a tuple, read
    without importing the file, as text: Alembic is loading the revisions as this runs. The
    tuple is None when the file computes it (a template revision placed as this module
    places it); None for a file without a literal revision."""
    values = {name: value for name, value in _ASSIGNMENT.findall(path.read_text("utf-8"))}
    revision = _literal(values.get("revision", ""))
    if revision is None or len(revision) != 1:
        return None
    return revision[0], _literal(values.get("down_revision", "None"))


def _follows(
    revision: str, graph: dict[str, tuple[str, ...] | None], template: set[str]
) -> tuple[str, ...]:
    """The revisions that the template's `revision` follows: the heads of every revision of the
    project but it, the template's later ones, and those that follow any of them."""
    after = {name for name in template if name >= revision}
    grown = True
    while grown:
        grown = False
        for name, down in graph.items():
            if name not in after and down and after.intersection(down):
                after.add(name)
                grown = True
    before = [name for name in graph if name not in after]
    followed: set[str] = set()
    for name in before:
        down = graph[name]
        followed.update(down if down is not None else _follows(name, graph, template))
    return tuple(sorted(set(before) - followed))


def template_revision_follows(
    revision: str, versions: Path, in_a_new_project: str
) -> str | tuple[str, ...]:
    """The down_revision of the template's `revision`, from the revision files in `versions`:
    the heads of the revisions before it; `in_a_new_project` when there is no file to read (an
    installation without the sources)."""
    graph: dict[str, tuple[str, ...] | None] = {}
    template = {revision}
    for path in sorted(versions.glob("*.py")):
        declared = _declared(path)
        if declared is not None:
            graph[declared[0]] = declared[1]
            numbered = _TEMPLATE_FILE.fullmatch(path.name)
            if numbered and numbered[1] == declared[0]:
                template.add(declared[0])
    graph[revision] = None
    heads = _follows(revision, graph, template)
    return heads[0] if len(heads) == 1 else heads or in_a_new_project
