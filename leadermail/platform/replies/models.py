"""Reply helpers' tables (the reply itself is ``letters.models.Reply``).

* :class:`CannedReply` — 常用语, reusable paragraphs for the reply editor;
* :class:`SigningKey` — the tenant's Ed25519 key; the private half is stored
  encrypted with a key derived from the deployment secret;
* :class:`ReplySignature` — one signature over one exact text of a reply:
  ``kind`` "sent" covers what the citizen received, "public" covers the
  redacted text that is published.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, ForeignKey, Identity, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from leadermail.platform.clock import utcnow
from leadermail.platform.db import TenantBase, TenantScoped


class CannedReply(TenantScoped, TenantBase):
    __tablename__ = "canned_replies"

    id: Mapped[int] = mapped_column(BigInteger, Identity(), primary_key=True)
    title: Mapped[str] = mapped_column(String(100))
    body_html: Mapped[str] = mapped_column(Text)
    position: Mapped[int] = mapped_column(Integer, default=0)
    is_active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class SigningKey(TenantScoped, TenantBase):
    __tablename__ = "signing_keys"

    id: Mapped[int] = mapped_column(BigInteger, Identity(), primary_key=True)
    #: PKCS#8 PEM, encrypted (BestAvailableEncryption) with a per-deployment secret.
    private_key_pem: Mapped[str] = mapped_column(Text)
    public_key_pem: Mapped[str] = mapped_column(Text)
    #: SHA-256 of the raw public key, hex; printed next to every signature.
    fingerprint: Mapped[str] = mapped_column(String(64), unique=True)
    is_active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class ReplySignature(TenantScoped, TenantBase):
    __tablename__ = "reply_signatures"
    __table_args__ = (Index("ix_reply_signatures_reply_id", "reply_id"),)

    id: Mapped[int] = mapped_column(BigInteger, Identity(), primary_key=True)
    reply_id: Mapped[int] = mapped_column(ForeignKey("replies.id", ondelete="CASCADE"))
    signing_key_id: Mapped[int] = mapped_column(ForeignKey("signing_keys.id"))
    #: sent | public
    kind: Mapped[str] = mapped_column(String(10))
    signer_name: Mapped[str] = mapped_column(String(100))
    #: The exact UTF-8 JSON that was signed (canonical: sorted keys, no spaces).
    payload: Mapped[str] = mapped_column(Text)
    #: base64 of the 64-byte Ed25519 signature.
    signature: Mapped[str] = mapped_column(String(100))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
