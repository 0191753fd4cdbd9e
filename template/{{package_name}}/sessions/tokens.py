"""Refresh tokens: random strings the client keeps, of which the database keeps a hash."""

import hashlib
import secrets

# 256 bits: beyond guessing, so that a plain hash is as strong as a keyed or slow one.
TOKEN_BYTES = 32


def new_refresh_token() -> str:
    """A new refresh token, URL-safe: 43 characters."""
    return secrets.token_urlsafe(TOKEN_BYTES)


def refresh_token_hash(token: str) -> str:
    """What the database keeps of a refresh token: its SHA-256, in hexadecimal."""
    return hashlib.sha256(token.encode()).hexdigest()
