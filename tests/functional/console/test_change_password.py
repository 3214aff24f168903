"""修改密码: the signed-in member changes their password; their other sessions
end, this one goes on, the mailbox is told. And the TOTP secrets behind
those sessions are sealed at rest without ending anyone's session."""

from __future__ import annotations

import base64
import hashlib
import html
import json
import re
import time
import uuid

import httpx
import pyotp
import pytest
from itsdangerous import TimestampSigner
from sqlalchemy import select, text

from leadermail.platform.accounts.models import Role, User
from leadermail.platform.accounts.passwords import WeakPassword
from leadermail.platform.accounts.services import create_user, grant_role
from leadermail.platform.accounts.totp import new_secret
from leadermail.platform.accounts.totp_secrets import read_totp_secret, store_totp_secret
from leadermail.platform.audit.models import PlatformAuditRecord
from leadermail.platform.jobs.models import OutboxJob
from leadermail.platform.notifications.account_jobs import send_password_notice
from tests.conftest import TEST_SECRET
from tests.functional.console.staff_session import Staff, console_url, run_job, sign_in_client
from tests.functional.console.test_signin import (  # noqa: F401 - autouse fixture
    clear_login_limits,
    csrf_of,
    password_step,
    totp_step,
)

OLD = "correct horse 9"
NEW = "两只黄鹂鸣翠柳 2026"


@pytest.fixture
def browser(app):  # noqa: ANN001, ANN201 - a second, separate browser
    def open_one() -> httpx.AsyncClient:
        return httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app), base_url="http://testserver"
        )

    return open_one


async def make_member(
    context, tenant, *, password: str | None = OLD, sealed: bool = True, oidc: bool = False
) -> tuple[User, str]:
    """A member with an enrolled TOTP secret (sealed, or in clear as before 0009)."""
    secret = new_secret()
    async with context.database.core_session() as session:
        user = await create_user(
            session,
            email=f"{uuid.uuid4().hex[:10]}@staff.example.cn",
            display_name="王登记",
            password=password,
        )
        if sealed:
            store_totp_secret(user, secret, context.settings.secret_key)
        else:
            user.totp_secret = secret
        user.totp_enabled = True
        if oidc:
            user.oidc_issuer, user.oidc_subject = "https://id.hunan.gov.cn", uuid.uuid4().hex
        await grant_role(session, user_id=user.id, tenant_id=tenant.id, role=Role.REGISTRAR)
        await session.commit()
    return user, secret


async def sign_in(
    client: httpx.AsyncClient, tenant, user: User, secret: str, *, window: int, password: str = OLD
) -> None:
    """Password + TOTP; ``window`` picks the 30-second step of the code (-1, 0, 1),
    as one code signs in once."""
    assert (await password_step(client, tenant, user.email, password)).status_code == 303
    code = pyotp.TOTP(secret).at(time.time() + 30 * window)
    done = await totp_step(client, tenant, code)
    assert done.status_code == 303, done.text
    assert (await client.get(console_url(tenant, "/inbox"))).status_code == 200


async def change(client, tenant, current: str, new: str, again: str | None = None):  # noqa: ANN001, ANN201
    page = await client.get(console_url(tenant, "/account/password"))
    return await client.post(
        console_url(tenant, "/account/password"),
        data={
            "csrf_token": csrf_of(page.text),
            "current_password": current,
            "password": new,
            "password_again": new if again is None else again,
        },
    )


def field_error(page: str, field: str) -> str:
    match = re.search(rf'id="e-{field}"[^>]*>([^<]*)<', page)
    assert match, f"no error next to the {field} field"
    return html.unescape(match.group(1))


async def stored_user(context, user_id: int) -> User:  # noqa: ANN001
    async with context.database.core_session() as session:
        return await session.get(User, user_id)


async def test_change_password_keeps_this_session_and_ends_the_others(
    context, mail_context, smtp_sink, make_tenant, client, browser
):
    tenant = await make_tenant()
    user, secret = await make_member(context, tenant)
    async with browser() as other_desk:
        await sign_in(client, tenant, user, secret, window=0)
        await sign_in(other_desk, tenant, user, secret, window=-1)

        page = await client.get(console_url(tenant, "/inbox"))
        assert f'href="{console_url(tenant, "/account/password")}"' in page.text  # user area
        done = await change(client, tenant, OLD, NEW)
        assert done.status_code == 303, done.text
        page = await client.get(done.headers["location"])
        assert "密码已修改" in page.text and "上次修改密码" in page.text

        assert (await client.get(console_url(tenant, "/inbox"))).status_code == 200
        ended = await other_desk.get(console_url(tenant, "/inbox"))
        assert ended.status_code == 303 and "/login" in ended.headers["location"]

    client.cookies.clear()
    assert (await password_step(client, tenant, user.email, OLD)).status_code == 400
    assert (await password_step(client, tenant, user.email, NEW)).status_code == 303

    async with context.database.core_session() as session:
        audit = (
            await session.execute(
                select(PlatformAuditRecord).where(
                    PlatformAuditRecord.action == "staff.password_changed",
                    PlatformAuditRecord.object_id == str(user.id),
                )
            )
        ).scalar_one()
        job = (
            await session.execute(
                select(OutboxJob).where(
                    OutboxJob.job_name == "send_password_notice",
                    OutboxJob.kwargs["user_id"].as_integer() == user.id,
                )
            )
        ).scalar_one()
    assert audit.tenant_id == tenant.id and audit.actor_user_id == user.id
    assert job.kwargs["kind"] == "changed"
    assert await run_job(mail_context, send_password_notice, **job.kwargs) == "sent"
    (mail,) = [m for m in smtp_sink.messages if user.email in m["X-Rcpt-To"]]
    body = mail.get_payload(decode=True).decode()
    assert "您的密码已修改" in body and "如非本人操作，请立即联系本单位管理员" in body


async def test_a_wrong_current_password_changes_nothing_and_is_rate_limited(
    context, make_tenant, client, browser
):
    tenant = await make_tenant()
    user, secret = await make_member(context, tenant)
    await sign_in(client, tenant, user, secret, window=0)
    async for key in context.redis.scan_iter(match="lm:rl:console-login*"):
        await context.redis.delete(key)  # the sign-in's own two attempts
    refused = await change(client, tenant, "not my password", NEW)
    assert refused.status_code == 422
    assert field_error(refused.text, "current") == "当前密码不正确"
    assert (await stored_user(context, user.id)).password_changed_at is None
    # Wrong guesses draw on the sign-in counter of the account (8 per 15 minutes).
    statuses = [(await change(client, tenant, "still wrong", NEW)).status_code for _ in range(8)]
    assert statuses == [422] * 7 + [429]
    async with browser() as elsewhere:  # signing in is refused as well
        assert (await password_step(elsewhere, tenant, user.email)).status_code == 429
    limited = await change(client, tenant, OLD, NEW)  # even the right one, while it holds
    assert limited.status_code == 429 and "尝试次数过多" in field_error(limited.text, "current")
    assert (await client.get(console_url(tenant, "/inbox"))).status_code == 200
    assert (await stored_user(context, user.id)).password_changed_at is None


async def test_a_weak_or_unchanged_password_is_refused_next_to_the_field(
    context, make_tenant, client, browser
):
    tenant = await make_tenant(slug=f"yueyang{uuid.uuid4().hex[:4]}")
    user, secret = await make_member(context, tenant)
    async with browser() as other_desk:
        await sign_in(client, tenant, user, secret, window=0)
        await sign_in(other_desk, tenant, user, secret, window=-1)
        weak = await change(client, tenant, OLD, "12345678")
        assert weak.status_code == 422
        assert field_error(weak.text, "password") == "密码至少需要 12 个字符"
        slug = await change(client, tenant, OLD, f"我在{tenant.slug}上班好多年")
        assert "信箱标识" in field_error(slug.text, "password")
        same = await change(client, tenant, OLD, OLD)
        assert field_error(same.text, "password") == "新密码不能与当前密码相同"
        mismatch = await change(client, tenant, OLD, NEW, again=NEW + "!")
        assert field_error(mismatch.text, "password-again") == "两次输入的新密码不一致"
        # Nothing was lost: the password, both sessions.
        assert (await stored_user(context, user.id)).password_changed_at is None
        assert (await other_desk.get(console_url(tenant, "/inbox"))).status_code == 200
    assert (await client.get(console_url(tenant, "/inbox"))).status_code == 200


async def test_members_without_a_password_are_told_why(context, make_tenant, client):
    tenant = await make_tenant()
    user, _ = await make_member(context, tenant, password=None, oidc=True)
    sign_in_client(client, Staff(user.id, user.display_name, user.email))
    page = await client.get(console_url(tenant, "/account/password"))
    assert page.status_code == 200 and "统一身份认证" in page.text
    assert 'name="current_password"' not in page.text
    posted = await client.post(
        console_url(tenant, "/account/password"),
        data={"current_password": "", "password": NEW, "password_again": NEW},
    )
    assert posted.status_code == 200 and 'data-testid="no-password"' in posted.text
    assert (await stored_user(context, user.id)).password_hash is None


async def test_create_user_applies_the_password_rule(context) -> None:
    async with context.database.core_session() as session:
        with pytest.raises(WeakPassword):
            await create_user(
                session, email="leader@x.example.cn", display_name="刘", password="leader-of-2026"
            )
        with pytest.raises(WeakPassword):
            await create_user(session, email="a@x.example.cn", display_name="刘", password="short")


def session_from_before_0009(user_id: int, secret: str, csrf: str) -> str:
    """The cookie the console set before this change: the marker over the clear secret."""
    marker = hashlib.sha256(b"leadermail.session-totp.v1\x00" + secret.encode()).hexdigest()[:16]
    data = {
        "staff_user_id": user_id,
        "staff_signed_in_at": int(time.time()),
        "staff_second_factor": marker,
        "csrf_secret": csrf,
    }
    return TimestampSigner(TEST_SECRET).sign(base64.b64encode(json.dumps(data).encode())).decode()


async def raw_totp_column(context, user_id: int) -> str:  # noqa: ANN001
    async with context.database.core_session() as session:
        return await session.scalar(
            text("SELECT totp_secret FROM core.users WHERE id = :id"), {"id": user_id}
        )


async def test_totp_secrets_are_sealed_and_legacy_ones_sealed_at_sign_in(
    context, make_tenant, client, browser
):
    tenant = await make_tenant()
    legacy, secret = await make_member(context, tenant, sealed=False)
    assert await raw_totp_column(context, legacy.id) == secret  # a row from before 0009
    async with browser() as earlier:
        # A session signed in before the deploy is still valid, on the clear value…
        earlier.cookies.set("leadermail_session", session_from_before_0009(legacy.id, secret, "x"))
        assert (await earlier.get(console_url(tenant, "/inbox"))).status_code == 200
        # …the next sign-in seals the secret (the code still checks)…
        await sign_in(client, tenant, legacy, secret, window=0)
        stored = await raw_totp_column(context, legacy.id)
        assert stored.startswith("sealed-v1:") and secret not in stored
        user = await stored_user(context, legacy.id)
        assert read_totp_secret(user, context.settings.secret_key) == secret
        # …and that ends no session: the marker is over the secret, not its stored form.
        assert (await earlier.get(console_url(tenant, "/inbox"))).status_code == 200
    # A sealed secret signs in as well (the code of another window: 0 is used).
    client.cookies.clear()
    await sign_in(client, tenant, legacy, secret, window=1)
