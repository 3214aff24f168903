"""TOTP secrets at rest: sealed, bound to their user, legacy clear values still read."""

from __future__ import annotations

import pytest

from leadermail.platform.accounts.models import User
from leadermail.platform.accounts.totp import new_secret
from leadermail.platform.accounts.totp_secrets import (
    SealBroken,
    needs_sealing,
    read_totp_secret,
    store_totp_secret,
)

KEY = "test-secret-" + "x" * 40


def test_round_trip_and_nothing_of_the_secret_at_rest() -> None:
    secret = new_secret()
    user = User(id=42, email="wang@example.cn")
    store_totp_secret(user, secret, KEY)
    assert user.totp_secret.startswith("sealed-v1:") and len(user.totp_secret) <= 200
    assert secret not in user.totp_secret and secret[:6] not in user.totp_secret
    assert not needs_sealing(user)
    assert read_totp_secret(user, KEY) == secret
    store_totp_secret(user, None, KEY)
    assert user.totp_secret is None and read_totp_secret(user, KEY) is None


def test_a_legacy_clear_value_is_read_and_flagged_for_sealing() -> None:
    secret = new_secret()
    user = User(id=42, email="wang@example.cn", totp_secret=secret)
    assert read_totp_secret(user, KEY) == secret and needs_sealing(user)


def test_another_key_or_another_user_cannot_read_it() -> None:
    user = User(id=42, email="wang@example.cn")
    store_totp_secret(user, new_secret(), KEY)
    with pytest.raises(SealBroken):
        read_totp_secret(user, "rotated-" + "y" * 40)
    thief = User(id=43, email="li@example.cn", totp_secret=user.totp_secret)
    with pytest.raises(SealBroken):
        read_totp_secret(thief, KEY)
