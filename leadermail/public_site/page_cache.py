"""Pages every visitor sees alike, rendered once per worker for a few seconds.

    @shared_page
    async def home(request: Request) -> Response: ...

The home page, the published letters and their list, statistics and the
exposure page show the same HTML to every visitor without a session. Their
data was already cached in-process (``letters.figures.cached``), but rendering
the template again for each visitor was most of their cost (about 60% of the
home page's CPU, more for a list of 20 letters). A citizen site is read far
more than it is written, so each worker keeps the finished page for
``settings.page_cache_seconds`` (default 5 s; 0 turns it off). That adds no
staleness beyond the data caches underneath (15 s for published letters and
their lists, 60 s for the home page's figures). When staff publish or take
down a letter, every worker drops both at once
(``platform/letters/public_changes.py``); the expiry times only bound how
long a change can go unseen if Redis is unreachable.

What is never shared:

* requests of visitors whose session holds anything (a tracked letter, a
  receipt, a CSRF secret): they get their own rendering;
* responses that are not a plain 200 page, that set a cookie or that say
  ``no-store``, or whose rendering created a session (a form's CSRF token);
* free-text searches (``q``): a long tail that would only fill the cache.

The key holds everything a shared page may depend on: tenant, theme, path,
query, the htmx fragment headers and the large-text display cookie. One
rendering runs per key at a time; concurrent visitors wait for it rather
than all rendering the same page when it expires.
"""

from __future__ import annotations

import asyncio
import functools
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from starlette.requests import Request
from starlette.responses import Response

from leadermail.platform.web.requests import app_context
from leadermail.public_site.rendering import wants_large_text

Endpoint = Callable[[Request], Awaitable[Response]]

#: Entries per worker process; on overflow, expired ones go first, then all.
MAX_ENTRIES = 2_000


@dataclass(frozen=True)
class _Page:
    expires: float
    status: int
    headers: list[tuple[bytes, bytes]]
    body: bytes

    def response(self) -> Response:
        response = Response(self.body, status_code=self.status)
        response.raw_headers = list(self.headers)
        return response


_pages: dict[tuple[object, ...], _Page] = {}
_rendering: dict[tuple[object, ...], asyncio.Future[_Page | None]] = {}


_generation = 0  # bumped by clear()


def clear() -> None:
    """Forget every page, and keep renderings already under way from being
    stored or shared with later visitors (they may predate a change)."""
    global _generation
    _generation += 1
    _pages.clear()
    _rendering.clear()


def _key(request: Request) -> tuple[object, ...] | None:
    if request.method not in ("GET", "HEAD") or request.scope.get("session"):
        return None
    if request.query_params.get("q"):
        return None
    tenant = getattr(request.state, "tenant", None)
    headers = request.headers
    return (
        tenant.id if tenant is not None else None,
        tenant.theme if tenant is not None else None,
        request.scope.get("root_path", ""),
        request.scope["path"],
        request.scope.get("query_string", b""),
        headers.get("hx-request"),
        headers.get("hx-boosted"),
        headers.get("hx-target"),
        wants_large_text(request),
    )


def _shareable(request: Request, response: Response) -> bool:
    if response.status_code != 200 or request.scope.get("session"):
        return False
    if not hasattr(response, "body"):  # streaming or file responses
        return False
    for name, value in response.raw_headers:
        if name == b"set-cookie":
            return False
        if name == b"cache-control" and b"no-store" in value:
            return False
    return True


def _store(key: tuple[object, ...], page: _Page) -> None:
    if len(_pages) >= MAX_ENTRIES:
        now = time.monotonic()
        for stale in [k for k, p in _pages.items() if p.expires <= now]:
            del _pages[stale]
        if len(_pages) >= MAX_ENTRIES:
            _pages.clear()
    _pages[key] = page


def shared_page(endpoint: Endpoint) -> Endpoint:
    @functools.wraps(endpoint)
    async def serve(request: Request) -> Response:
        ttl = app_context(request).settings.page_cache_seconds
        key = _key(request) if ttl > 0 else None
        if key is None:
            return await endpoint(request)
        page = _pages.get(key)
        if page is not None and page.expires > time.monotonic():
            return page.response()
        pending = _rendering.get(key)
        if pending is not None:
            shared = await asyncio.shield(pending)
            if shared is not None:
                return shared.response()
            return await endpoint(request)
        future: asyncio.Future[_Page | None] = asyncio.get_running_loop().create_future()
        _rendering[key] = future
        generation = _generation
        page = None
        try:
            response = await endpoint(request)
            if _shareable(request, response):
                page = _Page(
                    time.monotonic() + ttl,
                    response.status_code,
                    list(response.raw_headers),
                    bytes(response.body),
                )
                if generation == _generation:
                    _store(key, page)
            return response
        finally:
            if _rendering.get(key) is future:
                del _rendering[key]
            future.set_result(page)

    return serve
