"""Staff users and their memberships (shared schema)."""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import BigInteger, ForeignKey, Identity, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from leadermail.platform.clock import utcnow
from leadermail.platform.db import CoreBase


class Role(enum.StrEnum):
    TENANT_ADMIN = "tenant_admin"
    REGISTRAR = "registrar"  # 登记员
    HANDLER = "handler"  # 承办人, bound to a unit
    LEADER = "leader"  # 领导, gives instructions (批示)
    SUPERVISOR = "supervisor"  # 督办
    PROVINCE_ADMIN = "province_admin"  # across tenants


class User(CoreBase):
    __tablename__ = "users"

    id: Mapped[int] = mapped_column(BigInteger, Identity(), primary_key=True)
    email: Mapped[str] = mapped_column(String(254), unique=True)
    display_name: Mapped[str] = mapped_column(String(50))
    phone: Mapped[str | None] = mapped_column(String(20))
    office: Mapped[str | None] = mapped_column(String(100))
    #: argon2id hash; NULL for users who only sign in through OIDC/certificate.
    password_hash: Mapped[str | None] = mapped_column(Text)
    #: Sealed (``accounts.totp_secrets``); base32 in clear if written before revision 0009.
    totp_secret: Mapped[str | None] = mapped_column(String(200))
    totp_enabled: Mapped[bool] = mapped_column(default=False)
    oidc_issuer: Mapped[str | None] = mapped_column(String(255))
    oidc_subject: Mapped[str | None] = mapped_column(String(255))
    is_active: Mapped[bool] = mapped_column(default=True)
    #: Set when the password is changed or reset: the sessions signed in
    #: before stop working (``accounts.sessions.session_marker``).
    password_changed_at: Mapped[datetime | None]
    last_login_at: Mapped[datetime | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    __table_args__ = (UniqueConstraint("oidc_issuer", "oidc_subject"),)


class Membership(CoreBase):
    """A user's role in one tenant. ``unit_id`` points into the tenant schema
    (no foreign key across schemas) and is set for handlers."""

    __tablename__ = "memberships"
    __table_args__ = (UniqueConstraint("user_id", "tenant_id", "role"),)

    id: Mapped[int] = mapped_column(BigInteger, Identity(), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    tenant_id: Mapped[int] = mapped_column(
        ForeignKey("tenants.id", ondelete="CASCADE"), index=True
    )
    role: Mapped[str] = mapped_column(String(30))
    unit_id: Mapped[int | None] = mapped_column(BigInteger)
    is_active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class PasswordReset(CoreBase):
    """A 忘记密码 link (``accounts.password_resets``): only the SHA-256 of
    its token is kept, so a copy of the table resets no one's password."""

    __tablename__ = "password_resets"

    id: Mapped[int] = mapped_column(BigInteger, Identity(), primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    #: The mailbox whose console the link opens (the one it was asked from).
    tenant_id: Mapped[int] = mapped_column(ForeignKey("tenants.id", ondelete="CASCADE"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime]
    emailed_at: Mapped[datetime | None]
    #: Set when the link is used, and for every link of the user still open
    #: when the password changes by any way.
    used_at: Mapped[datetime | None]
