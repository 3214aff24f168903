"""E-mails about a staff member's own account (listed in the worker's JOB_MODULES).

Added to the outbox by ``accounts.password_resets`` and ``accounts.password_changes``::

    enqueue(session, "send_password_reset_email", tenant_id=…, reset_id=…,
            link_base="https://…/console/password/reset/", sealed_token="sealed-v1:…")
    enqueue(session, "send_password_notice", tenant_id=…, user_id=…,
            kind="changed" | "reset" | "invitation" | "no_password", at="2026-…",
            ip_address="…")

The reset e-mail is sent once (``password_resets.emailed_at``) and never for
a link already spent or expired; the sealed token is scrubbed from the
outbox row once sent. A notice only says what happened, so a second copy
after a retry does no harm.
"""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Any

from sqlalchemy import text

from leadermail.platform.accounts.models import PasswordReset, User
from leadermail.platform.accounts.password_resets import (
    open_reset_token,
    token_digest,
)
from leadermail.platform.clock import utcnow
from leadermail.platform.context import AppContext
from leadermail.platform.notifications.email import send_email
from leadermail.platform.sealing import SealBroken
from leadermail.platform.web.templating import format_datetime

log = logging.getLogger(__name__)

SIGNATURE = "此邮件由系统自动发送，请勿直接回复。"


def reset_email_body(name: str, tenant_name: str, link: str, expires_at: datetime) -> str:
    return (
        f"{name}，您好：\n\n"
        f"有人（希望是您本人）在“{tenant_name}”工作台申请重置您的登录密码。"
        f"请在 {format_datetime(expires_at)} 前打开下面的链接设置新密码：\n\n"
        f"{link}\n\n"
        "该链接只能使用一次，30 分钟内有效。设置新密码后，登录时仍须输入动态验证码。\n"
        "如果不是您本人申请，请忽略本邮件，您的密码不会改变；"
        "如多次收到此类邮件，请联系本单位管理员。\n\n" + SIGNATURE
    )


def notice_email(
    kind: str, name: str, tenant_name: str, at: datetime, ip_address: str | None
) -> tuple[str, str]:
    """Subject and body of a notice about the password."""
    where = f"，操作地址 {ip_address}" if ip_address else ""
    if kind == "no_password":
        return (
            f"【{tenant_name}】关于重置工作台密码",
            f"{name}，您好：\n\n有人在“{tenant_name}”工作台（{format_datetime(at)}{where}）"
            "为您的账号申请重置密码。您的账号没有工作台密码（通过统一身份认证登录，"
            "或尚未接受邀请设置密码），因此无法通过邮件重置。"
            "请使用统一身份认证登录，或联系本单位管理员。\n"
            "如果不是您本人申请，请忽略本邮件。\n\n" + SIGNATURE,
        )
    done = {
        "reset": "已通过“忘记密码”邮件链接重置",
        "invitation": "已通过邀请邮件中的链接重新设置",
    }.get(kind, "已修改")
    return (
        f"【{tenant_name}】您的工作台密码{done}",
        f"{name}，您好：\n\n您的密码{done}（{format_datetime(at)}{where}）。"
        "您在其他设备或浏览器上的登录均已失效。\n\n"
        "如非本人操作，请立即联系本单位管理员。\n\n" + SIGNATURE,
    )


async def send_password_reset_email(
    ctx: dict[str, Any], *, tenant_id: int, reset_id: int, link_base: str, sealed_token: str = ""
) -> str:
    app: AppContext = ctx["app"]
    tenant = await app.tenants.by_id(tenant_id)
    async with app.database.core_session() as session:
        reset = await session.get(PasswordReset, reset_id, with_for_update=True)
        if tenant is None or reset is None:
            return "no such link"
        if reset.emailed_at is not None:
            return "already sent"
        if reset.used_at is not None or reset.expires_at <= utcnow():
            return "link no longer valid"
        try:
            token = open_reset_token(sealed_token, reset.id, app.settings.secret_key)
        except SealBroken:
            # SECRET_KEY changed since the request (or the row was scrubbed): the
            # link cannot be rebuilt; the user simply asks again.
            log.warning("password reset %s: the sealed token does not open", reset_id)
            return "token unreadable"
        if token_digest(token) != reset.token_hash:
            return "token mismatch"
        user = await session.get(User, reset.user_id)
        if user is None or not user.is_active:
            return "no such user"
        link = link_base + token
        await send_email(
            app.settings,
            to=user.email,
            subject=f"【{tenant.name}】重置工作台登录密码",
            body=reset_email_body(user.display_name, tenant.name, link, reset.expires_at),
        )
        reset.emailed_at = utcnow()
        # The sealed token has done its job: scrub it from the outbox row.
        await session.execute(
            text(
                "UPDATE core.outbox SET kwargs = kwargs - 'sealed_token' "
                "WHERE job_name = 'send_password_reset_email' "
                "AND (kwargs->>'reset_id')::bigint = :reset"
            ),
            {"reset": reset_id},
        )
        await session.commit()
    return "sent"


async def send_password_notice(
    ctx: dict[str, Any],
    *,
    tenant_id: int,
    user_id: int,
    kind: str,
    at: str,
    ip_address: str | None = None,
) -> str:
    app: AppContext = ctx["app"]
    tenant = await app.tenants.by_id(tenant_id)
    async with app.database.core_session() as session:
        user = await session.get(User, user_id)
    if tenant is None or user is None:
        return "no such user"
    subject, body = notice_email(
        kind, user.display_name, tenant.name, datetime.fromisoformat(at), ip_address
    )
    await send_email(app.settings, to=user.email, subject=subject, body=body)
    return "sent"


JOBS = [send_password_reset_email, send_password_notice]
CRON_JOBS: list[Any] = []
