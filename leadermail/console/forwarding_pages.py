"""What the console's forwarding, appeal and matter pages share.

    actor = staff_actor(request, staff)                 # who did it, for the audit trail
    return back_to(request, f"/forwarding/{leg.id}")    # 303 to a console page
    names = await tenant_names(request)                 # {tenant id: mailbox name}
"""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import RedirectResponse

from leadermail.platform.accounts.policy import StaffUser
from leadermail.platform.audit.writer import Actor
from leadermail.platform.web.requests import app_context, client_ip, tenant_url


def staff_actor(request: Request, staff: StaffUser) -> Actor:
    return Actor(user_id=staff.user_id, label=staff.display_name, ip_address=client_ip(request))


def back_to(request: Request, path: str) -> RedirectResponse:
    """See-other to ``/console<path>`` of the current tenant (after a POST)."""
    return RedirectResponse(tenant_url(request, f"/console{path}"), status_code=303)


async def tenant_names(request: Request) -> dict[int, str]:
    """Every mailbox's name by id (the ledger names tenants by id only)."""
    return {t.id: t.name for t in await app_context(request).tenants.all()}
