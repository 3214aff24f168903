"""CSRF protection for every unsafe request, in one middleware.

The session holds a random secret; pages embed ``csrf_token(request)`` in a
hidden ``csrf_token`` field of every form and in ``hx-headers`` on ``<body>``
(header ``X-CSRF-Token``) for htmx. A POST without a matching token gets a
clear 403 page and changes nothing. The middleware reads the form itself and
replays the body to the app, so views never have to remember the check.
"""

from __future__ import annotations

import hmac
import secrets
from collections.abc import Awaitable, Callable
from urllib.parse import unquote_plus

from python_multipart.multipart import parse_options_header
from starlette.datastructures import Headers
from starlette.requests import Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "TRACE"})
SESSION_KEY = "csrf_secret"
FIELD_NAME = "csrf_token"
HEADER_NAME = "x-csrf-token"

Rejector = Callable[[Scope, Receive, Send], Awaitable[None]]


def csrf_token(request: Request) -> str:
    """The token to embed in forms (created on first use)."""
    token = request.session.get(SESSION_KEY)
    if not token:
        token = secrets.token_urlsafe(32)
        request.session[SESSION_KEY] = token
    return str(token)


class CSRFMiddleware:
    def __init__(
        self, app: ASGIApp, *, reject: Rejector, exempt_prefixes: tuple[str, ...] = ()
    ) -> None:
        self.app = app
        self.reject = reject
        self.exempt_prefixes = exempt_prefixes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] in SAFE_METHODS:
            await self.app(scope, receive, send)
            return
        if any(scope["path"].startswith(p) for p in self.exempt_prefixes):
            await self.app(scope, receive, send)
            return
        expected = scope.get("session", {}).get(SESSION_KEY)
        headers = Headers(scope=scope)
        supplied = headers.get(HEADER_NAME)
        replay_receive = receive
        if supplied is None:
            content_type = headers.get("content-type", "")
            if content_type.startswith("application/x-www-form-urlencoded"):
                body = await _read_body(receive)
                supplied = _urlencoded_field(body, FIELD_NAME)
                replay_receive = _replay(body)
            elif content_type.startswith("multipart/form-data"):
                body = await _read_body(receive)
                supplied = _multipart_field(body, content_type, FIELD_NAME)
                replay_receive = _replay(body)
        if not expected or not supplied or not hmac.compare_digest(str(expected), supplied):
            await self.reject(scope, replay_receive, send)
            return
        await self.app(scope, replay_receive, send)


def _urlencoded_field(body: bytes, name: str) -> str | None:
    """One field of a urlencoded body, as the form parser would read it (the
    last of repeated fields wins). Decoding only this field matters: a letter's
    percent-encoded Chinese text is most of the body, and the view parses it
    once anyway."""
    prefix = name.encode() + b"="
    value: bytes | None = None
    for part in body.split(b"&"):
        if part.startswith(prefix):
            value = part[len(prefix) :]
    return None if value is None else unquote_plus(value.decode("latin-1"), errors="replace")


def _multipart_field(body: bytes, content_type: str, name: str) -> str | None:
    """One plain field of a multipart body, as the form parser would read it
    (the last of repeated fields wins; file parts never count).

    Only part headers are examined and only the wanted field's content is
    copied. Parsing the whole form here, as this middleware used to, spooled
    every attachment of a letter (up to 5 × 10 MB) to temporary files just to
    find a 43-character token, and the view then parsed it all again.
    """
    _, params = parse_options_header(content_type)
    boundary = params.get(b"boundary")
    if not boundary:
        return None
    delimiter = b"--" + boundary
    wanted = name.encode()
    value: str | None = None
    position = body.find(delimiter)
    while position != -1:
        start = position + len(delimiter)
        if body.startswith(b"--", start):
            break  # the closing delimiter
        following = body.find(b"\r\n" + delimiter, start)
        end = following if following != -1 else len(body)
        head_end = body.find(b"\r\n\r\n", start, end)
        if head_end != -1 and _is_plain_field(body[start:head_end], wanted):
            value = body[head_end + 4 : end].decode("utf-8", errors="replace")
        position = -1 if following == -1 else following + 2
    return value


def _is_plain_field(head: bytes, name: bytes) -> bool:
    for line in head.split(b"\r\n"):
        header, _, header_value = line.partition(b":")
        if header.strip().lower() == b"content-disposition":
            _, params = parse_options_header(header_value.strip())
            return params.get(b"name") == name and b"filename" not in params
    return False


async def _read_body(receive: Receive) -> bytes:
    chunks: list[bytes] = []
    more = True
    while more:
        message = await receive()
        if message["type"] == "http.disconnect":
            break
        chunks.append(message.get("body", b""))
        more = message.get("more_body", False)
    return b"".join(chunks)


def _replay(body: bytes) -> Receive:
    sent = False

    async def receive() -> Message:
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}
        return {"type": "http.disconnect"}

    return receive
