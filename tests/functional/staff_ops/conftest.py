from __future__ import annotations

import pytest

from leadermail.platform.context import AppContext

#: The console and public route modules of the staff-operations workstream.
STAFF_OPS_CONSOLE_MODULES = (
    "leadermail.console.routes.duty",
    "leadermail.console.routes.documents",
    "leadermail.console.routes.certificate",
    "leadermail.console.routes.directory",
    "leadermail.console.routes.channels",
    "leadermail.console.routes.help",
)
STAFF_OPS_PUBLIC_MODULES = ("leadermail.public_site.routes.help",)


@pytest.fixture(scope="session")
def staff_app(context: AppContext):  # noqa: ANN201
    """The whole app with only this workstream's route modules, so these tests
    do not depend on other features' half-finished pages."""
    from leadermail.app import create_app
    from leadermail.console import app as console_app
    from leadermail.public_site import app as public_app

    saved = console_app.ROUTE_MODULES, public_app.ROUTE_MODULES
    console_app.ROUTE_MODULES = STAFF_OPS_CONSOLE_MODULES
    public_app.ROUTE_MODULES = STAFF_OPS_PUBLIC_MODULES
    try:
        return create_app(context=context)
    finally:
        console_app.ROUTE_MODULES, public_app.ROUTE_MODULES = saved


@pytest.fixture
async def staff_client(staff_app):  # noqa: ANN001, ANN201
    import httpx

    transport = httpx.ASGITransport(app=staff_app)
    async with httpx.AsyncClient(
        transport=transport, base_url="http://testserver", follow_redirects=False
    ) as http:
        yield http
