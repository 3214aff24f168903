"""CSRF protection for every unsafe request, in one middleware.

The session holds a random secret; pages embed ``csrf_token(request)`` in a
hidden ``csrf_token`` field of every form and in ``hx-headers`` on ``<body>``
(header ``X-CSRF-Token``) for htmx. A POST without a matching token gets a
clear 403 page and changes nothing. The middleware reads the form itself and
replays the body to the app, so views never have to remember the check.

It reads only as far as the token: every form puts ``csrf_token`` first, so
a letter with five 10 MB attachments is checked after its first few hundred
bytes, and what was read is handed to the app ahead of the rest of the
stream. (Buffering whole bodies, as this middleware used to, held up to
60 MB per upload in memory before the view's own size check could refuse
it, and any amount without a proxy in front.) A token that has not appeared
within ``MAX_TOKEN_OFFSET`` bytes is treated as missing.
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
#: How far into a body the token may be: past every text field of the
#: longest form (a 5,000-character letter is ~45 KB urlencoded).
MAX_TOKEN_OFFSET = 1024 * 1024

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
                supplied, replay_receive = await _read_field(
                    receive, lambda body, complete: _urlencoded_field(body, FIELD_NAME, complete)
                )
            elif content_type.startswith("multipart/form-data"):
                supplied, replay_receive = await _read_field(
                    receive,
                    lambda body, complete: _multipart_field(
                        body, content_type, FIELD_NAME, complete
                    ),
                )
        if not expected or not supplied or not hmac.compare_digest(str(expected), supplied):
            await self.reject(scope, replay_receive, send)
            return
        await self.app(scope, replay_receive, send)


def _urlencoded_field(body: bytes, name: str, complete: bool = True) -> str | None:
    """The first field ``name`` of a urlencoded body (or of its beginning, when
    not ``complete``), decoded as the form parser would. Decoding only this
    field matters: a letter's percent-encoded Chinese text is most of the body,
    and the view parses it once anyway."""
    prefix = name.encode() + b"="
    parts = body.split(b"&")
    if not complete:
        parts.pop()  # may be cut short
    for part in parts:
        if part.startswith(prefix):
            return unquote_plus(part[len(prefix) :].decode("latin-1"), errors="replace")
    return None


def _multipart_field(
    body: bytes, content_type: str, name: str, complete: bool = True
) -> str | None:
    """The first plain field ``name`` of a multipart body (or of its beginning,
    when not ``complete``), as the form parser would read it; file parts never
    count.

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
    position = body.find(delimiter)
    while position != -1:
        start = position + len(delimiter)
        if body.startswith(b"--", start):
            break  # the closing delimiter
        following = body.find(b"\r\n" + delimiter, start)
        if following == -1 and not complete:
            return None  # this part goes on past what has arrived
        end = following if following != -1 else len(body)
        head_end = body.find(b"\r\n\r\n", start, end)
        if head_end != -1 and _is_plain_field(body[start:head_end], wanted):
            return body[head_end + 4 : end].decode("utf-8", errors="replace")
        position = -1 if following == -1 else following + 2
    return None


def _is_plain_field(head: bytes, name: bytes) -> bool:
    for line in head.split(b"\r\n"):
        header, _, header_value = line.partition(b":")
        if header.strip().lower() == b"content-disposition":
            _, params = parse_options_header(header_value.strip())
            return params.get(b"name") == name and b"filename" not in params
    return False


async def _read_field(
    receive: Receive, find: Callable[[bytes, bool], str | None]
) -> tuple[str | None, Receive]:
    """Read the body until ``find(what arrived, whether that is all)`` finds
    the token, the body ends, or ``MAX_TOKEN_OFFSET`` bytes came without it.
    Returns the token (or None) and a receive for the app that hands over
    what was read and then the rest of the stream."""
    chunks: list[bytes] = []
    size = 0
    more = True
    disconnected = False
    value: str | None = None
    while more:
        message = await receive()
        if message["type"] == "http.disconnect":
            disconnected = True
            break
        chunk = message.get("body", b"")
        more = message.get("more_body", False)
        if not chunk and more:
            continue
        chunks.append(chunk)
        size += len(chunk)
        # Re-joined per chunk, but the token comes first, so this is one join
        # of one chunk; never more than MAX_TOKEN_OFFSET bytes in all.
        value = find(b"".join(chunks), not more)
        if value is not None or size > MAX_TOKEN_OFFSET:
            break
    return value, _replay(b"".join(chunks), more and not disconnected, disconnected, receive)


def _replay(body: bytes, more: bool, disconnected: bool, receive: Receive) -> Receive:
    """``body`` first (followed by the rest of the stream when ``more``), then
    whatever ``receive`` says next (the disconnect, when the client left)."""
    sent = False

    async def replay() -> Message:
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": body, "more_body": more}
        if disconnected:
            return {"type": "http.disconnect"}
        return await receive()

    return replay
