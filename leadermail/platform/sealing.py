"""Secrets kept at rest sealed with AES-256-GCM under a key derived from ``SECRET_KEY``.

    sealer = Sealer(settings.secret_key, "totp-secret")
    stored = sealer.seal("JBSWY3DPEHPK3PXP", bound_to="user:42")   # "sealed-v1:…"
    sealer.open(stored, bound_to="user:42")                        # "JBSWY3DPEHPK3PXP"

Each purpose gets its own key (HKDF-SHA256 with the purpose in its label),
so a value sealed for one purpose cannot be opened as another, and
``bound_to`` (authenticated, not stored) ties a value to its row: copied into
another user's row it no longer opens. A stored value starts with a
versioned prefix, so the format can change later while old values still
open; anything without a known prefix is not sealed (:func:`is_sealed`).

Rotating ``SECRET_KEY`` makes every sealed value unreadable: that is the
point of deriving the key from it, and the README says what follows.
"""

from __future__ import annotations

import base64
import functools
import os

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

PREFIX = "sealed-v1:"
_NONCE_BYTES = 12


class SealBroken(ValueError):
    """The value cannot be opened: another key (SECRET_KEY rotated), another
    row, another purpose, or damaged."""


@functools.lru_cache(maxsize=32)
def _key(secret_key: str, purpose: str) -> bytes:
    return HKDF(
        algorithm=hashes.SHA256(),
        length=32,
        salt=None,
        info=f"leadermail.sealing.v1:{purpose}".encode(),
    ).derive(secret_key.encode())


def is_sealed(value: str | None) -> bool:
    return bool(value) and str(value).startswith(PREFIX)


class Sealer:
    """Seals and opens the values of one ``purpose`` (a short fixed label)."""

    def __init__(self, secret_key: str, purpose: str) -> None:
        self._aead = AESGCM(_key(secret_key, purpose))

    def seal(self, plaintext: str, *, bound_to: str) -> str:
        nonce = os.urandom(_NONCE_BYTES)
        sealed = self._aead.encrypt(nonce, plaintext.encode(), bound_to.encode())
        return PREFIX + base64.urlsafe_b64encode(nonce + sealed).decode().rstrip("=")

    def open(self, stored: str, *, bound_to: str) -> str:
        if not is_sealed(stored):
            raise SealBroken("not a sealed value")
        body = stored[len(PREFIX):]
        try:
            raw = base64.urlsafe_b64decode(body + "=" * (-len(body) % 4))
            nonce, sealed = raw[:_NONCE_BYTES], raw[_NONCE_BYTES:]
            return self._aead.decrypt(nonce, sealed, bound_to.encode()).decode()
        except (InvalidTag, ValueError) as exc:
            raise SealBroken("the value does not open with this key") from exc
