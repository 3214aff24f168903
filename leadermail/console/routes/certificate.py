"""Sign-in with a CA client certificate (湖南CA), verified by the reverse proxy.

    GET  /console/certificate           the page with the "使用数字证书登录" button
    POST /console/certificate/sign-in   nginx has asked for the certificate here

nginx verifies the chain (``ssl_verify_client``) and passes
``X-SSL-Client-Verify`` and ``X-SSL-Client-Cert``. Those headers are only
believed when the request comes straight from a proxy in
``settings.trusted_proxy_ips`` (nginx sends no X-Forwarded-For on this
location, so the peer address is the proxy's); anyone else could type them.
Every refusal gets the same clear page and a tenant audit record.
"""

from __future__ import annotations

from sqlalchemy import select
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from leadermail.console.auth import sign_in
from leadermail.console.rendering import renderer_for
from leadermail.platform.accounts.models import Membership, User
from leadermail.platform.audit.writer import Actor, record_audit
from leadermail.platform.certificates.services import (
    CertificateInfo,
    CertificateRefused,
    authenticate_certificate,
    certificate_from_header,
    parse_certificate,
)
from leadermail.platform.clock import utcnow
from leadermail.platform.web.requests import app_context, current_tenant
from leadermail.tenants.session import tenant_session

VERIFY_HEADER = "x-ssl-client-verify"
CERT_HEADER = "x-ssl-client-cert"


async def certificate_page(request: Request) -> Response:
    current_tenant(request)
    return renderer_for(app_context(request)).render(request, "certificate/sign_in.html", {})


def _peer(request: Request) -> str | None:
    return request.client.host if request.client else None


async def certificate_sign_in(request: Request) -> Response:
    context = app_context(request)
    tenant = current_tenant(request)
    info: CertificateInfo | None = None
    try:
        if _peer(request) not in context.settings.trusted_proxy_ips:
            raise CertificateRefused("untrusted_proxy", "请通过单位内网的数字证书登录入口访问")
        verify = request.headers.get(VERIFY_HEADER, "")
        raw = request.headers.get(CERT_HEADER, "")
        if verify == "NONE" or not raw:
            raise CertificateRefused(
                "no_certificate", "未检测到数字证书，请插入证书（USB Key）后重试"
            )
        info = parse_certificate(certificate_from_header(raw))
        if verify != "SUCCESS":
            raise CertificateRefused(
                "proxy_refused", "数字证书未通过验证（" + verify[:80] + "）", info
            )
        async with context.database.core_session() as core:
            certificate = await authenticate_certificate(core, info, now=utcnow())
            user = await core.get(User, certificate.user_id)
            member = (
                await core.execute(
                    select(Membership.id).where(
                        Membership.user_id == certificate.user_id,
                        Membership.tenant_id == tenant.id,
                        Membership.is_active.is_(True),
                    )
                )
            ).first()
            if user is None or not user.is_active or member is None:
                raise CertificateRefused(
                    "no_membership", "该证书的持有人不是本单位的工作人员", info
                )
            user.last_login_at = utcnow()
            await core.commit()
    except CertificateRefused as refused:
        await _audit(
            request, "auth.certificate_refused", None, refused.info or info, reason=refused.reason
        )
        return renderer_for(context).render(
            request, "certificate/refused.html", {"message": refused.message}, status_code=403
        )
    sign_in(request, user)
    await _audit(request, "auth.certificate_sign_in", user, info)
    return RedirectResponse(f"{request.state.tenant_prefix}/console/", status_code=303)


async def _audit(
    request: Request,
    action: str,
    user: User | None,
    info: CertificateInfo | None,
    reason: str | None = None,
) -> None:
    context = app_context(request)
    tenant = current_tenant(request)
    data = {"reason": reason} if reason else {}
    if info is not None:
        data.update({"issuer": info.issuer, "serial": info.serial, "subject": info.subject})
    actor = Actor(
        user_id=user.id if user else None,
        label=user.display_name if user else (info.common_name if info else "未知"),
        ip_address=request.headers.get("x-real-ip") or _peer(request),
    )
    async with tenant_session(context.database, tenant) as session:
        await record_audit(
            session,
            tenant_id=tenant.id,
            actor=actor,
            action=action,
            object_type="certificate",
            object_id=info.serial if info else None,
            data=data,
        )
        await session.commit()


routes = [
    Route("/certificate", certificate_page, methods=["GET"]),
    Route("/certificate/sign-in", certificate_sign_in, methods=["POST"]),
]
