"""Signed-in staff for the console tests of routing, deadlines, notices,
duplicates, notifications and exports.

The cookie is built the way Starlette's SessionMiddleware builds it (the
staff-operations tests' helpers, reused here): requests then carry the
session and the ``X-CSRF-Token`` header htmx sends::

    staff = await make_staff(context, tenant, "王登记", Role.REGISTRAR)
    sign_in_client(client, staff)
    await client.get(console_url(tenant, "/rules"))
"""

from __future__ import annotations

from typing import Any

from leadermail.platform.context import AppContext
from leadermail.tenants.registry import TenantRef
from tests.functional.staff_ops.helpers import (
    SmtpSink,
    Staff,
    make_letter,
    make_staff,
    session_cookie,
    sign_in_client,
)

__all__ = [
    "SmtpSink", "Staff", "console_url", "make_letter", "make_staff", "run_job",
    "session_cookie", "sign_in_client",
]


def console_url(tenant: TenantRef, path: str) -> str:
    return f"/t/{tenant.slug}/console{path}"


async def run_job(context: AppContext, job: Any, **kwargs: Any) -> Any:
    """Run a job function the way the worker does (``ctx["app"]`` is the context)."""
    return await job({"app": context}, **kwargs)
