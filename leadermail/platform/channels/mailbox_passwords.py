"""The intake mailbox's IMAP password at rest: sealed in ``channel_mailboxes.password``.

    store_mailbox_password(mailbox, "the-app-password", settings.secret_key)  # needs its id
    read_mailbox_password(mailbox, settings.secret_key)    # clear text; raises SealBroken

The worker must log in unattended, so the password cannot be hashed; it is
sealed (:mod:`leadermail.platform.sealing`, purpose ``imap-password``) and
bound to its tenant and row, so a database dump, a backup or a row copied
into another tenant's schema gives no mailbox away. It is in clear only in
the worker's memory while it logs in, and never goes back to a browser.

Values saved before tenant revision 0013 are in clear: they are still read,
and sealed on the next poll or save (:func:`needs_sealing`); revision 0013
seals them when it can. With another ``SECRET_KEY`` a sealed password no
longer opens (``SealBroken``): the poll records that, and a tenant admin
types the password again under 来信邮箱设置.
"""

from __future__ import annotations

from leadermail.platform.channels.models import ChannelMailbox
from leadermail.platform.sealing import SealBroken, Sealer, is_sealed

PURPOSE = "imap-password"  # noqa: S105 - a sealing label
#: Sealed, this fits the column's 255 characters (12-byte nonce and 16-byte
#: tag in base64 after the ``sealed-v1:`` prefix).
MAX_PASSWORD_BYTES = 150
#: The mailbox's ``last_error`` when its password no longer opens.
PASSWORD_UNREADABLE = (
    "保存的邮箱密码无法解密（系统密钥 SECRET_KEY 已更换），请在“来信邮箱设置”中重新填写密码"  # noqa: S105
)

__all__ = [
    "MAX_PASSWORD_BYTES",
    "PASSWORD_UNREADABLE",
    "SealBroken",
    "needs_sealing",
    "read_mailbox_password",
    "seal_mailbox_password",
    "store_mailbox_password",
]


def _bound_to(tenant_id: int, mailbox_id: int) -> str:
    return f"channel-mailbox:{tenant_id}:{mailbox_id}"


def seal_mailbox_password(password: str, tenant_id: int, mailbox_id: int, secret_key: str) -> str:
    """The stored form of ``password`` (tenant revision 0013 uses it too)."""
    if len(password.encode()) > MAX_PASSWORD_BYTES:
        raise ValueError(f"an IMAP password is at most {MAX_PASSWORD_BYTES} bytes")
    return Sealer(secret_key, PURPOSE).seal(password, bound_to=_bound_to(tenant_id, mailbox_id))


def read_mailbox_password(mailbox: ChannelMailbox, secret_key: str) -> str:
    """The password in clear. Raises ``SealBroken`` (another SECRET_KEY, another row)."""
    stored = mailbox.password or ""
    if not is_sealed(stored):
        return stored  # saved before tenant revision 0013
    return Sealer(secret_key, PURPOSE).open(
        stored, bound_to=_bound_to(mailbox.tenant_id, mailbox.id)
    )


def store_mailbox_password(mailbox: ChannelMailbox, password: str, secret_key: str) -> None:
    """Keep ``password`` sealed on ``mailbox``, which must have its id (flush a new one)."""
    if mailbox.id is None:
        raise ValueError("flush a new mailbox first: its password is bound to its id")
    mailbox.password = seal_mailbox_password(password, mailbox.tenant_id, mailbox.id, secret_key)


def needs_sealing(mailbox: ChannelMailbox) -> bool:
    """Is the stored password still in clear (saved before revision 0013)?

    False for a clear one too long to fit the column sealed (the old form
    took any length): it keeps working, and is sealed when typed again.
    """
    stored = mailbox.password or ""
    return bool(stored) and not is_sealed(stored) and len(stored.encode()) <= MAX_PASSWORD_BYTES
