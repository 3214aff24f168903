"""Province console: a provisioning run's progress page, and trying it again.

    GET  /console/province/runs/{id}           progress (htmx polls block run_progress)
    POST /console/province/runs/{id}/retry     try a failed run again, as asked

A run opens a mailbox or invites its admin (``tenants.provisioning_runs``);
only runs for the signed-in province admin's own tree are reachable
(``console.province_access``), another province's answer 404.
"""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from leadermail.console.auth import require_staff
from leadermail.console.flash import flash
from leadermail.console.province_access import access_province_run
from leadermail.console.rendering import renderer_for
from leadermail.platform.accounts.policy import Action
from leadermail.platform.letters.access import staff_actor
from leadermail.platform.web.requests import app_context, client_ip, tenant_url
from leadermail.tenants.provisioning_runs import (
    STEP_LABELS,
    STEP_STATE_LABELS,
    retry_provisioning,
)
from leadermail.tenants.registry import TenantRef


def _addresses(request: Request, tenant: TenantRef) -> dict[str, object]:
    """Where a new mailbox answers, as full addresses (to copy and pass on)
    that work from this page: its /t/<slug> address, live at once (a custom
    domain needs DNS first), on this host when the console is on the
    platform's, else on the platform's."""
    if getattr(request.state, "tenant_prefix", ""):
        origin = f"{request.url.scheme}://{request.url.netloc}"
    else:
        origin = app_context(request).settings.base_url
    base = f"{origin}/t/{tenant.slug}"
    return {"site": f"{base}/", "console": f"{base}/console/", "domains": tenant.domains}


async def run_progress(request: Request) -> Response:
    staff = await require_staff(request, Action.PROVINCE_ADMIN)
    context = app_context(request)
    run = await access_province_run(context, staff, request.path_params["run_id"])
    tenant = None
    if run.tenant_id:
        # The job's process made it: this one's directory may not know it yet.
        tenant = await context.tenants.by_id(run.tenant_id)
        if tenant is None:
            context.tenants.invalidate()
            tenant = await context.tenants.by_id(run.tenant_id)
    failed = run.failed_step
    ctx = {
        "run": run,
        "addresses": _addresses(request, tenant) if tenant else None,
        "failed_step": STEP_LABELS[failed] if failed else None,
        "state_labels": STEP_STATE_LABELS,
    }
    return renderer_for(context).render(request, "province/run.html", ctx, fragment="run_progress")


async def run_retry(request: Request) -> Response:
    staff = await require_staff(request, Action.PROVINCE_ADMIN)
    context = app_context(request)
    run_id = (await access_province_run(context, staff, request.path_params["run_id"])).id
    async with context.database.core_session() as session:
        actor = staff_actor(staff, client_ip(request))
        run = await retry_provisioning(session, run_id, actor=actor)
        await session.commit()
    # Already retried (a second click) or not retryable: the page says where it stands.
    if run is not None:
        flash(request, "已重新开始，请稍候")
    return RedirectResponse(
        tenant_url(request, f"/console/province/runs/{run_id}"), status_code=303
    )


routes = [
    Route("/province/runs/{run_id:int}", run_progress, methods=["GET"]),
    Route("/province/runs/{run_id:int}/retry", run_retry, methods=["POST"]),
]
