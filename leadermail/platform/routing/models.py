"""The routing rule table (one per tenant schema)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import BigInteger, ForeignKey, Identity, Integer, String
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from leadermail.platform.clock import utcnow
from leadermail.platform.db import TenantBase, TenantScoped


class RoutingRule(TenantScoped, TenantBase):
    """One entry of the tenant's routing catalogue.

    ``conditions`` is validated by :mod:`leadermail.platform.routing.rules`::

        {"letter_types": ["complaint"], "category_ids": [3], "regions": ["岳麓区"],
         "channels": ["web"], "keywords": ["噪音", "施工"], "keyword_mode": "any"}

    Actions are plain columns (each optional, at least one set).
    """

    __tablename__ = "routing_rules"

    id: Mapped[int] = mapped_column(BigInteger, Identity(), primary_key=True)
    #: Rules are tried in ascending position; the first that matches wins.
    position: Mapped[int] = mapped_column(Integer, default=0, index=True)
    name: Mapped[str] = mapped_column(String(100))
    is_active: Mapped[bool] = mapped_column(default=True)
    conditions: Mapped[dict[str, Any]] = mapped_column(JSONB, default=dict)
    assign_unit_id: Mapped[int | None] = mapped_column(
        ForeignKey("units.id", ondelete="SET NULL")
    )
    set_priority: Mapped[str | None] = mapped_column(String(10))
    #: A deadline rule code such as "10wd" (see leadermail.platform.deadlines.rules).
    deadline_rule: Mapped[str | None] = mapped_column(String(10))
    #: Forward to this tenant (core.tenants.id; no foreign key across schemas).
    forward_tenant_id: Mapped[int | None] = mapped_column(BigInteger)
    created_by_user_id: Mapped[int | None] = mapped_column(BigInteger)
    updated_by_user_id: Mapped[int | None] = mapped_column(BigInteger)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
