"""Signed-cookie sessions: Starlette's SessionMiddleware, minus its fixed costs.

Same cookie (itsdangerous-signed base64 JSON), same ``scope["session"]``
object (Starlette's ``Session``, which tracks access and change), same
``Set-Cookie`` and ``Vary: Cookie`` rules, so nothing else notices the swap
and sessions made by either stay valid. What differs is the request that has
no cookie and never touches its session — every first visit, every load
balancer probe, every cached public page: Starlette builds an
``HTTPConnection``, parses the (absent) cookies and wraps the response start
in a ``MutableHeaders`` view for each of them. Here such a request costs one
scan of the raw header list and one untouched ``Session``.

    app = Starlette(middleware=[Middleware(CookieSessionMiddleware, secret_key=...)])
"""

from __future__ import annotations

import json
from base64 import b64decode, b64encode

from itsdangerous.exc import BadSignature
from starlette.middleware.sessions import Session, SessionMiddleware
from starlette.requests import cookie_parser
from starlette.types import Message, Receive, Scope, Send


def _cookie_header(scope: Scope) -> str | None:
    for name, value in scope["headers"]:
        if name == b"cookie":
            return value.decode("latin-1")
    return None


class CookieSessionMiddleware(SessionMiddleware):
    """Configured exactly like Starlette's (``secret_key``, ``session_cookie``,
    ``max_age``, ``same_site``, ``https_only``, ...)."""

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] not in ("http", "websocket"):
            await self.app(scope, receive, send)
            return
        session = self._load(scope)
        had_data = bool(session)
        scope["session"] = session

        async def send_wrapper(message: Message) -> None:
            if message["type"] == "http.response.start":
                current: Session = scope["session"]
                if current.accessed or current.modified:
                    self._add_headers(message, current, had_data)
            await send(message)

        await self.app(scope, receive, send_wrapper)

    def _load(self, scope: Scope) -> Session:
        header = _cookie_header(scope)
        if header is None or self.session_cookie not in header:
            return Session()
        value = cookie_parser(header).get(self.session_cookie)
        if value is None:
            return Session()
        try:
            data = self.signer.unsign(value.encode("utf-8"), max_age=self.max_age)
            return Session(json.loads(b64decode(data)))
        except (BadSignature, ValueError):
            # Tampered, expired or not ours: start afresh, as Starlette does.
            return Session()

    def _add_headers(self, message: Message, session: Session, had_data: bool) -> None:
        headers = list(message.get("headers", ()))
        if session.accessed and not any(
            name.lower() == b"vary" and b"cookie" in value.lower() for name, value in headers
        ):
            headers.append((b"vary", b"Cookie"))
        cookie: str | None = None
        if session.modified and session:
            data = self.signer.sign(b64encode(json.dumps(session).encode("utf-8")))
            max_age = f"Max-Age={self.max_age}; " if self.max_age is not None else ""
            cookie = (
                f"{self.session_cookie}={data.decode('utf-8')}; path={self.path}; "
                f"{max_age}{self.security_flags}"
            )
        elif session.modified and had_data:
            # The session was cleared: expire the cookie.
            cookie = (
                f"{self.session_cookie}=null; path={self.path}; "
                f"expires=Thu, 01 Jan 1970 00:00:00 GMT; {self.security_flags}"
            )
        if cookie is not None:
            headers.append((b"set-cookie", cookie.encode("latin-1")))
        message["headers"] = headers
