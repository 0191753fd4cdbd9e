"""A database that cannot be reached is a 503 Service Unavailable, never a 500.

The answer carries Retry-After and a JSON detail, and the request is logged as one line,
without a traceback. Nothing needs restarting when the database is back: a connection error
that SQLAlchemy recognises as a lost connection invalidates every connection of the pool,
so the next requests open fresh connections instead of failing one each on a stale one.
"""

import logging

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse
from sqlalchemy.exc import DBAPIError, InterfaceError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeoutError

# How long clients are asked to wait before they try again, in seconds.
RETRY_AFTER_SECONDS = 5

logger = logging.getLogger(__name__)


def is_outage(error: Exception) -> bool:
    """Whether the database could not be reached or used, rather than a statement failing:
    a lost or refused connection, the pool's wait for one running out, or the network's error
    (some drivers raise it unwrapped while connecting)."""
    if isinstance(error, DBAPIError):
        return error.connection_invalidated or isinstance(error, OperationalError | InterfaceError)
    return isinstance(error, OSError | PoolTimeoutError)


def cause(error: Exception) -> str:
    """The first line of what the driver said."""
    original = error.orig if isinstance(error, DBAPIError) else error
    lines = str(original).strip().splitlines()
    return lines[0] if lines else type(original).__name__


async def database_unavailable(request: Request, error: Exception) -> JSONResponse:
    """503 with Retry-After for an outage; any other error goes on to be a 500."""
    if not is_outage(error):
        raise error
    logger.warning(
        "%s %s: 503, the database is unavailable: %s",
        request.method,
        request.url.path,
        cause(error),
    )
    return JSONResponse(
        status_code=503,
        content={"detail": "DATABASE_UNAVAILABLE"},
        headers={"Retry-After": str(RETRY_AFTER_SECONDS)},
    )


def handle_database_outages(app: FastAPI) -> None:
    """Answer requests that meet a database outage with 503."""
    for error_class in (DBAPIError, OSError, PoolTimeoutError):
        app.add_exception_handler(error_class, database_unavailable)
