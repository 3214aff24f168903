"""The public site's renderer (themes → public_site/templates)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from starlette.requests import Request

from leadermail.platform.context import AppContext
from leadermail.platform.supervision.exposure import exposure_rules
from leadermail.platform.web.csrf import csrf_token
from leadermail.platform.web.templating import Renderer, Themes

TEMPLATES = Path(__file__).parent / "templates"

_renderers: dict[int, Renderer] = {}
#: The 适老化 display switch (large text, high contrast), set by /display.
LARGE_TEXT_COOKIE = "lm_large_text"


def wants_large_text(request: Request) -> bool:
    return request.cookies.get(LARGE_TEXT_COOKIE) == "1"


class LazyToken:
    """The CSRF token, made only if a template prints it: pages without a form
    then neither create a session nor sign a cookie (the home page is hot)."""

    __slots__ = ("request",)

    def __init__(self, request: Request) -> None:
        self.request = request

    def __str__(self) -> str:
        return csrf_token(self.request)

    def __html__(self) -> str:
        return str(self)


def site_path(request: Request) -> str:
    """The path inside the tenant's site ("/write"), on either kind of address."""
    path: str = request.scope.get("path", "/")
    root: str = request.scope.get("root_path", "")
    if root and path.startswith(root):
        path = path[len(root) :]
    return path or "/"


def _context(request: Request) -> dict[str, Any]:
    has_session = "session" in request.scope
    tenant = getattr(request.state, "tenant", None)
    return {
        "here": site_path(request),
        "csrf_token": LazyToken(request) if has_session else "",
        "large_text": wants_large_text(request),
        # The navigation links the 曝光台 only where the page exists.
        "has_exposure": tenant is not None and exposure_rules(tenant).enabled,
    }


def renderer_for(context: AppContext) -> Renderer:
    """One renderer per process (it caches one Jinja environment per theme)."""
    renderer = _renderers.get(id(context))
    if renderer is None:
        renderer = Renderer(
            Themes(context.settings.themes_dir), TEMPLATES, context_processor=_context
        )
        _renderers[id(context)] = renderer
    return renderer
