"""What a database error means: whether the database could not be reached, and what it said."""

from sqlalchemy.exc import DBAPIError, InterfaceError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeoutError


def is_outage(error: BaseException) -> bool:
    """Whether the database could not be reached or used, rather than a statement failing:
    a lost or refused connection, the pool's wait for one running out, or the network's error
    (some drivers raise it unwrapped while connecting)."""
    if isinstance(error, DBAPIError):
        return error.connection_invalidated or isinstance(error, OperationalError | InterfaceError)
    return isinstance(error, OSError | PoolTimeoutError)


def driver_message(error: BaseException) -> str:
    """The first line of what the driver said, when SQLAlchemy wraps its error."""
    original = error.orig if isinstance(error, DBAPIError) else error
    lines = str(original).strip().splitlines()
    return lines[0] if lines else type(original).__name__
