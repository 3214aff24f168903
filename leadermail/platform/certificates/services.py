"""Mapping a TLS client certificate to a staff user, and refusing bad ones.

The reverse proxy (nginx, see ``deploy/nginx/leadermail.conf``) checks the
chain against the CA bundle and passes the certificate on; the app checks
again what it can check itself — validity dates and its own revocation list —
and maps issuer + serial number (unique per CA) to a registered certificate::

    info = parse_certificate(certificate_from_header(request.headers["x-ssl-client-cert"]))
    certificate = await authenticate_certificate(core_session, info)   # or CertificateRefused

A refusal carries a ``reason`` code (for the audit record) and a Chinese
``message`` (for the refusal page).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from urllib.parse import unquote

from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.serialization import Encoding
from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from leadermail.platform.certificates.models import CertificateRevocation, StaffCertificate
from leadermail.platform.clock import utcnow


@dataclass(frozen=True)
class CertificateInfo:
    issuer: str
    subject: str
    serial: str
    fingerprint_sha256: str
    not_before: datetime
    not_after: datetime
    pem: str

    @property
    def common_name(self) -> str:
        for part in self.subject.split(","):
            if part.startswith("CN="):
                return part[3:]
        return self.subject


class CertificateRefused(Exception):
    def __init__(self, reason: str, message: str, info: CertificateInfo | None = None) -> None:
        super().__init__(message)
        self.reason = reason
        self.message = message
        self.info = info


def certificate_from_header(value: str) -> str:
    """nginx's ``$ssl_client_escaped_cert`` is the PEM, URL-encoded."""
    return unquote(value)


def serial_hex(serial: int) -> str:
    return format(serial, "x")


def parse_certificate(pem: str | bytes) -> CertificateInfo:
    data = pem.encode() if isinstance(pem, str) else pem
    try:
        certificate = x509.load_pem_x509_certificate(data)
    except ValueError as exc:
        raise CertificateRefused("unreadable", "无法读取数字证书，请确认证书完整有效") from exc
    return CertificateInfo(
        issuer=certificate.issuer.rfc4514_string(),
        subject=certificate.subject.rfc4514_string(),
        serial=serial_hex(certificate.serial_number),
        fingerprint_sha256=certificate.fingerprint(hashes.SHA256()).hex(),
        not_before=certificate.not_valid_before_utc,
        not_after=certificate.not_valid_after_utc,
        pem=certificate.public_bytes(Encoding.PEM).decode(),
    )


async def register_certificate(
    session: AsyncSession, *, user_id: int, pem: str
) -> StaffCertificate:
    """Record ``pem`` as ``user_id``'s certificate (core session; caller commits)."""
    info = parse_certificate(pem)
    existing = (
        await session.execute(
            select(StaffCertificate).where(
                StaffCertificate.issuer == info.issuer, StaffCertificate.serial == info.serial
            )
        )
    ).scalar_one_or_none()
    if existing is not None:
        raise CertificateRefused("duplicate", "该证书已登记给其他用户或已登记过", info)
    row = StaffCertificate(
        user_id=user_id,
        issuer=info.issuer,
        subject=info.subject,
        serial=info.serial,
        fingerprint_sha256=info.fingerprint_sha256,
        not_before=info.not_before,
        not_after=info.not_after,
        pem=info.pem,
    )
    session.add(row)
    await session.flush()
    return row


async def revoke_certificate(
    session: AsyncSession, *, issuer: str, serial: str, reason: str | None = None
) -> None:
    """Add to the revocation list (safe to repeat)."""
    await session.execute(
        insert(CertificateRevocation)
        .values(issuer=issuer, serial=serial.lower(), reason=reason, revoked_at=utcnow())
        .on_conflict_do_nothing(index_elements=["issuer", "serial"])
    )


async def load_crl(session: AsyncSession, crl_pem: bytes) -> int:
    """Copy a CA's CRL (PEM) into the revocation list; returns the entries read."""
    crl = x509.load_pem_x509_crl(crl_pem)
    issuer = crl.issuer.rfc4514_string()
    count = 0
    for revoked in crl:
        await revoke_certificate(
            session, issuer=issuer, serial=serial_hex(revoked.serial_number), reason="CRL"
        )
        count += 1
    return count


async def authenticate_certificate(
    session: AsyncSession, info: CertificateInfo, *, now: datetime | None = None
) -> StaffCertificate:
    """The registered certificate ``info`` stands for, or :class:`CertificateRefused`."""
    now = now or utcnow()
    if now < info.not_before:
        raise CertificateRefused("not_yet_valid", "数字证书尚未生效", info)
    if now >= info.not_after:
        raise CertificateRefused("expired", "数字证书已过期，请联系证书管理员更新证书", info)
    revoked = (
        await session.execute(
            select(CertificateRevocation.id).where(
                CertificateRevocation.issuer == info.issuer,
                CertificateRevocation.serial == info.serial,
            )
        )
    ).first()
    if revoked is not None:
        raise CertificateRefused("revoked", "数字证书已被吊销，不能用于登录", info)
    registered = (
        await session.execute(
            select(StaffCertificate).where(
                StaffCertificate.issuer == info.issuer, StaffCertificate.serial == info.serial
            )
        )
    ).scalar_one_or_none()
    if registered is None or registered.fingerprint_sha256 != info.fingerprint_sha256:
        # Same issuer and serial but other bytes is a forgery or a CA error:
        # either way not the certificate we registered.
        raise CertificateRefused("unknown", "该数字证书未在本系统登记，请联系管理员登记证书", info)
    if not registered.is_active:
        raise CertificateRefused("revoked", "数字证书已被停用，不能用于登录", info)
    return registered
