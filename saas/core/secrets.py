"""Secrets at rest: values sealed with the keys in ENCRYPTION_KEYS (cryptography's MultiFernet), never stored plain.

ENCRYPTION_KEYS holds Fernet keys, comma-separated, the newest first: values are sealed under the first and opened
with any of them, so a key is rotated by putting a new one in front and running `flask saas rotate-secrets`, which
seals every stored secret again under it (then the old key can be removed). A database dump without the keys holds
no usable secret. A sealed value is a Fernet token, a string that starts with "gAAAAA"; in a plugin's JSON settings
it is kept as {"$sealed": token} so that the settings can tell sealed values from plain ones.
"""

from __future__ import annotations

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from flask import current_app
from sqlalchemy import Text
from sqlalchemy.types import TypeDecorator

from saas.config import NEW_FERNET_KEY

SEALED = "$sealed"


class SecretsError(RuntimeError):
    """A sealed value that none of the configured keys opens, or keys that are not Fernet keys."""


def parse_keys(value: str | None) -> list[bytes]:
    """ENCRYPTION_KEYS as a list of Fernet keys, newest first; a key that is not one stops with its position."""
    keys = [part.strip().encode() for part in (value or "").split(",") if part.strip()]
    for position, key in enumerate(keys, start=1):
        try:
            Fernet(key)
        except (ValueError, TypeError):
            raise SecretsError(
                f"ENCRYPTION_KEYS: key {position} is not a Fernet key (32 url-safe base64-encoded bytes; "
                f"make one with {NEW_FERNET_KEY})"
            ) from None
    return keys


def new_key() -> str:
    """A fresh Fernet key, for ENCRYPTION_KEYS."""
    return Fernet.generate_key().decode()


def _fernet(app=None) -> MultiFernet:
    app = app or current_app
    cached = app.extensions.get("secrets")
    if cached is None or cached[0] != app.config["ENCRYPTION_KEYS"]:
        keys = parse_keys(app.config["ENCRYPTION_KEYS"])
        if not keys:
            raise SecretsError("ENCRYPTION_KEYS is empty: secrets cannot be sealed.")
        cached = app.extensions["secrets"] = (app.config["ENCRYPTION_KEYS"], MultiFernet([Fernet(k) for k in keys]))
    return cached[1]


def seal(plaintext: str) -> str:
    """The value sealed under the newest key (a Fernet token)."""
    return _fernet().encrypt(plaintext.encode()).decode()


def unseal(token: str) -> str:
    """The value a token seals, opened with whichever configured key sealed it."""
    try:
        return _fernet().decrypt(token.encode()).decode()
    except InvalidToken:
        raise SecretsError(
            "A stored secret cannot be opened with ENCRYPTION_KEYS: was the key that sealed it removed?"
        ) from None


def reseal(token: str) -> str:
    """The same value sealed again under the newest key (`rotate-secrets`)."""
    try:
        return _fernet().rotate(token.encode()).decode()
    except InvalidToken:
        raise SecretsError(
            "A stored secret cannot be opened with ENCRYPTION_KEYS: was the key that sealed it removed?"
        ) from None


def is_sealed(value) -> bool:
    """True for a value kept sealed in JSON settings ({"$sealed": token})."""
    return isinstance(value, dict) and set(value) == {SEALED}


def seal_setting(value):
    """A settings value to store: a non-empty string sealed, anything else (empty, already sealed) as it is."""
    if isinstance(value, str) and value:
        return {SEALED: seal(value)}
    return value


def open_setting(value):
    """A stored settings value as the plugin reads it: sealed ones opened, plain ones as they are."""
    return unseal(value[SEALED]) if is_sealed(value) else value


class EncryptedText(TypeDecorator):
    """A text column whose value is sealed on the way in and opened on the way out (the column holds the token)."""

    impl = Text
    cache_ok = True

    def process_bind_param(self, value, dialect):
        return None if value is None else seal(value)

    def process_result_value(self, value, dialect):
        return None if value is None else unseal(value)
