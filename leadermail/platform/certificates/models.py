"""Staff certificates (shared schema: users are shared too).

A certificate is identified by its issuer and serial number (unique per CA
by X.509 rules); the subject is kept for display and as a fallback match.
:class:`CertificateRevocation` is the revocation list the app checks on every
sign-in, whatever the proxy did (it can be filled from the CA's CRL).
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, ForeignKey, Identity, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from leadermail.platform.clock import utcnow
from leadermail.platform.db import CoreBase


class StaffCertificate(CoreBase):
    __tablename__ = "staff_certificates"
    __table_args__ = (UniqueConstraint("issuer", "serial"),)

    id: Mapped[int] = mapped_column(BigInteger, Identity(), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    #: RFC 4514 strings as ``cryptography`` renders them
    issuer: Mapped[str] = mapped_column(String(500))
    subject: Mapped[str] = mapped_column(String(500))
    #: lower-case hex, no separators
    serial: Mapped[str] = mapped_column(String(64))
    fingerprint_sha256: Mapped[str] = mapped_column(String(64), unique=True)
    not_before: Mapped[datetime]
    not_after: Mapped[datetime]
    pem: Mapped[str] = mapped_column(Text)
    is_active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class CertificateRevocation(CoreBase):
    __tablename__ = "certificate_revocations"
    __table_args__ = (UniqueConstraint("issuer", "serial"),)

    id: Mapped[int] = mapped_column(BigInteger, Identity(), primary_key=True)
    issuer: Mapped[str] = mapped_column(String(500))
    serial: Mapped[str] = mapped_column(String(64))
    revoked_at: Mapped[datetime] = mapped_column(default=utcnow)
    reason: Mapped[str | None] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
