"""The generated project under benchmark: the template rendered into a temporary directory."""

from pathlib import Path

import copier

TEMPLATE_DIR = Path(__file__).resolve().parent.parent
PACKAGE = "bench_api"


def render(destination: Path, driver: str) -> Path:
    """Render the template's working tree with `driver` and a UUID key: the project's path."""
    copier.run_copy(
        str(TEMPLATE_DIR),
        destination,
        data={"project_name": "Bench API", "package_name": PACKAGE, "db_driver": driver},
        defaults=True,
        quiet=True,
        vcs_ref="HEAD",
    )
    return destination
