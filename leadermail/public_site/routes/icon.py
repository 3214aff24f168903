"""``/favicon.ico``: the site's icon, in the tenant's theme.

Pages name the theme's logo as their icon (``<link rel="icon">`` in
base.html), but browsers, feed readers and bookmarks still ask for
``/favicon.ico`` and every page view logged a 404 for it. The theme's logo
(an SVG, with the base theme's as fallback) answers it, by a redirect to the
static file so it is cached like the rest of the theme.
"""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from leadermail.platform.web.requests import app_context
from leadermail.public_site.rendering import renderer_for

ICON = "img/logo.svg"


async def favicon(request: Request) -> Response:
    renderer = renderer_for(app_context(request))
    url = renderer.themes.static_url(renderer.theme_for(request), ICON)
    headers = {"Cache-Control": "public, max-age=86400"}
    return RedirectResponse(url, status_code=301, headers=headers)


routes = [Route("/favicon.ico", favicon, methods=["GET", "HEAD"])]
