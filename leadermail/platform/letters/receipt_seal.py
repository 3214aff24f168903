"""Carrying a query password to the receipt job without storing it in clear.

The password exists in clear only in the citizen's browser and, for the few
seconds until the SMS/e-mail goes out, *sealed* in the outbox job's
arguments (:mod:`leadermail.platform.sealing`, purpose ``receipt-password``).
The job scrubs the sealed value from the outbox row once it has sent the
receipt::

    token = seal_password("pY4tKm8w", settings.secret_key)   # "sealed-v1:…"
    unseal_password(token, settings.secret_key)   # "pY4tKm8w", or None if expired/forged

The time of sealing travels inside the sealed value (so it cannot be
altered): a value older than :data:`SEAL_TTL_SECONDS` no longer opens.

Values sealed before this module moved onto ``platform.sealing`` were Fernet
tokens under a key of their own. Such a token lives only in outbox rows and
queued jobs, at most :data:`SEAL_TTL_SECONDS` (after that it no longer opens
anyway), so they are still opened here for that one day after the upgrade:
a phone letter's writer gets the password only by SMS, and a job queued
while the worker restarted for the upgrade must not send it without.
Remove :func:`_open_legacy` (and its key) in a release after that.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import time

from cryptography.fernet import Fernet, InvalidToken

from leadermail.platform.sealing import SealBroken, Sealer, is_sealed

PURPOSE = "receipt-password"
#: A receipt not delivered within a day is not worth delivering with a password.
SEAL_TTL_SECONDS = 24 * 3600
#: A value sealed this much "in the future" still opens (clocks of web and worker differ).
CLOCK_SKEW_SECONDS = 60
#: Authenticated with every value: a sealed query password opens as nothing else.
_BOUND_TO = "query-password"


def seal_password(password: str, secret_key: str, *, now: float | None = None) -> str:
    """``password`` sealed for a receipt job; ``now`` (Unix time) is for tests."""
    issued = int(time.time() if now is None else now)
    return Sealer(secret_key, PURPOSE).seal(f"{issued}:{password}", bound_to=_BOUND_TO)


def unseal_password(token: str, secret_key: str, *, now: float | None = None) -> str | None:
    """The password, or None: another key, damaged, or sealed more than a day ago."""
    if not is_sealed(token):
        return _open_legacy(token, secret_key)
    try:
        opened = Sealer(secret_key, PURPOSE).open(token, bound_to=_BOUND_TO)
        issued, _, password = opened.partition(":")
        age = (time.time() if now is None else now) - int(issued)
    except (SealBroken, ValueError):
        return None
    return password if -CLOCK_SKEW_SECONDS <= age <= SEAL_TTL_SECONDS else None


def _open_legacy(token: str, secret_key: str) -> str | None:
    """A Fernet token sealed before the move (see the module docstring)."""
    key = hmac.new(secret_key.encode(), b"leadermail.receipt-seal.v1", hashlib.sha256).digest()
    try:
        fernet = Fernet(base64.urlsafe_b64encode(key))
        return fernet.decrypt(token.encode(), ttl=SEAL_TTL_SECONDS).decode()
    except (InvalidToken, ValueError):
        return None
