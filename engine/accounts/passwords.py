"""Password hashing and the password policy, for staff and shoppers alike.

Hashing: argon2id (argon2-cffi) with t=3 iterations, 64 MiB memory and
parallelism 4 — above OWASP's minimum (m=19 MiB, t=2, p=1). The whole
password is hashed (no truncation; argon2 takes input of any length).
A hash made with weaker parameters is upgraded at the next sign-in
(:func:`needs_rehash`).

Policy: at least 12 characters, at most 256 (so a 64-character passphrase or
a password manager's output always fits), and not a common password: the
bundled list (``data/common_passwords.txt``, the 10,000 most common) is
checked case-insensitively, also with digits and symbols stripped from the
ends ("dragon2024!!" is "dragon") and for repeats ("passwordpassword").
"""
from __future__ import annotations

import asyncio
import re
from functools import lru_cache
from pathlib import Path

from argon2 import PasswordHasher, Type
from argon2.exceptions import InvalidHashError, VerificationError

MIN_LENGTH = 12
MAX_LENGTH = 256
COMMON_LIST = Path(__file__).resolve().parent / "data" / "common_passwords.txt"

hasher = PasswordHasher(time_cost=3, memory_cost=65536, parallelism=4, hash_len=32, salt_len=16, type=Type.ID)


@lru_cache(maxsize=1)
def _dummy_hash() -> str:
    """A hash of a fixed string, verified against when no account exists, so a
    missing account costs the same time as a wrong password. Made on first use:
    hashing at import would add an argon2 run to every process start."""
    return hasher.hash("shopwright-no-such-account")


class PasswordRejected(ValueError):
    """The password breaks the policy; the message says why (for the form)."""


@lru_cache(maxsize=1)
def common_passwords() -> frozenset[str]:
    words = set()
    for line in COMMON_LIST.read_text(encoding="utf-8").splitlines():
        if line and not line.startswith("#"):
            words.add(line.strip().lower())
    return frozenset(words)


_EDGES = re.compile(r"^[\W\d_]+|[\W\d_]+$")


def is_common(password: str) -> bool:
    words = common_passwords()
    lowered = password.lower()
    if lowered in words:
        return True
    core = _EDGES.sub("", lowered)
    if len(core) >= 4 and core in words and len(core) >= len(lowered) // 2:
        return True
    for size in range(1, len(lowered) // 2 + 1):
        if len(lowered) % size == 0 and lowered[:size] * (len(lowered) // size) == lowered:
            return size < 4 or lowered[:size] in words or len(set(lowered)) <= 2
    return False


def check_policy(password: str, email: str = "") -> None:
    """Raise :class:`PasswordRejected` when ``password`` may not be used."""
    if not isinstance(password, str) or len(password) < MIN_LENGTH:
        raise PasswordRejected(f"Use at least {MIN_LENGTH} characters.")
    if len(password) > MAX_LENGTH:
        raise PasswordRejected(f"Use at most {MAX_LENGTH} characters.")
    if is_common(password):
        raise PasswordRejected("This password is too common. Choose one that is harder to guess.")
    local = email.strip().lower().partition("@")[0]
    if local and len(local) >= 4 and local in password.lower() and len(password) - len(local) < 8:
        raise PasswordRejected("The password must not be based on your e-mail address.")


def hash_password(password: str) -> str:
    return hasher.hash(password)


def verify(password_hash: str | None, password: str) -> bool:
    """True when ``password`` matches; constant work when there is no hash."""
    if not password_hash:
        try:
            hasher.verify(_dummy_hash(), password or "x")
        except (VerificationError, InvalidHashError):
            pass
        return False
    try:
        return hasher.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def needs_rehash(password_hash: str) -> bool:
    try:
        return hasher.check_needs_rehash(password_hash)
    except InvalidHashError:
        return False


async def hash_password_async(password: str) -> str:
    """:func:`hash_password` off the event loop (argon2 takes ~0.1 s of CPU)."""
    return await asyncio.to_thread(hasher.hash, password)


async def verify_async(password_hash: str | None, password: str) -> bool:
    """:func:`verify` off the event loop."""
    return await asyncio.to_thread(verify, password_hash, password)
