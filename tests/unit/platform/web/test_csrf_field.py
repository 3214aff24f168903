"""The CSRF middleware reads only its own field of a urlencoded body, exactly
as the form parser would."""

from __future__ import annotations

from urllib.parse import urlencode

import pytest
from starlette.datastructures import FormData, Headers
from starlette.formparsers import FormParser

from leadermail.platform.web.csrf import _multipart_field, _urlencoded_field


async def _parsed(body: bytes) -> FormData:
    async def stream():  # noqa: ANN202
        yield body
        yield b""

    headers = Headers({"content-type": "application/x-www-form-urlencoded"})
    return await FormParser(headers, stream()).parse()


BODIES = [
    urlencode({"csrf_token": "abc-DEF_123", "body": "夜间施工噪音扰民 & 100%"}).encode(),
    urlencode([("title", "x"), ("csrf_token", "first"), ("csrf_token", "last")]).encode(),
    b"csrf_token=a%2Bb+c&x=1",
    b"x=1&csrf_tokenx=nope",
    b"",
    b"csrf_token=",
    urlencode({"csrf_token": "令牌"}).encode(),
]


@pytest.mark.parametrize("body", BODIES)
async def test_same_value_as_the_form_parser(body: bytes) -> None:
    expected = (await _parsed(body)).get("csrf_token")
    assert _urlencoded_field(body, "csrf_token") == expected


# --- multipart -------------------------------------------------------------------

BOUNDARY = "----leadermailBoundary7MA4YWxkTrZu0gW"


def _multipart(parts: list[tuple[str, str | bytes, str | None]], boundary: str = BOUNDARY) -> bytes:
    """(name, value, filename) parts, encoded the way browsers send them."""
    chunks: list[bytes] = []
    for name, value, filename in parts:
        disposition = f'form-data; name="{name}"'
        headers = f"Content-Disposition: {disposition}"
        if filename is not None:
            headers = f'{headers}; filename="{filename}"\r\nContent-Type: image/png'
        data = value if isinstance(value, bytes) else value.encode()
        chunks.append(f"--{boundary}\r\n{headers}\r\n\r\n".encode() + data + b"\r\n")
    chunks.append(f"--{boundary}--\r\n".encode())
    return b"".join(chunks)


async def _parsed_multipart(body: bytes, content_type: str) -> FormData:
    from starlette.formparsers import MultiPartParser

    async def stream():  # noqa: ANN202
        yield body
        yield b""

    headers = Headers({"content-type": content_type})
    return await MultiPartParser(headers, stream()).parse()


PNG = (
    b"\x89PNG\r\n\x1a\n\r\n\r\n"
    b'Content-Disposition: form-data; name="csrf_token"\r\n\r\nevil'
)
MULTIPART_BODIES = [
    _multipart([("csrf_token", "abc-DEF_123", None), ("body", "夜间施工噪音扰民", None)]),
    _multipart([("title", "x", None), ("csrf_token", "first", None), ("csrf_token", "last", None)]),
    # A file's bytes that look like a part header are content, not a field.
    _multipart([("csrf_token", "real", None), ("attachments", PNG, "photo.png")]),
    # A file part named like the field is not the field.
    _multipart([("csrf_token", b"file bytes", "csrf.txt")]),
    _multipart([("body", "line one\r\nline two", None), ("csrf_token", "令牌\r\n多行", None)]),
    _multipart([("csrf_tokenx", "nope", None)]),
    _multipart([("csrf_token", "", None)]),
    _multipart([]),
]


@pytest.mark.parametrize("body", MULTIPART_BODIES)
async def test_multipart_same_value_as_the_form_parser(body: bytes) -> None:
    content_type = f"multipart/form-data; boundary={BOUNDARY}"
    form = await _parsed_multipart(body, content_type)
    value = form.get("csrf_token")
    expected = value if isinstance(value, str) else None
    assert _multipart_field(body, content_type, "csrf_token") == expected


def test_multipart_without_a_boundary_has_no_token() -> None:
    body = _multipart([("csrf_token", "abc", None)])
    assert _multipart_field(body, "multipart/form-data", "csrf_token") is None
