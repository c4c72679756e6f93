"""Encryption of secret plugin settings at rest (Fernet, key derived from the secret key)."""
from __future__ import annotations

import base64

from cryptography.fernet import Fernet, InvalidToken
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

PREFIX = "enc:v1:"
MASK = "********"


class SecretBox:
    """Encrypts and decrypts strings with a key derived (HKDF-SHA256) from
    ``secret_key``. Rotating the secret key makes stored secrets unreadable:
    they must be configured again."""

    def __init__(self, secret_key: str) -> None:
        derived = HKDF(
            algorithm=hashes.SHA256(), length=32, salt=b"shopwright", info=b"plugin-settings"
        ).derive(secret_key.encode())
        self._fernet = Fernet(base64.urlsafe_b64encode(derived))

    def encrypt(self, value: str) -> str:
        return PREFIX + self._fernet.encrypt(value.encode()).decode()

    def decrypt(self, stored: str) -> str:
        if not isinstance(stored, str) or not stored.startswith(PREFIX):
            raise ValueError("value is not an encrypted secret")
        try:
            return self._fernet.decrypt(stored[len(PREFIX):].encode()).decode()
        except InvalidToken:
            raise ValueError("secret cannot be decrypted with the current secret key") from None


def mask(value: object) -> str:
    """How a secret is shown: a fixed mask when set, empty when not."""
    return MASK if value not in (None, "") else ""
