"""Helpers for driving the citizen site over HTTP (httpx against the ASGI app)."""

from __future__ import annotations

import base64
import html
import io
import json
import re
from typing import Any

import httpx
import pytest
from altcha import ChallengeV1, solve_challenge_v1
from PIL import Image

from leadermail.platform.letters.figures import clear_cache
from leadermail.tenants.registry import TenantRef

VALID_ID = "11010519491231002X"


def hidden(page: str, name: str) -> str:
    match = re.search(rf'name="{name}" value="([^"]*)"', page)
    assert match, f"no hidden field {name}"
    return html.unescape(match.group(1))


def solve_pow(page: str) -> str:
    """Solve the page's ALTCHA challenge the way the widget does; return its payload."""
    match = re.search(r'challengejson="([^"]*)"', page)
    assert match, "no proof-of-work challenge on the page"
    data = json.loads(html.unescape(match.group(1)))
    challenge = ChallengeV1(
        data["algorithm"], data["challenge"], data["maxNumber"], data["salt"], data["signature"]
    )
    solution = solve_challenge_v1(challenge)
    assert solution is not None
    payload = {
        "algorithm": data["algorithm"],
        "challenge": data["challenge"],
        "number": solution.number,
        "salt": data["salt"],
        "signature": data["signature"],
    }
    return base64.b64encode(json.dumps(payload).encode()).decode()


def letter_values(**overrides: Any) -> dict[str, str]:
    values = {
        "letter_type": "complaint",
        "category": "",
        "title": "夜间施工噪音扰民",
        "body": (
            "我家附近的工地每天夜里十二点以后还在施工，噪音很大，"
            "老人孩子都睡不好，请有关部门管一管。"
        ),
        "region": "岳麓区",
        "name": "张三",
        "phone": "13812345678",
        "email": "",
        "id_number": "",
        "agree_terms": "1",
    }
    values.update(overrides)
    return values


def png_bytes() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (8, 8), (200, 30, 30)).save(buffer, format="PNG")
    return buffer.getvalue()


class Citizen:
    """One browser: its cookies, the tenant's site, and the forms it fills in."""

    def __init__(self, client: httpx.AsyncClient, tenant: TenantRef) -> None:
        self.client = client
        self.tenant = tenant
        self.base = f"/t/{tenant.slug}"

    async def get(self, path: str, **kwargs: Any) -> httpx.Response:
        return await self.client.get(self.base + path, **kwargs)

    async def post(self, path: str, **kwargs: Any) -> httpx.Response:
        return await self.client.post(self.base + path, **kwargs)

    async def open_write_form(self) -> str:
        response = await self.get("/write")
        assert response.status_code == 200, response.text
        return response.text

    def first_category(self, page: str) -> str:
        match = re.search(r'<option value="(\d+)"', page)
        assert match
        return match.group(1)

    async def submit(
        self,
        page: str | None = None,
        *,
        solve: bool = True,
        files: list[tuple[str, tuple[str, bytes, str]]] | None = None,
        **overrides: Any,
    ) -> httpx.Response:
        page = page or await self.open_write_form()
        values = letter_values(**overrides)
        if not values["category"]:
            values["category"] = self.first_category(page)
        data = {
            "csrf_token": hidden(page, "csrf_token"),
            "submission_key": hidden(page, "submission_key"),
            **{k: v for k, v in values.items() if v is not None},
        }
        if solve and "challengejson" in page:
            data["altcha"] = solve_pow(page)
        return await self.post("/write", data=data, files=files or None)

    async def write_letter(self, **overrides: Any) -> tuple[str, str]:
        """Submit a valid letter; return (tracking code, password) from the receipt."""
        response = await self.submit(**overrides)
        assert response.status_code == 303, response.text
        receipt = await self.client.get(response.headers["location"])
        assert receipt.status_code == 200
        code = re.search(r'id="tracking-code">([^<]+)<', receipt.text).group(1)  # type: ignore[union-attr]
        password = re.search(r'id="query-password">([^<]+)<', receipt.text).group(1)  # type: ignore[union-attr]
        return html.unescape(code), html.unescape(password)

    async def track(self, code: str, password: str) -> httpx.Response:
        page = (await self.get("/track")).text
        return await self.post(
            "/track",
            data={"csrf_token": hidden(page, "csrf_token"), "code": code, "password": password},
        )

    async def csrf(self) -> str:
        return hidden((await self.get("/track")).text, "csrf_token")


_other_clients: list[httpx.AsyncClient] = []


async def elsewhere(app: Any, ip_address: str) -> httpx.AsyncClient:
    """Another browser, on another address (closed at the end of the test)."""
    transport = httpx.ASGITransport(app=app, client=(ip_address, 40000))
    other = httpx.AsyncClient(
        transport=transport, base_url="http://testserver", follow_redirects=False
    )
    _other_clients.append(other)
    return other


@pytest.fixture(autouse=True)
async def _close_other_clients() -> None:
    yield
    while _other_clients:
        await _other_clients.pop().aclose()


@pytest.fixture(autouse=True)
def _fresh_figures() -> None:
    clear_cache()


@pytest.fixture(scope="session", autouse=True)
async def _fresh_rate_limits(context) -> None:  # noqa: ANN001
    """Tenant ids restart with each fresh test database, but the test Redis
    lives on: forget earlier runs' counters so limits start from zero."""
    async for key in context.redis.scan_iter(match="lm:rl:*"):
        await context.redis.delete(key)


@pytest.fixture
async def citizen(client: httpx.AsyncClient, make_tenant) -> Citizen:  # noqa: ANN001
    tenant = await make_tenant(leader_name="李明", leader_title="市长")
    return Citizen(client, tenant)
