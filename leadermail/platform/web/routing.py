"""A Starlette router that does not try every route on every request.

Starlette's ``Router`` matches a request against its routes one by one, each a
regular expression plus a root-path computation. The public site and the
console each have dozens of routes, so the home page or a letter page paid
for ~50 failed matches (tens of microseconds, the largest fixed cost of a
request after the database). This router groups routes by the first literal
segment of their path (``/write`` → ``write``, ``/console`` → ``console``);
a request only tries the routes of its own first segment plus the routes
whose first segment is dynamic (``/{code}``) or that have no path (hosts),
in their original order. Matching results are therefore identical to
Starlette's, just cheaper::

    app = Starlette(...)
    app.router = IndexedRouter(routes=routes)   # before the first request
"""

from __future__ import annotations

from collections.abc import Sequence

from starlette._utils import get_route_path
from starlette.routing import BaseRoute, Match, Router
from starlette.types import Receive, Scope, Send

_ANY = None  # the group of routes every request must try


def first_segment(path: str) -> str:
    """``/write/step`` → ``write``; ``/`` → ``""``."""
    return path[1:].split("/", 1)[0] if path.startswith("/") else path.split("/", 1)[0]


def _route_segment(route: BaseRoute) -> str | None:
    path = getattr(route, "path", None)
    if not isinstance(path, str) or path == "":
        # Hosts have no path; Mount("/") has path "" and takes everything.
        return _ANY
    segment = first_segment(path)
    if "{" in segment:
        return _ANY
    return segment


class IndexedRouter(Router):
    def __init__(self, routes: Sequence[BaseRoute] | None = None, **kwargs: object) -> None:
        super().__init__(routes=routes, **kwargs)  # type: ignore[arg-type]
        self._index: dict[str, list[BaseRoute]] | None = None
        self._any: list[BaseRoute] = []

    def _build_index(self) -> dict[str, list[BaseRoute]]:
        segments = {_route_segment(route) for route in self.routes} - {_ANY}
        self._any = [route for route in self.routes if _route_segment(route) is _ANY]
        return {
            segment: [r for r in self.routes if _route_segment(r) in (segment, _ANY)]
            for segment in segments
        }

    def _routes_for(self, segment: str) -> list[BaseRoute]:
        # Built on first use, once the route table is complete.
        if self._index is None:
            self._index = self._build_index()
        return self._index.get(segment, self._any)

    async def app(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await super().app(scope, receive, send)
            return
        if "router" not in scope:
            scope["router"] = self
        partial = None
        partial_scope: Scope = {}
        for route in self._routes_for(first_segment(get_route_path(scope))):
            match, child_scope = route.matches(scope)
            if match is Match.FULL:
                scope["route"] = route
                scope.update(child_scope)
                await route.handle(scope, receive, send)
                return
            if match is Match.PARTIAL and partial is None:
                partial, partial_scope = route, child_scope
        if partial is not None:
            # Right path, wrong method: the route answers 405.
            scope["route"] = partial
            scope.update(partial_scope)
            await partial.handle(scope, receive, send)
            return
        # No match: Starlette's own slow path (slash redirects, 404).
        await super().app(scope, receive, send)
