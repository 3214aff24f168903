"""A query password on its way to the receipt job: sealed by platform.sealing, for a day."""

from __future__ import annotations

import base64
import hashlib
import hmac
import time

from cryptography.fernet import Fernet

from leadermail.platform.letters.receipt_seal import (
    PURPOSE,
    SEAL_TTL_SECONDS,
    seal_password,
    unseal_password,
)
from leadermail.platform.sealing import PREFIX, Sealer

KEY = "receipt-key-" + "r" * 40


def test_a_password_opens_with_the_same_key_and_shows_nothing_at_rest() -> None:
    token = seal_password("k7m4p9x2ab", KEY)
    assert token.startswith(PREFIX) and "k7m4p9x2ab" not in token
    assert unseal_password(token, KEY) == "k7m4p9x2ab"
    assert unseal_password(token, "rotated-" + "y" * 40) is None
    assert unseal_password(token[:-4] + "AAAA", KEY) is None


def test_it_opens_for_a_day_and_no_longer() -> None:
    sealed_at = time.time() - SEAL_TTL_SECONDS + 60
    token = seal_password("k7m4p9x2ab", KEY, now=sealed_at)
    assert unseal_password(token, KEY) == "k7m4p9x2ab"
    assert unseal_password(token, KEY, now=sealed_at + SEAL_TTL_SECONDS + 1) is None


def test_a_value_sealed_for_another_purpose_does_not_open_as_a_password() -> None:
    # Same key and the same "<time>:<text>" shape, but sealed as something else.
    other = Sealer(KEY, "password-reset-token").seal(
        f"{int(time.time())}:k7m4p9x2ab", bound_to="query-password"
    )
    assert unseal_password(other, KEY) is None
    unbound = Sealer(KEY, PURPOSE).seal(f"{int(time.time())}:k7m4p9x2ab", bound_to="user:1")
    assert unseal_password(unbound, KEY) is None


def _legacy_fernet_token(password: str, secret_key: str, at: int) -> str:
    """What receipt_seal produced before it moved onto platform.sealing."""
    key = hmac.new(secret_key.encode(), b"leadermail.receipt-seal.v1", hashlib.sha256).digest()
    return Fernet(base64.urlsafe_b64encode(key)).encrypt_at_time(password.encode(), at).decode()


def test_a_fernet_token_queued_before_the_upgrade_still_opens_within_its_day() -> None:
    fresh = _legacy_fernet_token("pY4tKm8w", KEY, int(time.time()) - 600)
    assert unseal_password(fresh, KEY) == "pY4tKm8w"
    assert unseal_password(fresh, "rotated-" + "y" * 40) is None
    stale = _legacy_fernet_token("pY4tKm8w", KEY, int(time.time()) - SEAL_TTL_SECONDS - 60)
    assert unseal_password(stale, KEY) is None
    assert unseal_password("not a token", KEY) is None
