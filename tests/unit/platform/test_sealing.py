"""Sealing values at rest: AES-GCM under a key per purpose, bound to a row."""

from __future__ import annotations

import pytest

from leadermail.platform.sealing import PREFIX, SealBroken, Sealer, is_sealed

KEY = "k" * 40


def test_a_sealed_value_opens_with_the_same_key_purpose_and_row() -> None:
    sealer = Sealer(KEY, "totp-secret")
    stored = sealer.seal("JBSWY3DPEHPK3PXP", bound_to="user:7")
    assert stored.startswith(PREFIX) and is_sealed(stored)
    assert "JBSWY3DPEHPK3PXP" not in stored
    assert sealer.open(stored, bound_to="user:7") == "JBSWY3DPEHPK3PXP"
    # A fresh nonce each time: equal secrets do not look equal at rest.
    assert sealer.seal("JBSWY3DPEHPK3PXP", bound_to="user:7") != stored


@pytest.mark.parametrize(
    ("key", "purpose", "bound_to"),
    [
        ("other-key-" + "x" * 30, "totp-secret", "user:7"),  # SECRET_KEY rotated
        (KEY, "password-reset-token", "user:7"),  # another purpose
        (KEY, "totp-secret", "user:8"),  # copied into another user's row
    ],
)
def test_it_does_not_open_anywhere_else(key: str, purpose: str, bound_to: str) -> None:
    stored = Sealer(KEY, "totp-secret").seal("JBSWY3DPEHPK3PXP", bound_to="user:7")
    with pytest.raises(SealBroken):
        Sealer(key, purpose).open(stored, bound_to=bound_to)


def test_damaged_and_unsealed_values_are_refused() -> None:
    sealer = Sealer(KEY, "totp-secret")
    stored = sealer.seal("JBSWY3DPEHPK3PXP", bound_to="user:7")
    damaged = stored[:-2] + ("A" if stored[-2] != "A" else "B") + stored[-1]
    for value in (damaged, PREFIX + "!!", "JBSWY3DPEHPK3PXP"):
        with pytest.raises(SealBroken):
            sealer.open(value, bound_to="user:7")
    assert not is_sealed("JBSWY3DPEHPK3PXP") and not is_sealed(None) and not is_sealed("")
