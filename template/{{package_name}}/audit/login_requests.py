"""The request of the login being served, for the audit log of a refused sign-in.

FastAPI Users hands the user manager's authenticate() the credentials alone: the login routes'
dependency keeps their request here while the login is served, for authenticate() to record a
refusal with its client's address and user agent.
"""

from collections.abc import AsyncIterator
from contextvars import ContextVar

from fastapi import Request

_login_request: ContextVar[Request | None] = ContextVar("login_request", default=None)


async def remember_login_request(request: Request) -> AsyncIterator[None]:
    """Dependency of the login routes: their request, which login_request() gives while the
    login is served."""
    token = _login_request.set(request)
    try:
        yield
    finally:
        _login_request.reset(token)


def login_request() -> Request | None:
    """The request of the login being served; None outside a login route, such as in the
    project's own calls of authenticate()."""
    return _login_request.get()
