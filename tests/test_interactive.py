"""`copier copy` and `copier update` run interactively in an 80-column terminal: every question's
help is seen whole, a bad answer's error is read whole on the prompt's one line, the answers typed
at the prompts make the project, and an update keeps what the project's database cannot change."""

import os
import shlex
import shutil
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml

from tooling.projects import commit_all, git, tagged_template
from tooling.rendering import TEMPLATE_DIR

COLUMNS = 80
ROWS = 60
# How long one prompt may take to appear; the whole dialogue is a few seconds.
STEP_TIMEOUT_SECONDS = 30

# The questions Copier asks, in order, with what answers them: keys, and text typed as it is.
ANSWERS: list[tuple[str, list[list[str]]]] = [
    ("project_name", [["C-u"], ["-l", "Prompt API"], ["Enter"]]),
    ("package_name", [["Enter"]]),
    ("id_type", [["Down", "Enter"]]),
    ("db_driver", [["Enter"]]),
    ("database_url", [["Enter"]]),
    ("oauth", [["y"]]),
    ("extra_columns", [["-l", "nickname:str(32)? unique, age:int?"], ["Escape", "Enter"]]),
    ("auth_strategy", [["Down", "Enter"]]),
    ("auth_transport", [["Down", "Enter"]]),
    ("second_factor", [["n"]]),
]


class Terminal:
    """A tmux server of the test's own, running one command in a window COLUMNS wide."""

    def __init__(self, socket: str) -> None:
        self.socket = socket

    def tmux(self, *args: str) -> str:
        result = subprocess.run(
            ["tmux", "-L", self.socket, *args], capture_output=True, text=True, check=True
        )
        return result.stdout

    def start(self, command: list[str], cwd: Path) -> None:
        # The command's status is kept on screen, so a failure can be told from a success.
        shell = f"{shlex.join(command)}; echo EXIT STATUS $?; sleep 600"
        self.tmux("new-session", "-d", "-x", str(COLUMNS), "-y", str(ROWS), "-c", str(cwd), shell)

    def screen(self) -> str:
        """Everything the terminal showed, scrolled-off lines included, as the user saw it."""
        return self.tmux("capture-pane", "-p", "-S", "-")

    def wait_for(self, text: str) -> str:
        deadline = time.monotonic() + STEP_TIMEOUT_SECONDS
        while text not in (screen := self.screen()):
            if time.monotonic() > deadline:
                raise AssertionError(f"{text!r} did not appear:\n{screen}")
            time.sleep(0.1)
        return screen

    def send(self, *keys: str) -> None:
        self.tmux("send-keys", *keys)


@pytest.fixture
def terminal() -> Iterator[Terminal]:
    if shutil.which("tmux") is None:
        if os.environ.get("CI") == "true":
            pytest.fail("tmux is needed to drive copier in a terminal")
        pytest.skip("tmux is not installed")
    terminal = Terminal(f"copier-test-{uuid.uuid4().hex}")
    try:
        yield terminal
    finally:
        subprocess.run(["tmux", "-L", terminal.socket, "kill-server"], check=False)


def help_lines(question: str) -> list[str]:
    """The lines of a question's help, as copier.yml writes them."""
    questions = yaml.safe_load((TEMPLATE_DIR / "copier.yml").read_text())
    return [line.strip() for line in questions[question]["help"].splitlines()]


def test_every_help_is_seen_whole_at_80_columns(terminal: Terminal, tmp_path: Path) -> None:
    destination = tmp_path / "prompt-api"
    copier = [sys.executable, "-m", "copier", "copy", "--vcs-ref", "HEAD"]
    terminal.start([*copier, str(TEMPLATE_DIR), str(destination)], cwd=tmp_path)

    for question, typed in ANSWERS:
        lines = help_lines(question)
        screen = terminal.wait_for(lines[-1])
        rows = screen.splitlines()
        for line in lines:
            # Whole lines: a help cut at the terminal's edge would show only the start of one.
            assert any(line in row for row in rows), f"{question}: {line!r} is cut:\n{screen}"
        for keys in typed:
            terminal.send(*keys)

    screen = terminal.wait_for("EXIT STATUS")
    assert "EXIT STATUS 0" in screen, screen
    assert all(len(line) <= COLUMNS for line in screen.splitlines())
    extra_columns = " ".join(help_lines("extra_columns"))
    assert "Types: str, str(N), text, int, bigint, float, decimal(P,S)" in extra_columns
    assert "Example: nickname:str(32)? unique" in extra_columns

    answers = yaml.safe_load((destination / ".copier-answers.yml").read_text())
    assert answers == answers | {
        "project_name": "Prompt API",
        "package_name": "prompt_api",
        "id_type": "int",
        "db_driver": "aiosqlite",
        "database_url": "sqlite+aiosqlite:///./prompt_api.db",
        "extra_columns": "nickname:str(32)? unique, age:int?",
        "oauth": True,
        "auth_strategy": "database",
        "auth_transport": "cookie",
        "second_factor": False,
    }


# Bad answers typed at the prompts, with the error Copier's prompt shows on its one line, after
# "Validation error for question '<name>': ": the reason must be seen whole, not cut at the edge.
BAD_ANSWERS: dict[str, list[tuple[str, str]]] = {
    "project_name": [('My "API"', 'The name contains a quote (")')],
    "package_name": [("My-Api", 'Use only a-z, 0-9 and _, not "M"')],
    "database_url": [("postgresql+asyncpg://db/app", "Use a sqlite+aiosqlite:// URL")],
    "extra_columns": [
        ("age:int=abc", 'age: default "abc" is not an int'),
        ("nickname:varchar", 'nickname: unknown type "varchar"'),
        ("a_rather_long_column_name:int=abc", "a_rather_…: default is not an int"),
        ("age:int=abc, ok:bool, id:int, flag:bool=maybe", "age: bad default (+2 more)"),
    ],
}
# The answers typed after the bad ones, or the keys that take the default.
GOOD_ANSWERS: dict[str, str | None] = {
    "project_name": "Error API",
    "package_name": "error_api",
    "id_type": None,
    "db_driver": None,
    "database_url": "sqlite+aiosqlite:///./error_api.db",
    "oauth": None,
    "extra_columns": "age:int?",
    "auth_strategy": None,
    "auth_transport": None,
    "second_factor": None,
}
MULTILINE = {"extra_columns"}


def questions_before(question: str) -> list[str]:
    """The questions Copier asks before `question`, in order."""
    names = [name for name, _ in ANSWERS]
    return names[: names.index(question)]


def type_answer(terminal: Terminal, question: str, text: str) -> None:
    """Replace what the prompt holds with `text`, and submit it."""
    terminal.send("C-u")
    terminal.send("-l", text)
    terminal.send(*(["Escape", "Enter"] if question in MULTILINE else ["Enter"]))


def assert_read_whole(screen: str, question: str, reason: str) -> None:
    """The error about `question` is on screen with its first line whole: only if the prompt did
    not cut it at the terminal's edge."""
    prefix = f"Validation error for question '{question}': "
    row = next(row for row in screen.splitlines() if row.startswith(prefix))
    assert row.rstrip() == prefix + reason, screen
    assert len(row.rstrip()) <= COLUMNS


def test_every_error_is_read_whole_at_80_columns(terminal: Terminal, tmp_path: Path) -> None:
    destination = tmp_path / "error-api"
    copier = [sys.executable, "-m", "copier", "copy", "--vcs-ref", "HEAD"]
    terminal.start([*copier, str(TEMPLATE_DIR), str(destination)], cwd=tmp_path)

    for question, good in GOOD_ANSWERS.items():
        terminal.wait_for(help_lines(question)[-1])
        prefix = f"Validation error for question '{question}': "
        for bad, reason in BAD_ANSWERS.get(question, []):
            type_answer(terminal, question, bad)
            assert_read_whole(terminal.wait_for(prefix + reason), question, reason)
        if good is None:
            terminal.send("Enter")
        else:
            type_answer(terminal, question, good)

    screen = terminal.wait_for("EXIT STATUS")
    assert "EXIT STATUS 0" in screen, screen
    answers = yaml.safe_load((destination / ".copier-answers.yml").read_text())
    assert answers == answers | {
        "project_name": "Error API",
        "package_name": "error_api",
        "database_url": "sqlite+aiosqlite:///./error_api.db",
        "extra_columns": "age:int?",
        "oauth": False,
    }


def test_oauth_refuses_a_column_it_cannot_fill_at_the_prompt(
    terminal: Terminal, tmp_path: Path
) -> None:
    """Copier checks a yes/no answer only when --data gives it: oauth is asked first, and the
    extra_columns prompt refuses a column that an OAuth sign-up leaves without a value."""
    destination = tmp_path / "oauth-api"
    copier = [sys.executable, "-m", "copier", "copy", "--vcs-ref", "HEAD"]
    terminal.start([*copier, str(TEMPLATE_DIR), str(destination)], cwd=tmp_path)
    for question in questions_before("oauth"):
        terminal.wait_for(help_lines(question)[-1])
        terminal.send("Enter")
    terminal.wait_for(help_lines("oauth")[-1])
    terminal.send("y")
    terminal.wait_for(help_lines("extra_columns")[-1])

    type_answer(terminal, "extra_columns", "nickname:str(32)?, level:int")

    reason = "level: OAuth can't fill it"
    screen = terminal.wait_for(f"Validation error for question 'extra_columns': {reason}")
    assert_read_whole(screen, "extra_columns", reason)
    assert not destination.exists()
    terminal.send("C-c")
    screen = terminal.wait_for("EXIT STATUS")
    assert "EXIT STATUS 0" not in screen, screen
    assert not destination.exists()


@pytest.fixture
def project(tmp_path: Path) -> Path:
    """A project with integer IDs and a column that registration requires, from a git copy of
    the template's working tree tagged 1.0.0, committed as a user starts: what `copier update`
    updates."""
    template = tagged_template(tmp_path / "template")
    project = tmp_path / "project"
    data = ["--data", "id_type=int", "--data", "extra_columns=level:int"]
    copy = ["copy", "--quiet", "--defaults", *data, str(template), str(project)]
    subprocess.run([sys.executable, "-m", "copier", *copy], capture_output=True, check=True)
    git(project, "init", "--quiet")
    commit_all(project, "Start from the template")
    return project


def test_an_update_does_not_ask_the_id_type(terminal: Terminal, project: Path) -> None:
    """Copier checks a choice only when --data gives it: an update does not ask the ID type,
    which the project's tables use, and keeps the project's answer."""
    terminal.start([sys.executable, "-m", "copier", "update"], cwd=project)

    for question, _ in ANSWERS:
        if question != "id_type":
            terminal.wait_for(help_lines(question)[-1])
            terminal.send(*(["Escape", "Enter"] if question in MULTILINE else ["Enter"]))

    screen = terminal.wait_for("EXIT STATUS")
    assert "EXIT STATUS 0" in screen, screen
    assert help_lines("id_type")[0] not in screen
    answers = yaml.safe_load((project / ".copier-answers.yml").read_text())
    assert answers["id_type"] == "int"
    assert git(project, "status", "--porcelain") == ""


def test_an_update_that_asks_the_id_type_closes_the_other(
    terminal: Terminal, project: Path
) -> None:
    """Asked all the same (--ask, or a Copier without a question's `ask`), the question offers
    the project's own ID type only, and says why beside the other."""
    command = ["copier", "update", "--defaults", "--ask", "id_type"]
    terminal.start([sys.executable, "-m", *command], cwd=project)

    screen = terminal.wait_for("(The project has int IDs: keep int)")
    row = next(row for row in screen.splitlines() if "UUID (random, not guessable)" in row)
    assert row.strip() == "- UUID (random, not guessable) (The project has int IDs: keep int)"
    assert len(row.rstrip()) <= COLUMNS
    # The cursor, on the project's own type, skips the closed one.
    terminal.send("Up")
    terminal.send("Enter")

    screen = terminal.wait_for("EXIT STATUS")
    assert "EXIT STATUS 0" in screen, screen
    answers = yaml.safe_load((project / ".copier-answers.yml").read_text())
    assert answers["id_type"] == "int"
    assert git(project, "status", "--porcelain") == ""


def test_an_update_that_turns_oauth_on_refuses_a_column_it_cannot_fill(
    terminal: Terminal, project: Path
) -> None:
    """The project's columns fail the extra_columns validator once oauth is yes: Copier drops
    such an answer, and the question's default, the project's columns again, is refused before
    anything is written, instead of a prompt offering no columns at all."""
    terminal.start([sys.executable, "-m", "copier", "update"], cwd=project)
    for question in questions_before("oauth"):
        if question != "id_type":
            terminal.wait_for(help_lines(question)[-1])
            terminal.send("Enter")
    terminal.wait_for(help_lines("oauth")[-1])

    terminal.send("y")

    screen = terminal.wait_for("EXIT STATUS")
    assert "EXIT STATUS 0" not in screen, screen
    # Copier prints the error of a default in a traceback, whose long lines the terminal wraps.
    assert "Validation error for question 'extra_columns': level: OAuth can't fill it" in (
        "".join(screen.splitlines())
    )
    assert git(project, "status", "--porcelain") == ""
