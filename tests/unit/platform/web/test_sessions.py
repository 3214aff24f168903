"""CookieSessionMiddleware behaves like Starlette's and shares its cookies."""

from __future__ import annotations

import httpx
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.middleware.sessions import SessionMiddleware
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse
from starlette.routing import Route

from leadermail.platform.web.sessions import CookieSessionMiddleware

SECRET = "s" * 40
COOKIE = "leadermail_session"


async def untouched(request: Request) -> PlainTextResponse:
    return PlainTextResponse("ok")


async def read(request: Request) -> JSONResponse:
    return JSONResponse(dict(request.session))


async def write(request: Request) -> PlainTextResponse:
    request.session["who"] = request.query_params.get("who", "张三")
    return PlainTextResponse("ok")


async def clear(request: Request) -> PlainTextResponse:
    request.session.clear()
    return PlainTextResponse("ok")


def make_app(middleware_class: type) -> Starlette:
    routes = [
        Route("/untouched", untouched),
        Route("/read", read),
        Route("/write", write),
        Route("/clear", clear),
    ]
    return Starlette(
        routes=routes,
        middleware=[
            Middleware(middleware_class, secret_key=SECRET, session_cookie=COOKIE, max_age=3600)
        ],
    )


def client(middleware_class: type = CookieSessionMiddleware) -> httpx.AsyncClient:
    transport = httpx.ASGITransport(app=make_app(middleware_class))
    return httpx.AsyncClient(transport=transport, base_url="http://testserver")


async def test_a_request_that_never_touches_its_session_gets_no_cookie_and_no_vary():
    async with client() as http:
        response = await http.get("/untouched")
    assert "set-cookie" not in response.headers
    assert "vary" not in response.headers


async def test_a_written_session_comes_back_on_the_next_request():
    async with client() as http:
        written = await http.get("/write", params={"who": "李四"})
        assert COOKIE in written.headers["set-cookie"]
        assert "httponly" in written.headers["set-cookie"]
        assert "Max-Age=3600" in written.headers["set-cookie"]
        assert (await http.get("/read")).json() == {"who": "李四"}


async def test_reading_sets_vary_but_does_not_rewrite_the_cookie():
    async with client() as http:
        await http.get("/write")
        response = await http.get("/read")
    assert response.headers["vary"] == "Cookie"
    assert "set-cookie" not in response.headers


async def test_cookies_are_interchangeable_with_starlettes_middleware():
    async with client(SessionMiddleware) as starlette_http:
        response = await starlette_http.get("/write", params={"who": "王五"})
        starlette_cookie = response.cookies[COOKIE]
    async with client() as ours:
        headers = {"cookie": f"{COOKIE}={starlette_cookie}"}
        assert (await ours.get("/read", headers=headers)).json() == {"who": "王五"}
        response = await ours.get("/write", params={"who": "赵六"}, headers=headers)
        our_cookie = response.cookies[COOKIE]
    async with client(SessionMiddleware) as starlette_http:
        headers = {"cookie": f"{COOKIE}={our_cookie}"}
        assert (await starlette_http.get("/read", headers=headers)).json() == {"who": "赵六"}


async def test_a_tampered_or_foreign_cookie_is_an_empty_session_not_an_error():
    async with client() as http:
        await http.get("/write")
        good = http.cookies[COOKIE]
        http.cookies.clear()
        for bad in (good[:-2] + "xx", "not-a-session", ""):
            response = await http.get("/read", headers={"cookie": f"{COOKIE}={bad}"})
            assert response.status_code == 200
            assert response.json() == {}


async def test_clearing_a_session_expires_the_cookie():
    async with client() as http:
        await http.get("/write")
        response = await http.get("/clear")
    assert response.headers["set-cookie"].startswith(f"{COOKIE}=null;")
    assert "expires=Thu, 01 Jan 1970" in response.headers["set-cookie"]


async def test_other_cookies_alone_do_not_make_a_session():
    async with client() as http:
        http.cookies["lm_large_text"] = "1"
        response = await http.get("/read")
    assert response.json() == {}
    assert "set-cookie" not in response.headers
