"""The CSRF middleware reads only its own field of a form body, as the form
parser would, and only as far into the body as that field."""

from __future__ import annotations

from urllib.parse import urlencode

import pytest
from starlette.datastructures import FormData, Headers
from starlette.formparsers import FormParser

from leadermail.platform.web.csrf import (
    MAX_TOKEN_OFFSET,
    _multipart_field,
    _read_field,
    _urlencoded_field,
)


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


def _first_text(form: FormData) -> str | None:
    """The first plain (not file) ``csrf_token`` of a parsed form. The first,
    not the parser's last: the middleware stops reading at the token."""
    return next((v for v in form.getlist("csrf_token") if isinstance(v, str)), None)


@pytest.mark.parametrize("body", BODIES)
async def test_same_value_as_the_form_parser(body: bytes) -> None:
    expected = _first_text(await _parsed(body))
    assert _urlencoded_field(body, "csrf_token") == expected
    # Read from a body still arriving: nothing, or that value, never a part of it.
    for cut in range(len(body) + 1):
        assert _urlencoded_field(body[:cut], "csrf_token", complete=False) in (None, expected)


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
    expected = _first_text(await _parsed_multipart(body, content_type))
    assert _multipart_field(body, content_type, "csrf_token") == expected
    for cut in range(len(body) + 1):
        found = _multipart_field(body[:cut], content_type, "csrf_token", complete=False)
        assert found in (None, expected)


def test_multipart_without_a_boundary_has_no_token() -> None:
    body = _multipart([("csrf_token", "abc", None)])
    assert _multipart_field(body, "multipart/form-data", "csrf_token") is None


# --- reading only as far as the token ---------------------------------------------


class Upload:
    """A request body arriving in chunks, counting what the middleware took."""

    def __init__(self, chunks: list[bytes]) -> None:
        self.messages = [
            {"type": "http.request", "body": chunk, "more_body": i < len(chunks) - 1}
            for i, chunk in enumerate(chunks)
        ]
        self.taken = 0

    async def receive(self) -> dict:
        self.taken += 1
        if self.taken > len(self.messages):
            return {"type": "http.disconnect"}
        return self.messages[self.taken - 1]


async def _drain(receive) -> bytes:  # noqa: ANN001
    body = b""
    while True:
        message = await receive()
        assert message["type"] == "http.request"
        body += message["body"]
        if not message["more_body"]:
            return body


def _find(content_type: str):  # noqa: ANN202
    return lambda body, complete: _multipart_field(body, content_type, "csrf_token", complete)


async def test_a_large_upload_is_checked_after_its_first_chunk_and_reaches_the_app_whole() -> None:
    content_type = f"multipart/form-data; boundary={BOUNDARY}"
    photo = bytes(range(256)) * 4096  # 1 MB
    body = _multipart(
        [("csrf_token", "tok", None), ("title", "路灯不亮", None)]
        + [("attachments", photo, f"p{i}.png") for i in range(5)]
    )
    chunks = [body[i : i + 65536] for i in range(0, len(body), 65536)]
    upload = Upload(chunks)
    token, replay = await _read_field(upload.receive, _find(content_type))
    assert token == "tok" and upload.taken == 1
    assert await _drain(replay) == body
    assert upload.taken == len(chunks)


async def test_a_token_split_across_chunks_is_found_whole() -> None:
    content_type = f"multipart/form-data; boundary={BOUNDARY}"
    body = _multipart([("csrf_token", "abcdef-long-token", None), ("body", "x" * 100, None)])
    at = body.index(b"long")
    upload = Upload([body[:at], body[at : at + 3], body[at + 3 :]])
    token, replay = await _read_field(upload.receive, _find(content_type))
    assert token == "abcdef-long-token" and upload.taken == 3
    assert await _drain(replay) == body


async def test_no_token_near_the_start_stops_reading_early() -> None:
    content_type = f"multipart/form-data; boundary={BOUNDARY}"
    body = _multipart([("attachments", b"\0" * (3 * MAX_TOKEN_OFFSET), "big.png")])
    chunks = [body[i : i + 65536] for i in range(0, len(body), 65536)]
    upload = Upload(chunks)
    token, _ = await _read_field(upload.receive, _find(content_type))
    assert token is None
    assert upload.taken * 65536 <= MAX_TOKEN_OFFSET + 65536 < len(body)


async def test_a_client_that_leaves_mid_body_is_seen_leaving() -> None:
    content_type = f"multipart/form-data; boundary={BOUNDARY}"
    body = _multipart([("csrf_token", "tok", None)])
    upload = Upload([body[:20]])
    upload.messages[0]["more_body"] = True  # then the client is gone
    token, replay = await _read_field(upload.receive, _find(content_type))
    assert token is None
    assert await replay() == {"type": "http.request", "body": body[:20], "more_body": False}
    assert (await replay())["type"] == "http.disconnect"
