"""Recovery codes: ten single-use codes shown once at enrolment, each of which stands in for
the authenticator app once, kept as hashes.

Each code holds 125 random bits, more than the 112 OWASP ASVS asks of a lookup secret kept
unsalted (6.5.2), written in five groups of five lowercase base32 characters. A code is read
back without regard to case, hyphens or spaces, as people copy it.
"""

import hashlib
import secrets

CODE_COUNT = 10
ALPHABET = "abcdefghijklmnopqrstuvwxyz234567"
GROUPS = 5
GROUP_LENGTH = 5
CODE_LENGTH = GROUPS * GROUP_LENGTH


def new_codes() -> list[str]:
    """A new set of codes, as the user sees them: abcde-fghij-klmno-pqrst-uvwxy."""
    return [_new_code() for _ in range(CODE_COUNT)]


def _new_code() -> str:
    characters = "".join(secrets.choice(ALPHABET) for _ in range(CODE_LENGTH))
    groups = (characters[i : i + GROUP_LENGTH] for i in range(0, CODE_LENGTH, GROUP_LENGTH))
    return "-".join(groups)


def code_hash(code: str) -> str | None:
    """The stored form of a code as the user typed it: SHA-256 in hexadecimal of its
    characters; None when it cannot be a recovery code."""
    characters = "".join(code.split()).replace("-", "").lower()
    if len(characters) != CODE_LENGTH or not set(characters) <= set(ALPHABET):
        return None
    return hashlib.sha256(characters.encode()).hexdigest()
