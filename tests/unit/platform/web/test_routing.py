"""IndexedRouter must route exactly like Starlette's Router, only cheaper."""

from __future__ import annotations

import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import Mount, Route, Router
from starlette.testclient import TestClient

from leadermail.console.app import collect_routes as console_routes
from leadermail.platform.web.routing import IndexedRouter, first_segment
from leadermail.public_site.app import collect_routes as public_routes


def _named(name: str):  # noqa: ANN202
    async def endpoint(request: Request) -> Response:
        return PlainTextResponse(f"{name} {dict(request.path_params)}")

    return endpoint


def _routes() -> list:
    return [
        Route("/", _named("home")),
        Route("/write", _named("write"), methods=["GET", "POST"]),
        Route("/letters", _named("letters")),
        Route("/letters/{number:int}", _named("letter")),
        Route("/letters/search", _named("search")),  # shadowed by nothing: int converter
        Route("/{code}/receipt", _named("receipt")),  # dynamic first segment
        Route("/track/", _named("track")),
        Mount("/files", routes=[Route("/{name}", _named("file"))]),
        Route("/write/check", _named("check"), methods=["POST"]),
    ]


PATHS = [
    ("GET", "/"),
    ("GET", "/write"),
    ("POST", "/write"),
    ("DELETE", "/write"),  # 405 from the partial match
    ("GET", "/letters"),
    ("GET", "/letters/12"),
    ("GET", "/letters/search"),
    ("GET", "/letters/abc"),
    ("GET", "/abc/receipt"),
    ("GET", "/write/receipt"),  # the dynamic route, although /write exists
    ("GET", "/track"),  # slash redirect
    ("GET", "/letters/"),  # slash redirect the other way
    ("GET", "/files/a.pdf"),
    ("GET", "/files"),
    ("GET", "/write/check"),  # 405
    ("GET", "/nowhere"),  # 404
    ("GET", "/nowhere/deeper"),
]


def _client(router: Router) -> TestClient:
    app = Starlette()
    app.router = router
    return TestClient(app, follow_redirects=False)


@pytest.mark.parametrize(("method", "path"), PATHS)
def test_same_answer_as_starlette(method: str, path: str) -> None:
    expected = _client(Router(routes=_routes())).request(method, path)
    actual = _client(IndexedRouter(routes=_routes())).request(method, path)
    assert (actual.status_code, actual.text, actual.headers.get("location")) == (
        expected.status_code,
        expected.text,
        expected.headers.get("location"),
    )


def test_each_request_tries_only_its_segment() -> None:
    router = IndexedRouter(routes=_routes())
    names = [getattr(r, "path", "") for r in router._routes_for("write")]
    assert names == ["/write", "/{code}/receipt", "/write/check"]
    assert [getattr(r, "path", "") for r in router._routes_for("")] == ["/", "/{code}/receipt"]


def test_unknown_segments_do_not_grow_the_cache() -> None:
    router = IndexedRouter(routes=_routes())
    for i in range(100):
        router._routes_for(f"probe{i}")
    assert router._index is not None
    assert all(not key.startswith("probe") for key in router._index)


@pytest.mark.parametrize("collect", [public_routes, console_routes])
def test_real_route_tables_keep_their_order_per_segment(collect) -> None:  # noqa: ANN001
    routes = collect()
    router = IndexedRouter(routes=routes)
    for route in routes:
        path = getattr(route, "path", "")
        candidates = router._routes_for(first_segment(path))
        assert route in candidates
        positions = [routes.index(r) for r in candidates]
        assert positions == sorted(positions)


def test_first_segment() -> None:
    assert first_segment("/") == ""
    assert first_segment("/write") == "write"
    assert first_segment("/t/changsha/write") == "t"
    assert first_segment("") == ""
