"""Cross-origin requests: the web origins whose pages may call the API from a browser."""

from fastapi import FastAPI
from fastapi.middleware.cors import CORSMiddleware


def allow_origins(app: FastAPI, origins: list[str], credentials: bool = False) -> None:
    """Answer the browser's CORS checks for `origins` (CORS_ORIGINS); with none, add nothing, so
    browsers keep pages of other origins from reading the API's responses.

    With `credentials`, the pages of the listed origins may send their requests with the
    session cookies and read the answers; never with *, which would grant it to every site.
    """
    if not origins:
        return
    app.add_middleware(
        CORSMiddleware,
        allow_origins=origins,
        allow_methods=["*"],
        # Authorization carries a bearer token.
        allow_headers=["*"],
        allow_credentials=credentials and "*" not in origins,
    )
