"""The console's renderer: console templates in the tenant's theme (for the
header colours), with the signed-in staff member in every template."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from starlette.requests import Request

from leadermail.console.flash import pop_flashes
from leadermail.platform.accounts.policy import Action, can
from leadermail.platform.context import AppContext
from leadermail.platform.web.csrf import csrf_token
from leadermail.platform.web.templating import Renderer, Themes

TEMPLATES = Path(__file__).parent / "templates"

_renderers: dict[int, Renderer] = {}


def _context(request: Request) -> dict[str, Any]:
    staff = getattr(request.state, "staff", None)
    return {
        "csrf_token": csrf_token(request),
        "staff": staff,
        "can": (lambda action, letter=None: staff is not None and can(staff, action, letter)),
        "console": getattr(request.state, "tenant_prefix", "") + "/console",
        "Action": Action,
        "flashes": pop_flashes(request),
    }


def renderer_for(context: AppContext) -> Renderer:
    renderer = _renderers.get(id(context))
    if renderer is None:
        renderer = Renderer(
            Themes(context.settings.themes_dir), TEMPLATES, context_processor=_context
        )
        _renderers[id(context)] = renderer
    return renderer
