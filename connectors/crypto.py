"""Encrypting channel credentials at rest (Fernet, key from ``HUB_CHANNEL_KEY``).

``HUB_CHANNEL_KEY`` may hold several keys separated by commas: the first
encrypts, all of them decrypt, so keys can be rotated without a migration. A
Fernet key is used as it is (production accepts nothing else); any other long
random string (the embedded default's key file) is stretched to Fernet's 32 bytes
with SHA-256. Tokens written under the stretched form of a Fernet key (before keys
were taken as they are) still decrypt.
"""

from __future__ import annotations

import base64
import hashlib
import json
from functools import lru_cache

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured


class CredentialsUnreadable(Exception):
    """The stored credentials cannot be decrypted with the configured keys."""


def _fernet_key(secret: str) -> bytes:
    return base64.urlsafe_b64encode(hashlib.sha256(secret.encode("utf-8")).digest())


@lru_cache(maxsize=4)
def _cipher(raw_keys: str) -> MultiFernet:
    keys = [key.strip() for key in raw_keys.split(",") if key.strip()]
    if not keys:
        raise ImproperlyConfigured("HUB_CHANNEL_KEY is empty: channel credentials cannot be kept")
    ciphers = []
    for key in keys:
        try:
            ciphers.append(Fernet(key))
        except ValueError:
            pass  # not a Fernet key: only its stretched form below
        ciphers.append(Fernet(_fernet_key(key)))
    return MultiFernet(ciphers)


def credentials_encrypt(credentials: dict[str, str]) -> str:
    """The credentials as an opaque token safe to store in the database."""
    payload = json.dumps(credentials, sort_keys=True).encode("utf-8")
    return _cipher(settings.HUB_CHANNEL_KEY).encrypt(payload).decode("ascii")


def credentials_decrypt(token: str) -> dict[str, str]:
    if not token:
        return {}
    try:
        payload = _cipher(settings.HUB_CHANNEL_KEY).decrypt(token.encode("ascii"))
    except InvalidToken as error:
        raise CredentialsUnreadable(
            "the channel's credentials cannot be decrypted with HUB_CHANNEL_KEY "
            "(was the key changed without keeping the old one?)"
        ) from error
    return json.loads(payload)


def credentials_unreadable(tokens: dict[int, str]) -> list[int]:
    """The keys of ``tokens`` whose credentials the configured keys cannot decrypt."""
    cipher = _cipher(settings.HUB_CHANNEL_KEY)
    unreadable = []
    for key, token in tokens.items():
        try:
            cipher.decrypt(token.encode("ascii"))
        except InvalidToken:
            unreadable.append(key)
    return unreadable
