"""The tenant registry (shared schema)."""

from __future__ import annotations

import enum
from datetime import datetime
from typing import Any

from sqlalchemy import BigInteger, CheckConstraint, ForeignKey, Identity, String, Text
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from leadermail.platform.clock import utcnow
from leadermail.platform.db import CoreBase


class TenantKind(enum.StrEnum):
    PROVINCE = "province"
    CITY = "city"
    COUNTY = "county"
    DEPARTMENT = "department"


class TenantStatus(enum.StrEnum):
    PROVISIONING = "provisioning"
    ACTIVE = "active"
    DISABLED = "disabled"


class Tenant(CoreBase):
    __tablename__ = "tenants"
    __table_args__ = (
        CheckConstraint("kind IN ('province','city','county','department')", name="kind"),
        CheckConstraint("status IN ('provisioning','active','disabled')", name="status"),
        CheckConstraint("slug ~ '^[a-z][a-z0-9-]{1,39}$'", name="slug_format"),
    )

    id: Mapped[int] = mapped_column(BigInteger, Identity(), primary_key=True)
    slug: Mapped[str] = mapped_column(String(40), unique=True)
    name: Mapped[str] = mapped_column(String(100))
    kind: Mapped[str] = mapped_column(String(20))
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("tenants.id"), index=True)
    status: Mapped[str] = mapped_column(String(20), default=TenantStatus.PROVISIONING)
    theme: Mapped[str] = mapped_column(String(40), default="base")
    #: ``t_<id>``: named from the id so renaming a slug moves nothing.
    schema_name: Mapped[str] = mapped_column(String(63), unique=True)
    cluster: Mapped[str] = mapped_column(String(40), default="main")
    schema_version: Mapped[str | None] = mapped_column(String(64))
    leader_name: Mapped[str | None] = mapped_column(String(50))
    leader_title: Mapped[str | None] = mapped_column(String(100))
    #: Free-form profile shown on the tenant's site (intro, address, hours).
    profile: Mapped[dict[str, Any]] = mapped_column(JSONB, default=dict)
    #: Behaviour settings (deadline policies, exposure page on/off, ...).
    settings: Mapped[dict[str, Any]] = mapped_column(JSONB, default=dict)
    disabled_reason: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class TenantDomain(CoreBase):
    """A custom host name (``szxx.hunan.gov.cn``) that serves one tenant."""

    __tablename__ = "tenant_domains"

    host: Mapped[str] = mapped_column(String(253), primary_key=True)
    tenant_id: Mapped[int] = mapped_column(ForeignKey("tenants.id", ondelete="CASCADE"), index=True)
    is_primary: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
