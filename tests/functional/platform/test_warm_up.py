"""A worker pays its one-time costs before the first request, not during it."""

from __future__ import annotations

import gc

from starlette.testclient import TestClient

from leadermail.app import create_app
from leadermail.console.rendering import renderer_for as console_renderer
from leadermail.platform.context import AppContext
from leadermail.public_site.rendering import renderer_for as public_renderer


def test_start_up_loads_tenants_and_compiles_every_template(migrated):  # noqa: ANN001
    context = AppContext.create(migrated)  # its own pools: the client runs its own loop
    app = create_app(context=context)
    try:
        with TestClient(app) as client:  # runs the lifespan
            assert context.tenants._loaded_at is not None
            for renderer in (public_renderer(context), console_renderer(context)):
                for theme in renderer.themes.available:
                    env = renderer.environment(theme)
                    names = env.list_templates(extensions=["html"])
                    assert names and len(env.cache) >= len(names), theme
            assert gc.get_freeze_count() > 0
            assert client.get("/livez").text == "live"
    finally:
        gc.unfreeze()
