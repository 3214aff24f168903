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

from collections.abc import Iterator
from dataclasses import replace
from typing import Any

import pytest

from leadermail.platform.context import AppContext
from leadermail.tenants.registry import TenantRef
from tests.functional.staff_ops.helpers import (
    SmtpSink,
    Staff,
    make_letter,
    make_staff,
    session_cookie,
    sign_in_client,
    start_smtp_sink,
)

__all__ = [
    "SmtpSink", "Staff", "console_url", "mail_context", "make_letter", "make_staff", "run_job",
    "session_cookie", "sign_in_client", "smtp_sink",
]


def console_url(tenant: TenantRef, path: str) -> str:
    return f"/t/{tenant.slug}/console{path}"


async def run_job(context: AppContext, job: Any, **kwargs: Any) -> Any:
    """Run a job function the way the worker does (``ctx["app"]`` is the context)."""
    return await job({"app": context}, **kwargs)


@pytest.fixture
def smtp_sink() -> Iterator[SmtpSink]:
    sink, controller = start_smtp_sink()
    yield sink
    controller.stop()


@pytest.fixture
def mail_context(context: AppContext, smtp_sink: SmtpSink) -> AppContext:
    """The test context with its SMTP settings pointing at the sink."""
    settings = replace(context.settings, smtp_host="127.0.0.1", smtp_port=smtp_sink.port)
    return replace(context, settings=settings)
