"""Certificate sign-in as the app sees it behind the proxy (headers set by nginx).

The end-to-end run through a real nginx is in test_certificate_nginx.py.
"""

from __future__ import annotations

import base64
import json
import secrets
from datetime import UTC, datetime, timedelta
from urllib.parse import quote

from itsdangerous import TimestampSigner
from sqlalchemy import select

from leadermail.platform.audit.models import AuditRecord
from leadermail.platform.certificates.services import register_certificate, revoke_certificate
from leadermail.tenants.session import tenant_session
from tests.conftest import TEST_SECRET
from tests.functional.staff_ops.certs import issue, make_ca
from tests.functional.staff_ops.helpers import make_staff

CA = make_ca()


def anonymous(client):  # noqa: ANN001, ANN201
    """A visitor with a session (CSRF secret) but nobody signed in."""
    csrf = secrets.token_urlsafe(16)
    payload = base64.b64encode(json.dumps({"csrf_secret": csrf}).encode())
    client.cookies.clear()
    client.cookies.set("leadermail_session", TimestampSigner(TEST_SECRET).sign(payload).decode())
    client.headers["X-CSRF-Token"] = csrf
    return client


def headers(pem: str | None, verify: str = "SUCCESS") -> dict[str, str]:
    result = {"X-SSL-Client-Verify": verify}
    if pem is not None:
        result["X-SSL-Client-Cert"] = quote(pem)
    return result


async def register(context, staff, issued) -> None:  # noqa: ANN001
    async with context.database.core_session() as session:
        await register_certificate(session, user_id=staff.user_id, pem=issued.pem)
        await session.commit()


async def audit_actions(context, tenant) -> list[tuple[str, dict]]:  # noqa: ANN001
    async with tenant_session(context.database, tenant) as session:
        rows = (await session.execute(select(AuditRecord).order_by(AuditRecord.id))).scalars()
        return [(r.action, r.data) for r in rows if r.action.startswith("auth.certificate")]


async def test_a_registered_certificate_signs_in(staff_client, context, make_tenant):
    tenant = await make_tenant()
    staff = await make_staff(context, tenant, "张三")
    issued = issue(CA, "张三")
    await register(context, staff, issued)
    anonymous(staff_client)
    page = await staff_client.get(f"/t/{tenant.slug}/console/certificate")
    assert page.status_code == 200 and "使用数字证书登录" in page.text
    response = await staff_client.post(
        f"/t/{tenant.slug}/console/certificate/sign-in", headers=headers(issued.pem)
    )
    assert response.status_code == 303
    assert response.headers["location"] == f"/t/{tenant.slug}/console/"
    duty = await staff_client.get(f"/t/{tenant.slug}/console/duty")
    assert duty.status_code == 200 and "张三" in duty.text  # signed in
    assert [a for a, _ in await audit_actions(context, tenant)] == ["auth.certificate_sign_in"]


async def _refused(staff_client, tenant, request_headers, message):  # noqa: ANN001
    anonymous(staff_client)
    response = await staff_client.post(
        f"/t/{tenant.slug}/console/certificate/sign-in", headers=request_headers
    )
    assert response.status_code == 403, response.text
    assert "无法使用数字证书登录" in response.text
    assert message in response.text
    assert "leadermail_session" not in response.headers.get("set-cookie", "") or (
        "staff_user_id" not in response.headers.get("set-cookie", "")
    )
    after = await staff_client.get(f"/t/{tenant.slug}/console/duty")
    assert after.status_code == 303  # still not signed in


async def test_unknown_revoked_expired_and_missing_certificates_are_refused_and_audited(
    staff_client, context, make_tenant
):
    tenant = await make_tenant()
    staff = await make_staff(context, tenant, "李四")
    registered = issue(CA, "李四")
    await register(context, staff, registered)

    await _refused(staff_client, tenant, headers(issue(CA, "王五").pem), "未在本系统登记")

    async with context.database.core_session() as session:
        await revoke_certificate(
            session,
            issuer=CA.certificate.subject.rfc4514_string(),
            serial=format(registered.certificate.serial_number, "x"),
            reason="密钥泄露",
        )
        await session.commit()
    await _refused(staff_client, tenant, headers(registered.pem), "已被吊销")

    now = datetime.now(UTC)
    expired = issue(
        CA, "李四", not_before=now - timedelta(days=400), not_after=now - timedelta(days=1)
    )
    await register(context, staff, expired)
    # Even when the proxy says SUCCESS the app checks the dates itself.
    await _refused(staff_client, tenant, headers(expired.pem), "已过期")

    await _refused(staff_client, tenant, headers(None, "NONE"), "未检测到数字证书")
    await _refused(
        staff_client, tenant, headers(registered.pem, "FAILED:certificate revoked"), "未通过验证"
    )

    actions = await audit_actions(context, tenant)
    assert [a for a, _ in actions] == ["auth.certificate_refused"] * 5
    assert [d["reason"] for _, d in actions] == [
        "unknown",
        "revoked",
        "expired",
        "no_certificate",
        "proxy_refused",
    ]
    assert actions[0][1]["subject"].startswith("CN=王五")


async def test_a_certificate_of_another_tenant_member_is_refused(
    staff_client, context, make_tenant
):
    tenant = await make_tenant()
    other = await make_tenant()
    outsider = await make_staff(context, other, "外单位")
    issued = issue(CA, "外单位")
    await register(context, outsider, issued)
    await _refused(staff_client, tenant, headers(issued.pem), "不是本单位的工作人员")


async def test_headers_from_an_untrusted_peer_are_ignored(context, make_tenant, staff_app):
    import httpx

    tenant = await make_tenant()
    staff = await make_staff(context, tenant, "赵六")
    issued = issue(CA, "赵六")
    await register(context, staff, issued)
    transport = httpx.ASGITransport(app=staff_app, client=("203.0.113.9", 5555))
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
        anonymous(client)
        response = await client.post(
            f"/t/{tenant.slug}/console/certificate/sign-in", headers=headers(issued.pem)
        )
    assert response.status_code == 403
    assert "请通过单位内网的数字证书登录入口访问" in response.text
