"""Cross-origin requests: the web origins whose pages may call the API from a browser."""

from fastapi import FastAPI
from fastapi.middleware.cors import CORSMiddleware


def allow_origins(app: FastAPI, origins: list[str]) -> None:
    """Answer the browser's CORS checks for `origins` (CORS_ORIGINS); with none, add nothing, so
    browsers keep pages of other origins from reading the API's responses."""
    if not origins:
        return
    app.add_middleware(
        CORSMiddleware,
        allow_origins=origins,
        allow_methods=["*"],
        # Authorization carries the bearer token; no cookies are involved.
        allow_headers=["*"],
    )
