"""FastAPI Users' password hashing, with each argon2 hash computed by one thread.

Argon2 splits its memory into lanes (p=4 in FastAPI Users' parameters), and argon2-cffi computes
them with as many threads: one login's hash would then take four cores at once, whatever the
size of the hashing pool (threads.py). The lanes, and so the hashes, stay the same here; only
the number of threads that compute them is one. The hashes are the standard PHC strings, which
any argon2 library verifies, and hashes made elsewhere verify here.
"""

import base64
import hmac
import os

import argon2
from argon2.exceptions import HashingError, InvalidHashError
from argon2.low_level import ARGON2_VERSION, Type, core, error_to_str, ffi
from fastapi_users.password import PasswordHelper
from pwdlib import PasswordHash
from pwdlib.hashers.argon2 import Argon2Hasher
from pwdlib.hashers.bcrypt import BcryptHasher

# bcrypt hashes the first 72 bytes of a password, and no more.
BCRYPT_MAX_BYTES = 72

# argon2.h's values, which argon2-cffi does not export.
ARGON2_OK = 0
ARGON2_DEFAULT_FLAGS = 0


def b64_encode(data: bytes) -> str:
    """Base64 without padding, as PHC strings write it."""
    return base64.b64encode(data).decode().rstrip("=")


def b64_decode(text: str) -> bytes:
    """The bytes of unpadded base64; ValueError if it is not base64."""
    return base64.b64decode(text + "=" * (-len(text) % 4), validate=True)


def as_bytes(password: str | bytes) -> bytes:
    """A password as argon2 takes it: UTF-8, as argon2-cffi encodes it."""
    return password.encode() if isinstance(password, str) else password


def raw_argon2(password: bytes, salt: bytes, parameters: argon2.Parameters) -> bytes:
    """The raw argon2 hash of `password`, all lanes computed by one thread."""
    # The buffers are held in variables until the hash is done: a struct's field does not keep
    # the buffer it points to alive, and a freed one would be reused by other allocations.
    out = ffi.new("uint8_t[]", parameters.hash_len)
    password_buffer = ffi.new("uint8_t[]", password)
    salt_buffer = ffi.new("uint8_t[]", salt)
    context = ffi.new(
        "argon2_context *",
        {
            "out": out,
            "outlen": parameters.hash_len,
            "pwd": password_buffer,
            "pwdlen": len(password),
            "salt": salt_buffer,
            "saltlen": len(salt),
            "secret": ffi.NULL,
            "secretlen": 0,
            "ad": ffi.NULL,
            "adlen": 0,
            "t_cost": parameters.time_cost,
            "m_cost": parameters.memory_cost,
            "lanes": parameters.parallelism,
            "threads": 1,
            "version": parameters.version,
            "allocate_cbk": ffi.NULL,
            "free_cbk": ffi.NULL,
            "flags": ARGON2_DEFAULT_FLAGS,
        },
    )
    status = core(context, parameters.type.value)
    if status != ARGON2_OK:
        raise HashingError(error_to_str(status))
    return bytes(ffi.buffer(out, parameters.hash_len))


class OneThreadArgon2Hasher(Argon2Hasher):
    """pwdlib's Argon2Hasher, with the same parameters and hashes, on one thread a hash."""

    def __init__(self) -> None:
        super().__init__()
        hasher = argon2.PasswordHasher()
        self.parameters = argon2.Parameters(
            type=Type.ID,
            version=ARGON2_VERSION,
            salt_len=hasher.salt_len,
            hash_len=hasher.hash_len,
            time_cost=hasher.time_cost,
            memory_cost=hasher.memory_cost,
            parallelism=hasher.parallelism,
        )

    def hash(self, password: str | bytes, *, salt: bytes | None = None) -> str:
        """The password's argon2id hash, as a PHC string."""
        p = self.parameters
        salt = salt or os.urandom(p.salt_len)
        digest = raw_argon2(as_bytes(password), salt, p)
        return (
            f"$argon2{p.type.name.lower()}$v={p.version}"
            f"$m={p.memory_cost},t={p.time_cost},p={p.parallelism}"
            f"${b64_encode(salt)}${b64_encode(digest)}"
        )

    def verify(self, password: str | bytes, hash: str | bytes) -> bool:
        """Whether the password matches an argon2 hash; False for a hash that is not one."""
        try:
            hash_text = hash.decode() if isinstance(hash, bytes) else hash
            parameters = argon2.extract_parameters(hash_text)
            *_, salt, digest = hash_text.split("$")
            expected = b64_decode(digest)
            return hmac.compare_digest(
                raw_argon2(as_bytes(password), b64_decode(salt), parameters), expected
            )
        except (InvalidHashError, HashingError, ValueError):
            return False


class LegacyBcryptHasher(BcryptHasher):
    """pwdlib's BcryptHasher, verifying a longer password as the hash was made: on its first
    72 bytes.

    bcrypt 5 refuses (ValueError) a password of more than 72 bytes, where bcrypt 4, passlib and
    other libraries cut it to 72 bytes before hashing. A stored bcrypt hash covers those bytes
    only, so they are what is checked: the user logs in with the password they always used,
    and the hash upgrade at login replaces it with an argon2id hash of the whole password.
    Refusing the password instead would lock out every user with a long one, such as a password
    manager makes, and would guard nothing: any password sharing those 72 bytes matched before.
    New hashes are argon2id (password_helper), never bcrypt.
    """

    def verify(self, password: str | bytes, hash: str | bytes) -> bool:
        """Whether the first 72 bytes of the password match a bcrypt hash."""
        return super().verify(as_bytes(password)[:BCRYPT_MAX_BYTES], hash)


def password_helper() -> PasswordHelper:
    """FastAPI Users' PasswordHelper: argon2id on one thread a hash, bcrypt hashes still
    accepted and upgraded at login."""
    return PasswordHelper(PasswordHash((OneThreadArgon2Hasher(), LegacyBcryptHasher())))
