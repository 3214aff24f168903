"""Absolute links to a tenant's public site, for what leaves the site (SMS, e-mail).

    site_url(settings, tenant, "/write")      # "https://szxx.changsha.gov.cn/write"
    tracking_url(settings, tenant, "K7QMX3XPD9")
    # "https://szxx.changsha.gov.cn/track?code=K7QMX-3XPD9"

Pages link with ``{{ prefix }}`` (the request knows which address it came
by); a message has no request, so the rule is here, once:

* in production, a tenant with a custom domain is linked there (https);
* everywhere else, and for tenants without a domain, ``BASE_URL/t/<slug>``.

Why not the custom domain on a laptop or a test server: the demo registers
the real-looking ``szxx.changsha.gov.cn`` so the console can show custom
domains, but nothing resolves it there, and a citizen's link that leads
nowhere is worse than a plainer one. ``/t/<slug>`` answers on every
deployment (it is how a new mailbox is reached before its DNS exists), so
the fallback is never wrong, only less pretty.
"""

from __future__ import annotations

from urllib.parse import urlencode

from leadermail.platform.config import Settings
from leadermail.platform.letters.tracking import format_tracking_code
from leadermail.tenants.registry import TenantRef


def site_url(settings: Settings, tenant: TenantRef, path: str = "/") -> str:
    """``path`` (starting with "/") on the tenant's public site, as a full address."""
    if settings.is_production and tenant.domains:
        return f"https://{tenant.domains[0]}{path}"
    return f"{settings.base_url}/t/{tenant.slug}{path}"


def tracking_url(settings: Settings, tenant: TenantRef, code: str | None = None) -> str:
    """The 信件查询 page, with the tracking code filled in when given (never
    the password: a link travels further than the citizen means it to)."""
    if not code:
        return site_url(settings, tenant, "/track")
    return site_url(settings, tenant, "/track?" + urlencode({"code": format_tracking_code(code)}))
