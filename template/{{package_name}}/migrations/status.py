"""Whether the database is at the revision the code expects."""

from pathlib import Path

from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import AsyncEngine

MIGRATIONS_DIRECTORY = Path(__file__).parent


class DatabaseNotUpgraded(RuntimeError):
    """The database schema is behind (or ahead of) the migrations that ship with the code."""


def _current_revisions(connection: Connection) -> set[str]:
    return set(MigrationContext.configure(connection).get_current_heads())


async def check_database_is_upgraded(engine: AsyncEngine) -> None:
    """Refuse to serve a database whose schema does not match the code's migrations.

    Raises DatabaseNotUpgraded with the command that fixes it.
    """
    expected = set(ScriptDirectory(str(MIGRATIONS_DIRECTORY)).get_heads())
    async with engine.connect() as connection:
        current = await connection.run_sync(_current_revisions)
    if current != expected:
        raise DatabaseNotUpgraded(
            f"The database is at revision {', '.join(sorted(current)) or 'none (empty)'}, "
            f"the code expects {', '.join(sorted(expected))}: run `alembic upgrade head`."
        )
