"""EncryptedJSONField: credentials encrypted at rest with Fernet, rotatable with MultiFernet."""

from __future__ import annotations

import json
from functools import cache
from typing import Any

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.db import models

from integration_manager.redaction import register_secret


class Secrets(dict):
    """A dict of credentials whose repr() never shows a value (tracebacks, debug pages, shells)."""

    def __repr__(self) -> str:
        return "Secrets(" + ", ".join(f"{key}=***" for key in sorted(self)) + ")"

    __str__ = __repr__


@cache
def _fernet(keys: tuple[str, ...]) -> MultiFernet:
    if not keys:
        raise ImproperlyConfigured(
            "FIELD_ENCRYPTION_KEY is not set. Generate one with `python -c 'from "
            "cryptography.fernet import Fernet; print(Fernet.generate_key().decode())'`."
        )
    try:
        return MultiFernet([Fernet(key.encode()) for key in keys])
    except ValueError as error:
        raise ImproperlyConfigured(
            "FIELD_ENCRYPTION_KEY must be one or more url-safe base64 Fernet keys, comma-separated."
        ) from error


def fernet() -> MultiFernet:
    return _fernet(tuple(settings.FIELD_ENCRYPTION_KEYS))


def encrypt_json(value: dict[str, Any]) -> str:
    return fernet().encrypt(json.dumps(value, sort_keys=True).encode()).decode()


def decrypt_json(token: str) -> Secrets:
    try:
        plain = fernet().decrypt(token.encode())
    except InvalidToken as error:
        # Deliberately says nothing about the value: only that the key does not fit.
        raise ImproperlyConfigured(
            "Stored credentials cannot be decrypted with FIELD_ENCRYPTION_KEY. "
            "Was the key changed without keeping the old one? See docs/operations.md."
        ) from error
    secrets = Secrets(json.loads(plain))
    for value in secrets.values():
        register_secret(value)
    return secrets


class Ciphertext(str):
    """A token that is already encrypted, written back as it is (key rotation)."""


def rotate_token(token: str) -> Ciphertext:
    """Re-encrypt a stored token with the first (newest) key."""
    return Ciphertext(fernet().rotate(token.encode()).decode())


class EncryptedJSONField(models.TextField):
    """A dict stored as a Fernet token; reads back as Secrets, and registers them for redaction."""

    description = "Encrypted JSON credentials"

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("default", dict)
        kwargs.setdefault("blank", True)
        kwargs["editable"] = (
            False  # never in a ModelForm or the admin: secret fields are write-only
        )
        super().__init__(*args, **kwargs)

    def deconstruct(self) -> tuple[Any, ...]:
        name, path, args, kwargs = super().deconstruct()
        kwargs.pop("editable", None)
        return name, path, args, kwargs

    def from_db_value(self, value: str | None, expression: Any, connection: Any) -> Secrets:
        if not value:
            return Secrets()
        return decrypt_json(value)

    def to_python(self, value: Any) -> Secrets:
        if isinstance(value, dict):
            return Secrets(value)
        if not value:
            return Secrets()
        return decrypt_json(value)

    def get_prep_value(self, value: Any) -> str:
        if isinstance(value, Ciphertext):
            return str(value)
        if isinstance(value, str):
            raise TypeError("Credentials are a dict of fields, not a string.")
        return encrypt_json(dict(value or {}))

    def value_to_string(self, obj: models.Model) -> str:
        # dumpdata writes ciphertext, never the plain secrets.
        return self.get_prep_value(self.value_from_object(obj))
