"""重置动态验证码: an admin resets a staff member's lost second factor with a
reason; the member's sessions stop working and the next sign-in enrols a new
TOTP by QR code. Never oneself, never across tenants (except province admins),
never by roles other than the admins; audited on both chains."""

from __future__ import annotations

import html
import re

import httpx
import pyotp
from sqlalchemy import select

from leadermail.platform.accounts.models import Role, User
from leadermail.platform.accounts.totp import new_secret
from leadermail.platform.audit.models import AuditRecord, PlatformAuditRecord
from leadermail.tenants.registry import TenantRef
from leadermail.tenants.session import tenant_session
from tests.functional.console.staff_session import (
    Staff,
    console_url,
    make_staff,
    sign_in_client,
)
from tests.functional.console.test_signin import (  # noqa: F401 - autouse fixture
    clear_login_limits,
    password_step,
    totp_step,
)

STAFF_PASSWORD = "correct horse 9"  # what make_staff gives everyone


def browser(app) -> httpx.AsyncClient:  # noqa: ANN001
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://testserver")


async def sign_in_for_real(client: httpx.AsyncClient, tenant: TenantRef, staff: Staff) -> str:
    """Password, then QR enrolment of a new TOTP; returns the enrolled secret."""
    assert (await password_step(client, tenant, staff.email, STAFF_PASSWORD)).status_code == 303
    page = await client.get(console_url(tenant, "/login/totp"))
    assert "<svg" in page.text, "no QR code: the user was not asked to enrol"
    secret = re.search(r'data-testid="totp-secret">([A-Z2-7]+)<', page.text).group(1)
    done = await totp_step(client, tenant, pyotp.TOTP(secret).now())
    assert done.status_code == 303
    return secret


async def the_user(context, user_id: int) -> User:  # noqa: ANN001
    async with context.database.core_session() as session:
        return await session.get(User, user_id)


async def enrol_directly(context, user_id: int) -> None:  # noqa: ANN001
    async with context.database.core_session() as session:
        user = await session.get(User, user_id)
        user.totp_secret, user.totp_enabled = new_secret(), True
        await session.commit()


def field_error(page: str, field: str) -> str:
    match = re.search(rf'id="reset-{field}-\d+-error"[^>]*>([^<]*)<', page)
    assert match, f"no error next to the {field} field"
    return html.unescape(match.group(1))


async def reset(client, tenant, user_id, reason="手机遗失", **extra):  # noqa: ANN001, ANN003, ANN201
    data = {"user_id": str(user_id), "reason": reason, **{k: str(v) for k, v in extra.items()}}
    return await client.post(console_url(tenant, "/directory/second-factor"), data=data)


async def test_an_admin_resets_a_lost_phone_and_the_member_enrols_again(
    context, make_tenant, client, app
):
    tenant = await make_tenant()
    admin = await make_staff(context, tenant, "周管理", Role.TENANT_ADMIN)
    member = await make_staff(context, tenant, "王登记", Role.REGISTRAR)
    async with browser(app) as phone_lost:
        old_secret = await sign_in_for_real(phone_lost, tenant, member)
        assert (await phone_lost.get(console_url(tenant, "/inbox"))).status_code == 200

        sign_in_client(client, admin)
        page = await client.get(console_url(tenant, "/directory"))
        assert "重置动态验证码" in page.text and "王登记（登记员，已绑定动态验证码）" in page.text
        assert "周管理（" not in page.text.split('id="reset-totp"')[1]  # not oneself

        no_reason = await reset(client, tenant, member.user_id, reason="  ")
        assert no_reason.status_code == 400
        assert field_error(no_reason.text, "reason") == "请填写重置原因"
        assert (await the_user(context, member.user_id)).totp_enabled
        assert (await phone_lost.get(console_url(tenant, "/inbox"))).status_code == 200

        done = await reset(client, tenant, member.user_id, reason="手机遗失，本人电话确认")
        assert done.status_code == 303
        assert done.headers["location"] == console_url(tenant, "/directory?done=totp")
        assert "已登录的会话已失效" in (await client.get(done.headers["location"])).text
        user = await the_user(context, member.user_id)
        assert user.totp_secret is None and not user.totp_enabled

        # The session signed in with the old factor no longer gets in.
        after = await phone_lost.get(console_url(tenant, "/inbox"))
        assert after.status_code == 303 and "/login" in after.headers["location"]

        # Next sign-in: password, then a QR code for a new secret.
        new = await sign_in_for_real(phone_lost, tenant, member)
        assert new != old_secret
        assert (await phone_lost.get(console_url(tenant, "/inbox"))).status_code == 200
    # The admin's own session is untouched.
    assert (await client.get(console_url(tenant, "/inbox"))).status_code == 200

    async with context.database.core_session() as session:
        platform = (
            await session.execute(
                select(PlatformAuditRecord).where(
                    PlatformAuditRecord.action == "staff.totp_reset",
                    PlatformAuditRecord.object_id == str(member.user_id),
                )
            )
        ).scalar_one()
    assert platform.actor_user_id == admin.user_id
    assert platform.data["reason"] == "手机遗失，本人电话确认"
    async with tenant_session(context.database, tenant) as session:
        local = (
            await session.execute(
                select(AuditRecord).where(AuditRecord.action == "staff.totp_reset")
            )
        ).scalar_one()
    assert local.actor_user_id == admin.user_id and local.object_id == str(member.user_id)


async def test_nobody_resets_their_own_factor_and_other_roles_cannot_reset(
    context, make_tenant, client
):
    tenant = await make_tenant()
    admin = await make_staff(context, tenant, "周管理", Role.TENANT_ADMIN)
    other_admin = await make_staff(context, tenant, "吴管理", Role.TENANT_ADMIN)
    target = await make_staff(context, tenant, "王登记", Role.REGISTRAR)
    for user_id in (admin.user_id, other_admin.user_id, target.user_id):
        await enrol_directly(context, user_id)

    sign_in_client(client, admin)
    myself = await reset(client, tenant, admin.user_id)
    assert myself.status_code == 400 and "不能重置自己" in field_error(myself.text, "user")
    assert (await the_user(context, admin.user_id)).totp_enabled
    # ... but another admin may.
    sign_in_client(client, other_admin)
    assert (await reset(client, tenant, admin.user_id)).status_code == 303
    assert not (await the_user(context, admin.user_id)).totp_enabled

    for role in (Role.REGISTRAR, Role.HANDLER, Role.LEADER, Role.SUPERVISOR):
        someone = await make_staff(context, tenant, "某人", role)
        sign_in_client(client, someone)
        refused = await reset(client, tenant, target.user_id)
        assert refused.status_code == 403, role
        page = await client.get(console_url(tenant, "/directory"))
        assert 'id="reset-totp"' not in page.text
    assert (await the_user(context, target.user_id)).totp_enabled

    sign_in_client(client, admin)
    for bad in ("", "abc", "999999999"):
        response = await reset(client, tenant, bad)
        assert response.status_code == 400 and field_error(response.text, "user")
    too_long = await reset(client, tenant, target.user_id, reason="原因" * 101)
    assert too_long.status_code == 400 and "200" in field_error(too_long.text, "reason")
    assert (await the_user(context, target.user_id)).totp_enabled


async def test_a_tenant_admin_cannot_reach_other_tenants_or_province_admins(
    context, make_tenant, client
):
    home = await make_tenant()
    away = await make_tenant()
    province = await make_tenant(kind="province", name="湖南省省长信箱")
    admin = await make_staff(context, home, "周管理", Role.TENANT_ADMIN)
    foreigner = await make_staff(context, away, "外市登记", Role.REGISTRAR)
    province_admin = await make_staff(context, province, "省管理员", Role.PROVINCE_ADMIN)
    # A province admin who also works in this city.
    async with context.database.core_session() as session:
        from leadermail.platform.accounts.services import grant_role

        await grant_role(
            session, user_id=province_admin.user_id, tenant_id=home.id, role=Role.LEADER
        )
        await session.commit()
    for user_id in (foreigner.user_id, province_admin.user_id):
        await enrol_directly(context, user_id)

    sign_in_client(client, admin)
    for user_id, tenant_id in (
        (foreigner.user_id, away.id),
        (foreigner.user_id, home.id),
        (province_admin.user_id, home.id),
        (province_admin.user_id, province.id),
    ):
        refused = await reset(client, home, user_id, tenant_id=tenant_id)
        assert refused.status_code == 400 and field_error(refused.text, "user")
    # Signed in to home only: the other tenant's console does not know the admin.
    elsewhere = await reset(client, away, foreigner.user_id)
    assert elsewhere.status_code == 303 and "/login" in elsewhere.headers["location"]
    assert (await the_user(context, foreigner.user_id)).totp_enabled
    assert (await the_user(context, province_admin.user_id)).totp_enabled


async def test_a_province_admin_resets_staff_of_any_tenant_but_not_themselves(
    context, make_tenant, client
):
    province = await make_tenant(kind="province", name="湖南省省长信箱")
    city = await make_tenant(name="长沙市市长信箱")
    province_admin = await make_staff(context, province, "省管理员", Role.PROVINCE_ADMIN)
    colleague = await make_staff(context, province, "省管理员二", Role.PROVINCE_ADMIN)
    city_admin = await make_staff(context, city, "长沙管理员", Role.TENANT_ADMIN)
    for user_id in (province_admin.user_id, colleague.user_id, city_admin.user_id):
        await enrol_directly(context, user_id)

    sign_in_client(client, province_admin)
    page = await client.get(console_url(province, "/directory/province"))
    assert page.status_code == 200 and f'data-testid="reset-totp-{city.id}"' in page.text
    done = await reset(
        client, province, city_admin.user_id, tenant_id=city.id, page="province", reason="换手机"
    )
    assert done.status_code == 303
    assert done.headers["location"] == console_url(province, "/directory/province?done=totp")
    assert "已登录的会话已失效" in (await client.get(done.headers["location"])).text
    assert not (await the_user(context, city_admin.user_id)).totp_enabled
    async with tenant_session(context.database, city) as session:
        assert (
            await session.execute(
                select(AuditRecord.actor_user_id).where(AuditRecord.action == "staff.totp_reset")
            )
        ).scalar_one() == province_admin.user_id

    myself = await reset(
        client, province, province_admin.user_id, tenant_id=province.id, page="province"
    )
    assert myself.status_code == 400 and "不能重置自己" in field_error(myself.text, "user")
    assert (await the_user(context, province_admin.user_id)).totp_enabled
    sign_in_client(client, colleague)
    assert (
        await reset(
            client, province, province_admin.user_id, tenant_id=province.id, page="province"
        )
    ).status_code == 303
    assert not (await the_user(context, province_admin.user_id)).totp_enabled
