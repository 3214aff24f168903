"""Local sign-in: password, TOTP enrolment by QR code, rate limits, fixation."""

from __future__ import annotations

import re
import uuid

import httpx
import pyotp
import pytest
from sqlalchemy import select

from leadermail.platform.accounts.models import Role, User
from leadermail.platform.accounts.services import create_user, grant_role
from leadermail.platform.accounts.totp_secrets import read_totp_secret
from tests.functional.console.staff_session import console_url

PASSWORD = "correct horse 9"


@pytest.fixture(autouse=True)
async def clear_login_limits(context) -> None:
    """Every test client signs in from the same address, and the test Redis
    outlives the run: start each test with fresh sign-in counters."""
    async for key in context.redis.scan_iter(match="lm:rl:console-login*"):
        await context.redis.delete(key)


async def make_member(context, tenant, role=Role.REGISTRAR) -> str:
    email = f"{uuid.uuid4().hex[:10]}@staff.example.cn"
    async with context.database.core_session() as session:
        user = await create_user(session, email=email, display_name="王登记", password=PASSWORD)
        await grant_role(session, user_id=user.id, tenant_id=tenant.id, role=role)
        await session.commit()
    return email


def csrf_of(html: str) -> str:
    match = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert match, html[:500]
    return match.group(1)


async def password_step(
    client: httpx.AsyncClient, tenant, email: str, password: str = PASSWORD, next_url: str = ""
) -> httpx.Response:
    page = await client.get(console_url(tenant, "/login"))
    return await client.post(
        console_url(tenant, "/login"),
        data={
            "csrf_token": csrf_of(page.text),
            "email": email,
            "password": password,
            "next": next_url,
        },
    )


async def totp_step(client: httpx.AsyncClient, tenant, code: str) -> httpx.Response:
    page = await client.get(console_url(tenant, "/login/totp"))
    return await client.post(
        console_url(tenant, "/login/totp"), data={"csrf_token": csrf_of(page.text), "code": code}
    )


async def sign_in_with_totp(client, tenant, email) -> tuple[str, str]:
    """Full first sign-in (with enrolment); returns the TOTP secret and the code used."""
    response = await password_step(client, tenant, email)
    assert response.status_code == 303
    page = await client.get(console_url(tenant, "/login/totp"))
    assert "<svg" in page.text  # the QR code
    secret = re.search(r'data-testid="totp-secret">([A-Z2-7]+)<', page.text).group(1)
    code = pyotp.TOTP(secret).now()
    response = await totp_step(client, tenant, code)
    assert response.status_code == 303, response.text
    return secret, code


async def test_first_sign_in_enrols_totp_then_requires_it(context, make_tenant, client):
    tenant = await make_tenant()
    email = await make_member(context, tenant)
    secret, used_code = await sign_in_with_totp(client, tenant, email)
    assert (await client.get(console_url(tenant, "/inbox"))).status_code == 200
    async with context.database.core_session() as session:
        user = (await session.execute(select(User).where(User.email == email))).scalar_one()
    # Sealed at rest: the row holds neither the secret nor anything it starts with.
    assert user.totp_enabled and user.totp_secret.startswith("sealed-v1:")
    assert secret not in user.totp_secret and secret[:8] not in user.totp_secret
    assert read_totp_secret(user, context.settings.secret_key) == secret

    client.cookies.clear()
    response = await password_step(client, tenant, email)
    page = await client.get(console_url(tenant, "/login/totp"))
    assert "<svg" not in page.text  # enrolled: no new QR code
    assert (await totp_step(client, tenant, "000000")).status_code == 400
    # The code used at enrolment is still in its time window but cannot be replayed.
    response = await totp_step(client, tenant, used_code)
    assert response.status_code == 400
    assert (await client.get(console_url(tenant, "/inbox"))).status_code == 303


async def test_wrong_password_and_non_member_get_the_same_answer(context, make_tenant, client):
    tenant = await make_tenant()
    other = await make_tenant()
    email = await make_member(context, tenant)
    stranger = await make_member(context, other)
    wrong = await password_step(client, tenant, email, password="nope")
    not_member = await password_step(client, tenant, stranger)
    assert wrong.status_code == not_member.status_code == 400
    assert (
        "邮箱、密码或验证码不正确" in wrong.text and "邮箱、密码或验证码不正确" in not_member.text
    )


async def test_login_is_rate_limited_per_account(context, make_tenant, client):
    tenant = await make_tenant()
    email = await make_member(context, tenant)
    statuses = [
        (await password_step(client, tenant, email, password="nope")).status_code for _ in range(9)
    ]
    assert statuses[:8] == [400] * 8 and statuses[8] == 429
    # Even the right password is refused while the limit holds.
    assert (await password_step(client, tenant, email)).status_code == 429


async def test_sign_in_replaces_the_session(context, make_tenant, client):
    """Session fixation: nothing from the pre-sign-in session survives."""
    tenant = await make_tenant()
    email = await make_member(context, tenant)
    page = await client.get(console_url(tenant, "/login"))
    planted_cookie = client.cookies.get("leadermail_session")
    planted_csrf = csrf_of(page.text)
    await sign_in_with_totp(client, tenant, email)
    assert client.cookies.get("leadermail_session") != planted_cookie
    # The token of the old session is worthless in the new one.
    response = await client.post(console_url(tenant, "/logout"), data={"csrf_token": planted_csrf})
    assert response.status_code == 403
    # And the planted cookie itself is not signed in.
    attacker = httpx.AsyncClient(transport=client._transport, base_url="http://testserver")
    attacker.cookies.set("leadermail_session", planted_cookie)
    assert (await attacker.get(console_url(tenant, "/inbox"))).status_code == 303
    await attacker.aclose()


async def test_next_is_kept_but_never_leaves_the_console(context, make_tenant, client):
    tenant = await make_tenant()
    email = await make_member(context, tenant)
    redirect = await client.get(console_url(tenant, "/inbox?state=closed"))
    assert redirect.status_code == 303
    assert "next=" in redirect.headers["location"]
    await password_step(client, tenant, email, next_url="https://evil.example/")
    page = await client.get(console_url(tenant, "/login/totp"))
    secret = re.search(r'data-testid="totp-secret">([A-Z2-7]+)<', page.text).group(1)
    done = await totp_step(client, tenant, pyotp.TOTP(secret).now())
    assert done.headers["location"] == console_url(tenant, "/inbox")


async def test_signed_out_visitors_are_sent_to_sign_in(make_tenant, client):
    tenant = await make_tenant()
    response = await client.get(console_url(tenant, "/letters/1"))
    assert response.status_code == 303
    assert response.headers["location"].startswith(console_url(tenant, "/login?next="))
    htmx = await client.get(console_url(tenant, "/inbox"), headers={"HX-Request": "true"})
    assert htmx.status_code == 204 and "HX-Redirect" in htmx.headers
