"""The staff manual inside the console.

GET /console/help                 chapters
GET /console/help/{name}          one chapter (also a contextual-help topic name)
GET /console/help/img/{name}.png  a screenshot made by the browser tests, if present
"""

from __future__ import annotations

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import FileResponse, Response
from starlette.routing import Route

from leadermail.console.auth import require_staff
from leadermail.console.rendering import renderer_for
from leadermail.platform.help.manual import manual_chapter, manual_index, screenshot_path
from leadermail.platform.web.requests import app_context


async def help_index(request: Request) -> Response:
    await require_staff(request)
    chapter = manual_chapter("index")
    return renderer_for(app_context(request)).render(
        request, "help/chapter.html", {"chapter": chapter, "chapters": manual_index()}
    )


async def help_chapter(request: Request) -> Response:
    await require_staff(request)
    prefix = getattr(request.state, "tenant_prefix", "")
    chapter = manual_chapter(request.path_params["name"], image_url=f"{prefix}/console/help/img")
    if chapter is None:
        raise HTTPException(404, "没有这一章")
    return renderer_for(app_context(request)).render(
        request, "help/chapter.html", {"chapter": chapter, "chapters": manual_index()}
    )


async def help_image(request: Request) -> Response:
    await require_staff(request)
    path = screenshot_path(request.path_params["name"])
    if path is None:
        raise HTTPException(404)
    return FileResponse(path, media_type="image/png")


routes = [
    Route("/help", help_index, methods=["GET"]),
    Route("/help/img/{name}.png", help_image, methods=["GET"]),
    Route("/help/{name}", help_chapter, methods=["GET"]),
]
