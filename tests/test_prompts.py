"""Answers Copier must refuse, with a message that names the problem, before writing anything."""

from pathlib import Path

import pytest

from tooling.rendering import render_template


def assert_refused(tmp_path: Path, message: str, **answers: str) -> None:
    destination = tmp_path / "project"
    with pytest.raises(ValueError, match="Validation error") as error:
        render_template(destination, **answers)
    assert message in str(error.value)
    assert not destination.exists() or not any(destination.iterdir())


@pytest.mark.parametrize(
    ("package_name", "message"),
    [
        ("", "must not be empty"),
        ("My-Api", "not a valid package name"),
        ("1api", "not a valid package name"),
        ("class", "is a Python keyword"),
        ("fastapi", 'would shadow the "fastapi" module the project depends on'),
        ("sqlalchemy", "the project depends on"),
        ("alembic", "the project depends on"),
        ("typer", "the project depends on"),
        ("tests", "the project depends on"),
        ("json", "Python standard library"),
        ("secrets", "Python standard library"),
    ],
)
def test_bad_package_names_are_refused(tmp_path: Path, package_name: str, message: str) -> None:
    assert_refused(tmp_path, message, package_name=package_name)


@pytest.mark.parametrize(
    ("project_name", "message"),
    [
        ("   ", "must not be empty"),
        ('My "API"', "must not contain quotes"),
    ],
)
def test_bad_project_names_are_refused(tmp_path: Path, project_name: str, message: str) -> None:
    assert_refused(tmp_path, message, project_name=project_name)


@pytest.mark.parametrize(
    ("driver", "url", "message"),
    [
        ("asyncpg", "sqlite+aiosqlite:///./app.db", 'must start with "postgresql+asyncpg://"'),
        ("asyncmy", "mysql+aiomysql://root@localhost/app", 'must start with "mysql+asyncmy://"'),
        ("asyncpg", "postgresql+asyncpg://app:hunter2@db/app", "must not contain a password"),
        ("aiosqlite", "sqlite+aiosqlite:///./my app.db", "must not contain spaces"),
    ],
)
def test_bad_database_urls_are_refused(tmp_path: Path, driver: str, url: str, message: str) -> None:
    assert_refused(tmp_path, message, db_driver=driver, database_url=url)


@pytest.mark.parametrize(
    ("extra_columns", "message"),
    [
        ("nickname", 'Entry "nickname": expected "name:type"'),
        ("nickname:", "the type is missing"),
        ("nickname:varchar", 'unknown type "varchar"'),
        ("9lives:int", "not a valid Python identifier"),
        ("first-name:str", "not a valid Python identifier"),
        ("_secret:str", "starts with an underscore"),
        ("__table__:str", "starts with an underscore"),
        ("class:int", "is a Python keyword"),
        ("id:int", '"id" is already used'),
        ("email:str", '"email" is already used'),
        ("Email:str", '"Email" is already used'),
        ("hashed_password:str", "already used"),
        ("password:str", "already used"),
        ("is_active:bool", "already used"),
        ("is_superuser:bool", "already used"),
        ("is_verified:bool", "already used"),
        ("oauth_accounts:json?", "already used"),
        ("metadata:json?", "already used"),
        ("registry:str", "already used"),
        ("model_name:str", 'starts with "model_"'),
        ("uuid:uuid?", "a name the generated code imports"),
        ("x" * 64 + ":int", "databases allow at most 63"),
        ("age:int, AGE:int", 'the column "AGE" is defined twice'),
        ("name:str(0)", "must be a whole number from 1 to 16383"),
        ("name:str(abc)", "must be a whole number"),
        ("name:str(20000)", "must be a whole number from 1 to 16383"),
        ("amount:decimal(2,5)", "the scale of decimal(P,S)"),
        ("amount:decimal(66,2)", "the precision of decimal(P,S)"),
        ("amount:decimal(a,b)", "decimal takes (precision) or (precision,scale)"),
        ("age:int(3)", "int takes no arguments"),
        ("age:int=abc", 'the default "abc" is not an integer'),
        ("age:int=3000000000", "outside the range of int"),
        ("ok:bool=maybe", 'the default "maybe" is not a boolean'),
        ("born:date=2024-13-01", "not a valid calendar date"),
        ("born:date=2023-02-29", "not a valid calendar date"),
        ("born:date=yesterday", "is not a date"),
        ("code:str(3)=toolong", "longer than 3 characters"),
        ("plan:str=", "the default is empty"),
        ("score:float=high", "is not a number"),
        ("amount:decimal(5,2)=1234.5", "more than 3 digits before the decimal point"),
        ("amount:decimal(5,2)=1.234", "more than 2 digits after the decimal point"),
        ("ref:uuid=abc", "takes no default"),
        ("seen:datetime=now", "takes no default"),
        ("data:json={}", "takes no default"),
        ("age:int?unique", 'unexpected "unique" after the type'),
        ("age:int primary", 'unknown flag "primary"'),
        ("bio:text unique", "cannot be unique or indexed on MySQL"),
        ("bio:str(1000) index", "at most 768 characters"),
        ("amount:decimal(12,2", "unbalanced parentheses"),
        ('title:str="Hello', "unbalanced quotes"),
    ],
)
def test_bad_extra_columns_are_refused(tmp_path: Path, extra_columns: str, message: str) -> None:
    assert_refused(tmp_path, message, extra_columns=extra_columns)


def test_every_bad_entry_is_reported_at_once(tmp_path: Path) -> None:
    answer = "age:int=abc, ok:bool, id:int, flag:bool=maybe"

    destination = tmp_path / "project"
    with pytest.raises(ValueError) as error:
        render_template(destination, extra_columns=answer)

    assert 'Entry "age:int=abc"' in str(error.value)
    assert 'Entry "id:int"' in str(error.value)
    assert 'Entry "flag:bool=maybe"' in str(error.value)
    assert 'Entry "ok:bool"' not in str(error.value)


@pytest.mark.parametrize(
    "extra_columns",
    [
        "",
        "  ,  ",
        "nickname:str(32)? unique,",
        "nickname:str(32)? unique\nage:int?\n\n",
        "balance : decimal(12, 2) = 0 , plan:str=free index unique",
        'title:str="Hello, world"',
        'note:str=""',
        "born:date=2024-02-29",
    ],
)
def test_good_extra_columns_are_accepted(tmp_path: Path, extra_columns: str) -> None:
    render_template(tmp_path / "project", extra_columns=extra_columns)

    assert (tmp_path / "project" / "my_api" / "db.py").is_file()


def test_oauth_refuses_columns_that_registration_requires(tmp_path: Path) -> None:
    assert_refused(
        tmp_path,
        'every extra column needs "?" or a default; display_name, level have neither',
        oauth=True,
        extra_columns="display_name:str(64), age:int?, level:int, plan:str=free",
    )


def test_oauth_accepts_columns_with_a_default_or_nullable(tmp_path: Path) -> None:
    render_template(tmp_path / "project", oauth=True, extra_columns="age:int?, plan:str=free")

    assert (tmp_path / "project" / "my_api" / "accounts" / "oauth.py").is_file()


def test_an_unknown_auth_strategy_is_refused(tmp_path: Path) -> None:
    destination = tmp_path / "project"
    with pytest.raises(ValueError, match="Invalid choice"):
        render_template(destination, auth_strategy="cookie")
    assert not destination.exists() or not any(destination.iterdir())
