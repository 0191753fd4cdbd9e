"""The changelog: every release says what an existing project must do, and an update says where
to read it."""

import re

import yaml

from tooling.rendering import TEMPLATE_DIR

CHANGELOG = (TEMPLATE_DIR / "CHANGELOG.md").read_text()


def releases() -> list[str]:
    """Each release's section, newest first, its heading included."""
    return re.split(r"^(?=## )", CHANGELOG, flags=re.MULTILINE)[1:]


def test_every_release_says_what_an_existing_project_must_do() -> None:
    sections = releases()

    assert sections[0].startswith("## Unreleased\n")
    for section in sections[1:]:
        assert re.match(r"## \d{4}-\d{2}-\d{2} \([0-9a-f]{7}\)\n", section), section[:40]
    # The first release had no existing project to upgrade.
    for section in sections[:-1]:
        assert "\n### Upgrading an existing project\n" in section, section.splitlines()[0]


def test_the_message_after_an_update_points_to_the_changelog() -> None:
    questions = yaml.safe_load((TEMPLATE_DIR / "copier.yml").read_text())

    assert "CHANGELOG.md" in questions["_message_after_update"]
