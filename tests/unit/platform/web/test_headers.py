"""Security headers: added to every response, never doubled."""

from __future__ import annotations

import httpx
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.responses import PlainTextResponse
from starlette.routing import Route

from leadermail.platform.web.headers import SECURITY_HEADERS, SecurityHeadersMiddleware


async def plain(request):  # noqa: ANN001, ANN201
    return PlainTextResponse("ok")


async def own_frame_policy(request):  # noqa: ANN001, ANN201
    return PlainTextResponse("ok", headers={"X-Frame-Options": "SAMEORIGIN"})


APP = Starlette(
    routes=[Route("/", plain), Route("/own", own_frame_policy)],
    middleware=[Middleware(SecurityHeadersMiddleware)],
)


async def get(path: str) -> httpx.Response:
    transport = httpx.ASGITransport(app=APP)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
        return await client.get(path)


async def test_every_header_once_on_a_plain_response():
    response = await get("/")
    for name, value in SECURITY_HEADERS:
        assert response.headers.get_list(name.decode()) == [value.decode()]


async def test_a_header_the_response_set_itself_is_kept_and_not_doubled():
    response = await get("/own")
    assert response.headers.get_list("x-frame-options") == ["SAMEORIGIN"]
    assert response.headers["x-content-type-options"] == "nosniff"
    assert "content-security-policy" in response.headers
