"""Carrying a query password to the receipt job without storing it in clear.

The password exists in clear only in the citizen's browser and, for the few
seconds until the SMS/e-mail goes out, *sealed* (Fernet: AES-128-CBC +
HMAC-SHA256) with a key derived from the server secret in the outbox job's
arguments. The job scrubs the sealed value from the outbox row once it has
sent the receipt::

    token = seal_password("pY4tKm8w", settings.secret_key)
    unseal_password(token, settings.secret_key)   # "pY4tKm8w", or None if expired/forged
"""

from __future__ import annotations

import base64
import hashlib
import hmac

from cryptography.fernet import Fernet, InvalidToken

#: A receipt not delivered within a day is not worth delivering with a password.
SEAL_TTL_SECONDS = 24 * 3600


def _fernet(secret_key: str) -> Fernet:
    key = hmac.new(secret_key.encode(), b"leadermail.receipt-seal.v1", hashlib.sha256).digest()
    return Fernet(base64.urlsafe_b64encode(key))


def seal_password(password: str, secret_key: str) -> str:
    return _fernet(secret_key).encrypt(password.encode()).decode()


def unseal_password(token: str, secret_key: str) -> str | None:
    try:
        return _fernet(secret_key).decrypt(token.encode(), ttl=SEAL_TTL_SECONDS).decode()
    except (InvalidToken, ValueError):
        return None
