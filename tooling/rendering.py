"""Rendering the template's working tree, the extra-columns answers the tests and the snapshots
use, and running a command of this environment in a rendered project."""

import os
import subprocess
import sys
from pathlib import Path

import copier

TEMPLATE_DIR = Path(__file__).resolve().parent.parent

# Extra columns of every type, flag and default form.
EXTRA_COLUMNS = (
    "nickname:str(32)? unique, age:int?, plan:str=free index readonly, balance:decimal(12,2)=0, "
    "ledger:decimal(30,10)?, code:str(1)=x, "
    "bio:text?, birthday:date?, last_seen:datetime?, newsletter:bool=false, "
    "external_id:uuid? unique, settings:json?, score:float=0, views:bigint=0, "
    "display_name:str(64)"
)
# The same without the column that registration requires: OAuth sign-in cannot fill it.
OAUTH_EXTRA_COLUMNS = EXTRA_COLUMNS.removesuffix(", display_name:str(64)")


def render_template(destination: Path, **answers: object) -> Path:
    """Render the template's working tree, uncommitted changes included, into `destination`
    with `answers` and the defaults for the rest, as plain Copier does (no --trust)."""
    copier.run_copy(
        str(TEMPLATE_DIR),
        destination,
        data=answers,
        defaults=True,
        unsafe=False,
        quiet=True,
        vcs_ref="HEAD",
    )
    return destination


# The pytest plug-ins that this environment holds for the template's tests alone.
TEMPLATE_PLUGINS = ("hypothesispytest", "schemathesis")


def run(
    args: list[str], cwd: Path, *, input: str | None = None, **env: str
) -> subprocess.CompletedProcess[str]:
    """Run `python -m <args>` of this environment in `cwd`, with `env` added to the
    environment and `input` on its standard input, and capture what it says."""
    environment = {**os.environ, **env}
    # The options of an outer pytest run must not reach a generated project's own suite, nor
    # the pytest plug-ins of the template's tests, which the project does not use: loading them
    # would add seconds to each of its runs.
    environment["PYTEST_ADDOPTS"] = " ".join(f"-p no:{plugin}" for plugin in TEMPLATE_PLUGINS)
    return subprocess.run(
        [sys.executable, "-m", *args],
        cwd=cwd,
        env=environment,
        input=input,
        capture_output=True,
        text=True,
        check=False,
    )


# The environment that lifts a generated app's throttle limits (web/throttle.py): for the benchmark
# and the fuzzer, whose many requests come from one address, as to the stock app.
UNTHROTTLED = {
    f"THROTTLE_{limit}": str(10**9)
    for limit in [
        "LOGIN_FAILURES_PER_ACCOUNT",
        "LOGIN_FAILURES_PER_ADDRESS",
        "LOGIN_FAILURES_PER_ACCOUNT_FROM_NEW_ADDRESSES",
        "REGISTRATIONS_PER_ADDRESS",
        "EMAILS_PER_ADDRESS",
        "EMAILS_PER_RECIPIENT",
        "OAUTH_PER_ADDRESS",
        "REFRESHES_PER_SESSION",
        "REFRESHES_PER_ADDRESS",
    ]
}
