"""The session marker: what ends a console session when a credential changes."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from leadermail.platform.accounts.models import User
from leadermail.platform.accounts.sessions import session_marker

SECRET = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"


def user(**values: object) -> User:
    defaults: dict[str, object] = {"id": 1, "email": "wang@example.cn", "totp_enabled": True}
    return User(**(defaults | values))


def test_until_a_password_change_it_is_what_sessions_stored_before() -> None:
    """Deploying password changes (and sealing secrets) ends no session."""
    before = hashlib.sha256(b"leadermail.session-totp.v1\x00" + SECRET.encode()).hexdigest()[:16]
    assert session_marker(user(), SECRET, second_factor=True) == before
    assert session_marker(user(), None, second_factor=False) is None  # OIDC, certificates


def test_a_new_totp_secret_or_a_reset_factor_changes_it() -> None:
    marker = session_marker(user(), SECRET, second_factor=True)
    assert session_marker(user(), "A" * 32, second_factor=True) != marker
    assert session_marker(user(totp_enabled=False), None, second_factor=True) != marker


def test_a_password_change_changes_it_for_every_way_of_signing_in() -> None:
    changed = datetime(2026, 11, 24, 8, 30, 0, 123456, tzinfo=UTC)
    for passed, secret in ((True, SECRET), (False, None)):
        before = session_marker(user(), secret, second_factor=passed)
        after = session_marker(user(password_changed_at=changed), secret, second_factor=passed)
        again = session_marker(
            user(password_changed_at=changed + timedelta(microseconds=1)),
            secret,
            second_factor=passed,
        )
        assert after is not None and len({before, after, again}) == 3
    # The same moment read back in another time zone is the same marker.
    shanghai = changed.astimezone(ZoneInfo("Asia/Shanghai"))
    assert session_marker(user(password_changed_at=changed), SECRET, second_factor=True) == (
        session_marker(user(password_changed_at=shanghai), SECRET, second_factor=True)
    )
