"""The 422 of a request that fails validation, rendered whatever text the request held.

FastAPI's own handler echoes each error's input and context in the response, and fails to
render two of them, which the client would get as a 500: JSON's escapes can carry a lone UTF-16
surrogate ("\\ud800"), which Python's json module reads into a str but which is no character,
and which UTF-8 cannot encode; and the body of a content type the route does not read is
echoed as bytes, which may not be UTF-8. Here both become text as a UTF-8 decoder shows what is
no character, with U+FFFD, the replacement character: the answer keeps FastAPI's shape,
{"detail": [...]}, and is valid JSON in UTF-8 for any client.
"""

import json
import re
from typing import Any

from fastapi import FastAPI, Request
from fastapi.encoders import jsonable_encoder
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse

LONE_SURROGATE = re.compile("[\ud800-\udfff]")
REPLACEMENT_CHARACTER = "\ufffd"


def as_text(data: bytes) -> str:
    """Bytes as text: UTF-8, with U+FFFD for what is not."""
    return data.decode(errors="replace")


class TextJSONResponse(JSONResponse):
    """Starlette's JSONResponse, with each lone surrogate in its strings replaced by U+FFFD."""

    def render(self, content: Any) -> bytes:
        # The same JSON as JSONResponse's; the surrogates are replaced in its text, which, unlike
        # a walk through the content, works at any depth that json.dumps does.
        text = json.dumps(
            content, ensure_ascii=False, allow_nan=False, indent=None, separators=(",", ":")
        )
        return LONE_SURROGATE.sub(REPLACEMENT_CHARACTER, text).encode()


async def request_validation_error_handler(request: Request, error: Exception) -> JSONResponse:
    """FastAPI's 422 of a request that fails validation, in text that UTF-8 can encode."""
    assert isinstance(error, RequestValidationError)
    errors = jsonable_encoder(error.errors(), custom_encoder={bytes: as_text})
    return TextJSONResponse(status_code=422, content={"detail": errors})


def render_validation_errors(app: FastAPI) -> None:
    """Answer the requests that fail validation with request_validation_error_handler."""
    app.add_exception_handler(RequestValidationError, request_validation_error_handler)
