"""The append-only, hash-chained audit trail.

One chain per tenant (in the tenant schema) and one for platform-level actions
(in ``core``). Each record's ``hash`` covers its content and the previous
record's hash, so editing or deleting any record breaks every later link;
``leadermail audit verify`` walks the chains.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import BigInteger, Identity, String
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from leadermail.platform.clock import utcnow
from leadermail.platform.db import CoreBase, TenantBase, TenantScoped


class _AuditColumns:
    id: Mapped[int] = mapped_column(BigInteger, Identity(), primary_key=True)
    actor_user_id: Mapped[int | None] = mapped_column(BigInteger)
    actor_label: Mapped[str | None] = mapped_column(String(100))
    action: Mapped[str] = mapped_column(String(60))
    object_type: Mapped[str | None] = mapped_column(String(40))
    object_id: Mapped[str | None] = mapped_column(String(64))
    data: Mapped[dict[str, Any]] = mapped_column(JSONB, default=dict)
    ip_address: Mapped[str | None] = mapped_column(String(45))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    prev_hash: Mapped[str] = mapped_column(String(64))
    hash: Mapped[str] = mapped_column(String(64))


class AuditRecord(_AuditColumns, TenantScoped, TenantBase):
    __tablename__ = "audit_log"


class PlatformAuditRecord(_AuditColumns, CoreBase):
    """Platform actions: provisioning, tenant status, cross-tenant admin work."""

    __tablename__ = "platform_audit_log"
    tenant_id: Mapped[int | None] = mapped_column(BigInteger)
