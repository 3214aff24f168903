"""TOTP secrets at rest: sealed in ``core.users.totp_secret``, in clear only in memory.

    secret = read_totp_secret(user, settings.secret_key)      # clear text, or None
    store_totp_secret(user, new_secret(), settings.secret_key)

A secret is sealed (:mod:`leadermail.platform.sealing`, purpose
``totp-secret``) and bound to its user's id, so a copy of the table, a
backup or a replica gives no one's second factor away. Values written before
revision 0009 are base32 in clear: they are still read (and sealed again on
the next sign-in, :func:`needs_sealing`); revision 0009 seals them when it
can. With another ``SECRET_KEY`` a sealed secret no longer opens
(:class:`~leadermail.platform.sealing.SealBroken`): the user must enrol again
after an admin resets the second factor.
"""

from __future__ import annotations

from leadermail.platform.accounts.models import User
from leadermail.platform.sealing import SealBroken, Sealer, is_sealed

PURPOSE = "totp-secret"

__all__ = [
    "SealBroken", "needs_sealing", "read_totp_secret", "seal_totp_secret", "store_totp_secret",
]


def _bound_to(user_id: int) -> str:
    return f"user:{user_id}"


def seal_totp_secret(secret: str, user_id: int, secret_key: str) -> str:
    """The stored form of ``secret`` for user ``user_id`` (revision 0009 uses it too)."""
    return Sealer(secret_key, PURPOSE).seal(secret, bound_to=_bound_to(user_id))


def read_totp_secret(user: User, secret_key: str) -> str | None:
    """The user's TOTP secret in clear; None without one. Raises ``SealBroken``."""
    stored = user.totp_secret
    if not stored:
        return None
    if not is_sealed(stored):
        return stored  # written before revision 0009
    return Sealer(secret_key, PURPOSE).open(stored, bound_to=_bound_to(user.id))


def store_totp_secret(user: User, secret: str | None, secret_key: str) -> None:
    """Keep ``secret`` sealed on ``user`` (None forgets it). The user must have an id."""
    user.totp_secret = seal_totp_secret(secret, user.id, secret_key) if secret else None


def needs_sealing(user: User) -> bool:
    """Is the stored secret still in clear (from before revision 0009)?"""
    return bool(user.totp_secret) and not is_sealed(user.totp_secret)
