"""The CSRF middleware reads only its own field of a urlencoded body, exactly
as the form parser would."""

from __future__ import annotations

from urllib.parse import urlencode

import pytest
from starlette.datastructures import FormData, Headers
from starlette.formparsers import FormParser

from leadermail.platform.web.csrf import _urlencoded_field


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
