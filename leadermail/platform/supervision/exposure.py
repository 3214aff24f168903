"""The rules of a tenant's public exposure page (曝光台), kept as data in
``tenant.settings`` (on by default for the province tenant only)::

    {"exposure_enabled": true, "exposure_min_letters": 10,
     "exposure_months": 12, "exposure_since": "2026-01-01"}

    rules = exposure_rules(tenant)
    if rules.enabled: ...

The page itself is ``public_site.routes.exposure``; the site's navigation
reads :func:`exposure_rules` too, to link the page only where it exists.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from leadermail.tenants.models import TenantKind
from leadermail.tenants.registry import TenantRef

DEFAULT_MIN_LETTERS = 10
DEFAULT_MONTHS = 12


@dataclass(frozen=True)
class ExposureRules:
    enabled: bool
    min_letters: int
    months: int
    since: date | None


def _positive(value: Any, default: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        return default
    return value


def exposure_rules(tenant: TenantRef) -> ExposureRules:
    settings = tenant.settings or {}
    enabled = settings.get("exposure_enabled")
    since: date | None = None
    raw_since = settings.get("exposure_since")
    if isinstance(raw_since, str):
        try:
            since = date.fromisoformat(raw_since)
        except ValueError:
            since = None
    return ExposureRules(
        enabled=enabled if isinstance(enabled, bool) else tenant.kind == TenantKind.PROVINCE,
        min_letters=_positive(settings.get("exposure_min_letters"), DEFAULT_MIN_LETTERS),
        months=min(_positive(settings.get("exposure_months"), DEFAULT_MONTHS), 36),
        since=since,
    )
