"""Answers Copier must refuse, with a message that names the problem, before writing anything.

Copier shows a validator's message after "Validation error for question '<name>': ", and its
prompt shows the first line of it only, cut at the terminal's edge: that line must say what is
wrong within an 80-column terminal. The lines after it, which a non-interactive run prints, say it
in full and what would be right."""

from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from tooling.macros import environment, parsed_columns
from tooling.rendering import TEMPLATE_DIR, render_template

COLUMNS = 80


def prefix(question: str) -> str:
    """What Copier writes before a validator's message about `question`."""
    return f"Validation error for question '{question}': "


def assert_refused(tmp_path: Path, question: str, reason: str, **answers: object) -> list[str]:
    """Copier refuses `answers` with `reason` as the first line of its message, about `question`,
    and writes nothing; the message's other lines are returned."""
    destination = tmp_path / "project"
    with pytest.raises(ValueError, match="Validation error") as error:
        render_template(destination, **answers)
    first_line, *details = str(error.value).splitlines()
    assert first_line == prefix(question) + reason
    assert not destination.exists() or not any(destination.iterdir())
    return details


# The refused answers of each question, with the first line of the message after the prefix.
PACKAGE_NAMES = [
    ("", "The package name is empty"),
    ("My-Api", 'Use only a-z, 0-9 and _, not "M"'),
    ("my api", 'Use only a-z, 0-9 and _, not " "'),
    ("my\napi", "It contains a line break"),
    ('my"api', 'It contains a quote (")'),
    ("1api", "It must not start with a digit"),
    ("class", '"class" is a Python keyword'),
    ("fastapi", "A dependency already has that name"),
    ("sqlalchemy", "A dependency already has that name"),
    ("alembic", "A dependency already has that name"),
    ("typer", "A dependency already has that name"),
    ("tests", "A dependency already has that name"),
    ("fastapi_users_db_sqlalchemy", "A dependency already has that name"),
    ("json", "The standard library has that name"),
    ("secrets", "The standard library has that name"),
]
PROJECT_NAMES = [
    ("   ", "The project name is empty"),
    ('My "API"', 'The name contains a quote (")'),
    ("My \\ API", "The name contains a backslash"),
    ("My\nAPI", "The name contains a line break"),
]
DATABASE_URLS = [
    ("asyncpg", "sqlite+aiosqlite:///./app.db", "Use a postgresql+asyncpg:// URL"),
    ("psycopg", "postgresql+asyncpg://postgres@db/app", "Use a postgresql+psycopg:// URL"),
    ("asyncmy", "mysql+aiomysql://root@localhost/app", "Use a mysql+asyncmy:// URL"),
    ("asyncpg", "postgresql+asyncpg://app:hunter2@db/app", "The URL contains a password"),
    ("aiosqlite", "sqlite+aiosqlite:///./my app.db", "The URL contains a space"),
]
EXTRA_COLUMNS = [
    ("nickname", 'nickname: missing ":type"'),
    ("nickname:", "nickname: the type is missing"),
    ("nickname:varchar", 'nickname: unknown type "varchar"'),
    (":int", '":int": no column name'),
    ("9lives:int", "9lives: starts with a digit"),
    ("first-name:str", 'first-name: "-" is not allowed'),
    ("first\tname:str", "first name: contains a tab"),
    ('a"b"c:str', 'a"b"c: a quote (") is not allowed'),
    ("_secret:str", '_secret: starts with "_"'),
    ("__table__:str", '__table__: starts with "_"'),
    ("class:int", "class: is a Python keyword"),
    ("id:int", "id: is a reserved name"),
    ("email:str", "email: is a reserved name"),
    ("Email:str", "Email: is a reserved name"),
    ("hashed_password:str", "hashed_password: is reserved"),
    ("password:str", "password: is a reserved name"),
    ("is_active:bool", "is_active: is a reserved name"),
    ("is_superuser:bool", "is_superuser: is a reserved name"),
    ("is_verified:bool", "is_verified: is a reserved name"),
    ("oauth_accounts:json?", "oauth_accounts: is reserved"),
    ("metadata:json?", "metadata: is a reserved name"),
    ("registry:str", "registry: is a reserved name"),
    ("model_name:str", 'model_name: starts with "model_"'),
    ("uuid:uuid?", "uuid: clashes with an import"),
    ("x" * 64 + ":int", "xxxxxxxxxxxx…: over 63 characters"),
    ("age:int, AGE:int", 'AGE: same name as "age"'),
    ("age:int, age:int?", "age: defined twice"),
    ("name:str(0)", "name: length must be 1-16383"),
    ("name:str(abc)", "name: length must be 1-16383"),
    ("name:str(20000)", "name: length must be 1-16383"),
    ("amount:decimal(2,5)", "amount: scale must be 0-2"),
    ("amount:decimal(66,2)", "amount: precision must be 1-65"),
    ("amount:decimal(a,b)", "amount: expected decimal(P,S)"),
    ("age:int(3)", 'age: int takes no "(3)"'),
    ("last_seen:datetime(6)", 'last_seen: takes no "(6)"'),
    ("age:int=abc", 'age: default "abc" is not an int'),
    ("age:int=3000000000", "age: default out of int range"),
    ("views:bigint=x", 'views: default "x" is not an int'),
    # A shorter way of saying it, when the first does not fit.
    ("views:bigint=many", "views: default is not an int"),
    ("ok:bool=maybe", "ok: default must be true or false"),
    ("newsletter:bool=yes", "newsletter: must be true or false"),
    ("born:date=2024-13-01", 'born: no such date "2024-13-01"'),
    ("born:date=2023-02-29", 'born: no such date "2023-02-29"'),
    ("born:date=yesterday", "born: default is not YYYY-MM-DD"),
    ("code:str(3)=toolong", "code: default too long (max 3)"),
    ("plan:str=", 'plan: empty default (write "")'),
    ("score:float=high", "score: default is not a number"),
    ("amount:decimal(5,2)=1234.5", "amount: default over 999.99"),
    ("amount:decimal(5,2)=-1234.5", "amount: default under -999.99"),
    ("amount:decimal(5,2)=1.234", "amount: only 2 decimals allowed"),
    ("amount:decimal(5,0)=1.5", "amount: no decimals allowed"),
    ("ref:uuid=abc", "ref: uuid takes no default"),
    ("seen:datetime=now", "seen: datetime takes no default"),
    ("data:json={}", "data: json takes no default"),
    ("age:int?unique", 'age: no space before "unique"'),
    ("age:int primary", 'age: unknown flag "primary"'),
    ("bio:text unique", "bio: text can't be unique"),
    ("bio:str(1000) index", "bio: too long to be indexed"),
    # A read-only column: registration fills it without the user, and users share its default.
    ("plan:str readonly", "plan: readonly needs ? or default"),
    ("a_rather_long_column_name:int readonly", "a_rather_lon…: needs ? or default"),
    ("code:str(8)=x unique readonly", "code: readonly unique: no default"),
    ("age:int? readonly unique primary", 'age: unknown flag "primary"'),
    ("amount:decimal(12,2", 'amount: "(" not closed (+1 more)'),
    ('title:str="Hello', "title: unbalanced quotes"),
    # Long names and values are cut, with "…", so that the reason still fits.
    ("a_rather_long_column_name:int=abc", "a_rather_…: default is not an int"),
    ("nickname:str(3)=" + "y" * 70, "nickname: default too long"),
    ("t:" + "z" * 60, 't: unknown type "zzzzzzzzzzzzzz…"'),
    # Several wrong entries: the first, in a few words, and how many more.
    ("age:int=abc, ok:bool, id:int, flag:bool=maybe", "age: bad default (+2 more)"),
    ("a_rather_long_column_name:int=abc, b:int=x", "a_rather_…: bad default (+1 more)"),
    (", ".join(f"c{i}:intt" for i in range(120)), "c0: unknown type (+119 more)"),
]
OAUTH_COLUMNS = [
    (
        "display_name:str(64), age:int?, level:int, plan:str=free",
        "OAuth can't fill display_name, level",
    ),
    (
        ", ".join(f"column_number_{i}:int" for i in range(6)),
        "OAuth can't fill column_number… (+5 more)",
    ),
    ("x" * 63 + ":int", "OAuth can't fill xxxxxxxxxxxxxxxxxxxxxxx…"),
]
# The same columns refused by the extra_columns validator, which Copier runs at its prompt, asked
# after oauth: the first line names the first column, in the words of the other column errors.
OAUTH_EXTRA_COLUMNS = [
    ("nickname:str(32)?, level:int", "level: OAuth can't fill it"),
    ("age:int", "age: OAuth sign-in can't fill it"),
    ("display_name:str(64), age:int?, level:int", "disp…: OAuth can't fill (+1 more)"),
    ("a_long_column_name:int", "a_long_colu…: OAuth can't fill it"),
    (", ".join(f"c{i}:int" for i in range(120)), "c0: OAuth can't fill (+119 more)"),
]
# Refusals of `copier update`, against the answers the project gave before.
UPDATES = [
    ("id_type", {"id_type": "int"}, {"id_type": "uuid"}, "The project has uuid IDs: keep uuid"),
    (
        "extra_columns",
        {"extra_columns": "nickname:str(32)?, level:int"},
        {"extra_columns": "nickname:str(32)?"},
        "level: new, NOT NULL, no default",
    ),
    (
        "extra_columns",
        {"extra_columns": "nickname:str(32)?, code:str(8)=x unique"},
        {"extra_columns": "nickname:str(32)?"},
        "code: new, unique, with a default",
    ),
    (
        "extra_columns",
        {"extra_columns": "nickname:str(32)?, a_long_new_column_name:int"},
        {"extra_columns": "nickname:str(32)?"},
        "a_long_new…: new: needs a default",
    ),
]

# Every refused answer: (question, answers, the answers before the update, first line).
REFUSED: list[tuple[str, dict[str, Any], dict[str, Any] | None, str]] = [
    *(("package_name", {"package_name": name}, None, reason) for name, reason in PACKAGE_NAMES),
    *(("project_name", {"project_name": name}, None, reason) for name, reason in PROJECT_NAMES),
    *(
        ("database_url", {"db_driver": driver, "database_url": url}, None, reason)
        for driver, url, reason in DATABASE_URLS
    ),
    *(
        ("extra_columns", {"extra_columns": answer}, None, reason)
        for answer, reason in EXTRA_COLUMNS
    ),
    *(
        ("oauth", {"oauth": True, "extra_columns": answer}, None, reason)
        for answer, reason in OAUTH_COLUMNS
    ),
    *(
        ("extra_columns", {"oauth": True, "extra_columns": answer}, None, reason)
        for answer, reason in OAUTH_EXTRA_COLUMNS
    ),
    *UPDATES,
]

QUESTIONS = yaml.safe_load((TEMPLATE_DIR / "copier.yml").read_text())
# The answers the validators see for the questions a case does not answer: the defaults.
DEFAULT_ANSWERS = {
    "project_name": "My API",
    "package_name": "my_api",
    "id_type": "uuid",
    "db_driver": "aiosqlite",
    "database_url": "sqlite+aiosqlite:///./my_api.db",
    "extra_columns": "",
    "oauth": False,
    "auth_strategy": "jwt",
    "auth_transport": "bearer",
    "second_factor": True,
}


def validator_message(
    question: str, answers: dict[str, Any], previous: dict[str, Any] | None = None
) -> str:
    """The message of `question`'s validator in copier.yml for `answers`, as Copier renders it;
    `previous` are the answers of the project being updated, none on a first copy."""
    context = {
        **DEFAULT_ANSWERS,
        **answers,
        "_copier_conf": {"overwrite": previous is not None, "dst_path": "/tmp/project"},
        "_external_data": {"previous": previous or {}},
    }
    template = environment().from_string(QUESTIONS[question]["validator"])
    return template.render(**context).strip()


def test_every_question_with_a_validator_has_refused_answers() -> None:
    validated = {name for name, question in QUESTIONS.items() if "validator" in question}

    assert validated == {question for question, *_ in REFUSED}


@pytest.mark.parametrize(("question", "answers", "previous", "reason"), REFUSED)
def test_every_first_line_fits_80_columns(
    question: str, answers: dict[str, Any], previous: dict[str, Any] | None, reason: str
) -> None:
    first_line = validator_message(question, answers, previous).splitlines()[0]

    assert first_line == reason
    assert len(prefix(question) + first_line) <= COLUMNS


def assert_readable_whole(question: str, message: str) -> None:
    """The first line of `message` fits after the prefix, and a terminal shows it as it counts."""
    first_line = message.split("\n")[0]
    assert first_line.isprintable(), first_line
    assert len(prefix(question) + first_line) <= COLUMNS, first_line


# Answers made of the language's characters and words, most of them wrong in some way, with
# names and values long or short.
TOKENS = [
    *'abcxyz_019:,=?()" \nAZ-.',
    *["str", "int", "decimal(5,2)", "date", "bool", " unique", " readonly"],
]
column_answers = st.lists(st.sampled_from(TOKENS), max_size=120).map("".join)


@settings(max_examples=300, deadline=None)
@given(extra_columns=column_answers, oauth=st.booleans())
def test_any_extra_columns_error_fits_80_columns(extra_columns: str, oauth: bool) -> None:
    for question in ["extra_columns", "oauth"]:
        message = validator_message(question, {"extra_columns": extra_columns, "oauth": oauth})
        if message:
            assert_readable_whole(question, message)


@settings(max_examples=200, deadline=None)
@given(name=st.text(max_size=100), driver=st.sampled_from(["aiosqlite", "asyncpg", "asyncmy"]))
def test_any_name_or_url_error_fits_80_columns(name: str, driver: str) -> None:
    cases = {
        "project_name": {"project_name": name},
        "package_name": {"package_name": name},
        "database_url": {"db_driver": driver, "database_url": name},
    }
    for question, answers in cases.items():
        message = validator_message(question, answers)
        if message:
            assert_readable_whole(question, message)


@pytest.mark.parametrize(("package_name", "reason"), PACKAGE_NAMES)
def test_bad_package_names_are_refused(tmp_path: Path, package_name: str, reason: str) -> None:
    assert_refused(tmp_path, "package_name", reason, package_name=package_name)


def test_a_bad_package_name_is_explained_with_one_that_would_do(tmp_path: Path) -> None:
    details = assert_refused(
        tmp_path, "package_name", 'Use only a-z, 0-9 and _, not "M"', package_name="My-Api"
    )

    assert details == [
        '"My-Api" is not a valid package name: use lowercase letters, digits and underscores, '
        'not starting with a digit, such as "my_api".'
    ]


@pytest.mark.parametrize(("project_name", "reason"), PROJECT_NAMES)
def test_bad_project_names_are_refused(tmp_path: Path, project_name: str, reason: str) -> None:
    assert_refused(tmp_path, "project_name", reason, project_name=project_name)


@pytest.mark.parametrize(("driver", "url", "reason"), DATABASE_URLS)
def test_bad_database_urls_are_refused(tmp_path: Path, driver: str, url: str, reason: str) -> None:
    assert_refused(tmp_path, "database_url", reason, db_driver=driver, database_url=url)


def test_a_url_of_another_driver_is_explained_with_its_own_scheme(tmp_path: Path) -> None:
    details = assert_refused(
        tmp_path,
        "database_url",
        "Use a mysql+asyncmy:// URL",
        db_driver="asyncmy",
        database_url="mysql+aiomysql://root@localhost/app",
    )

    assert details == [
        'The database URL must start with "mysql+asyncmy://" to use the asyncmy driver '
        '(got "mysql+aiomysql://root@localhost/app"), such as "mysql+asyncmy://root@localhost/app".'
    ]


@pytest.mark.parametrize(("extra_columns", "reason"), EXTRA_COLUMNS)
def test_bad_extra_columns_are_refused(tmp_path: Path, extra_columns: str, reason: str) -> None:
    assert_refused(tmp_path, "extra_columns", reason, extra_columns=extra_columns)


def test_every_bad_entry_is_explained_on_a_line_of_its_own(tmp_path: Path) -> None:
    details = assert_refused(
        tmp_path,
        "extra_columns",
        "age: bad default (+2 more)",
        extra_columns="age:int=abc, ok:bool, id:int, flag:bool=maybe",
    )

    assert details == [
        'Entry "age:int=abc": the default of an int column is a whole number from -2147483648 '
        'to 2147483647, not "abc".',
        'Entry "id:int": "id" is already used by FastAPI Users: choose another name.',
        'Entry "flag:bool=maybe": the default "maybe" is not a boolean: write true or false.',
    ]


def test_a_cut_name_is_whole_in_the_explanation(tmp_path: Path) -> None:
    details = assert_refused(
        tmp_path,
        "extra_columns",
        "a_rather_…: default is not an int",
        extra_columns="a_rather_long_column_name:int=abc",
    )

    assert details[0].startswith('Entry "a_rather_long_column_name:int=abc": ')


@pytest.mark.parametrize(
    "extra_columns",
    [
        "",
        "  ,  ",
        "nickname:str(32)? unique,",
        "nickname:str(32)? unique\nage:int?\n\n",
        "balance : decimal(12, 2) = 0 , plan:str=free index unique",
        "plan:str=free index readonly, note:text? readonly, ref:uuid? unique readonly",
        "settings:json? readonly",
        'title:str="Hello, world"',
        'note:str=""',
        "born:date=2024-02-29",
    ],
)
def test_good_extra_columns_are_accepted(tmp_path: Path, extra_columns: str) -> None:
    render_template(tmp_path / "project", extra_columns=extra_columns)

    assert (tmp_path / "project" / "my_api" / "db.py").is_file()


@pytest.mark.parametrize(("extra_columns", "reason"), OAUTH_COLUMNS[:1])
def test_oauth_refuses_columns_that_registration_requires(
    tmp_path: Path, extra_columns: str, reason: str
) -> None:
    details = assert_refused(tmp_path, "oauth", reason, oauth=True, extra_columns=extra_columns)

    assert details == [
        "OAuth sign-in creates users from an e-mail address alone, so every extra column needs "
        '"?" or a default; display_name, level have neither.'
    ]


def test_the_extra_columns_prompt_explains_each_column_oauth_cannot_fill() -> None:
    message = validator_message(
        "extra_columns", {"oauth": True, "extra_columns": "age:int?, level:int, code:str(8)"}
    )

    assert message.splitlines() == [
        "level: OAuth can't fill (+1 more)",
        "level: OAuth sign-in creates users from an e-mail address alone, so with oauth every "
        'extra column needs "?" or a default; make it nullable (level:int?) or give it one '
        "(level:int=...).",
        "code: OAuth sign-in creates users from an e-mail address alone, so with oauth every "
        'extra column needs "?" or a default; make it nullable (code:str?) or give it one '
        "(code:str=...).",
    ]


def test_readonly_is_a_flag_among_the_others() -> None:
    columns = parsed_columns(
        "plan:str=free index readonly, badge:str(16)? readonly unique, age:int?"
    )

    assert [(c["name"], c["readonly"], c["unique"], c["index"]) for c in columns] == [
        ("plan", True, False, True),
        ("badge", True, True, False),
        ("age", False, False, False),
    ]


def test_a_readonly_column_registration_cannot_fill_is_explained(tmp_path: Path) -> None:
    details = assert_refused(
        tmp_path,
        "extra_columns",
        "plan: readonly needs ? or default",
        extra_columns="plan:str readonly",
    )

    assert details == [
        'Entry "plan:str readonly": a readonly column is not filled in at registration, so it '
        'needs "?" or a default: make it nullable (plan:str?) or give it one (plan:str=...).'
    ]


def test_with_oauth_a_readonly_column_needs_what_the_others_need() -> None:
    accepted = {"oauth": True, "extra_columns": "plan:str=free readonly, badge:str(16)? readonly"}
    refused = {"oauth": True, "extra_columns": "plan:str readonly"}

    assert validator_message("extra_columns", accepted) == ""
    assert validator_message("oauth", accepted) == ""
    assert validator_message("extra_columns", refused).splitlines()[0] == (
        "plan: readonly needs ? or default"
    )


def test_the_extra_columns_prompt_refuses_nothing_without_oauth() -> None:
    assert validator_message("extra_columns", {"oauth": False, "extra_columns": "level:int"}) == ""


def test_oauth_accepts_columns_with_a_default_or_nullable(tmp_path: Path) -> None:
    render_template(tmp_path / "project", oauth=True, extra_columns="age:int?, plan:str=free")

    assert (tmp_path / "project" / "my_api" / "accounts" / "oauth.py").is_file()


@pytest.mark.parametrize(
    "answer", [{"auth_strategy": "cookie"}, {"auth_transport": "session"}], ids=str
)
def test_an_unknown_auth_strategy_or_transport_is_refused(
    tmp_path: Path, answer: dict[str, str]
) -> None:
    destination = tmp_path / "project"
    with pytest.raises(ValueError, match="Invalid choice"):
        render_template(destination, **answer)
    assert not destination.exists() or not any(destination.iterdir())
