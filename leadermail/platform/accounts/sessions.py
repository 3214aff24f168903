"""What a console session remembers of the credentials it was signed in with.

    marker = session_marker(user, secret, second_factor=True)   # stored in the session
    ...
    if session_marker(user, secret_now, second_factor=True) != marker:
        ...  # a credential changed since: this session no longer counts

This is the one way sessions end when a credential changes: the console
stores the marker at sign-in and compares it on every request
(``leadermail.console.auth``). It changes when

- the TOTP secret the sign-in passed is reset or replaced
  (``second_factor.reset_second_factor``), for sessions that passed it;
- the password is changed or reset (``users.password_changed_at``), for every
  session of the user, whatever way it signed in.

The session that changes its own password is given the new marker, so it
goes on. A marker is a one-way digest (the cookie is signed, not
encrypted): it tells that something changed and nothing more.

Until a user's password is first changed the marker is exactly what the
sessions signed in before revision 0009 stored (``leadermail.session-totp.v1``
over the TOTP secret in clear, None without one), so deploying this ended
no one's session; sealing the secret at rest changes nothing either, as the
digest is over the secret itself, not its stored form.
"""

from __future__ import annotations

import hashlib

from leadermail.platform.accounts.models import User


def _digest(*parts: bytes) -> str:
    return hashlib.sha256(b"\x00".join(parts)).hexdigest()[:16]


def session_marker(user: User, totp_secret: str | None, *, second_factor: bool) -> str | None:
    """The marker of a session of ``user``.

    ``second_factor``: the sign-in passed the user's TOTP (password + code);
    OIDC and client certificates bring their own second factor and are tied
    to the password's changes only. ``totp_secret`` is the secret in clear
    (``totp_secrets.read_totp_secret``); it is used only with ``second_factor``.
    """
    secret = totp_secret if (second_factor and user.totp_enabled) else None
    if second_factor and not secret:
        # The factor this session passed is gone: a marker no TOTP session stored.
        return None
    if user.password_changed_at is None:
        if secret is None:
            return None
        return _digest(b"leadermail.session-totp.v1", secret.encode())
    changed = str(round(user.password_changed_at.timestamp() * 1_000_000)).encode()
    return _digest(b"leadermail.session.v2", (secret or "").encode(), changed)
