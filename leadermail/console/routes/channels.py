"""Letters from other channels in the console.

GET  /console/channels/register            the registration form (phone, post, visit, e-mail)
POST /console/channels/register            register; the answer is the printable slip
GET  /console/channels/mail-problems       待处理邮件: mail that could not become a letter
GET  /console/channels/mail-problems/{id}.eml   the raw message
POST /console/channels/mail-problems/{id}/dismiss
GET  /console/channels/mailbox             the intake mailbox settings (tenant admin)
POST /console/channels/mailbox
"""

from __future__ import annotations

import secrets
from datetime import datetime
from typing import Any

from sqlalchemy import select
from starlette.datastructures import UploadFile
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from leadermail.console.auth import require_staff
from leadermail.console.flash import flash
from leadermail.console.rendering import renderer_for
from leadermail.platform.accounts.policy import Action, StaffUser
from leadermail.platform.audit.writer import Actor, record_audit
from leadermail.platform.channels.mailbox_passwords import (
    MAX_PASSWORD_BYTES,
    PASSWORD_UNREADABLE,
    SealBroken,
    needs_sealing,
    read_mailbox_password,
    store_mailbox_password,
)
from leadermail.platform.channels.models import ChannelMailbox, MailProblem
from leadermail.platform.channels.services import (
    STAFF_CHANNELS,
    ChannelLetterRefused,
    register_channel_letter,
)
from leadermail.platform.clock import utcnow
from leadermail.platform.deadlines.calendar import SHANGHAI
from leadermail.platform.letters.models import CHANNEL_LABELS, LETTER_TYPE_LABELS, Category
from leadermail.platform.web.requests import app_context, client_ip
from leadermail.tenants.session import tenant_session

FIELDS = (
    "letter_type",
    "category",
    "title",
    "body",
    "region",
    "name",
    "phone",
    "email",
    "id_number",
    "do_not_publish",
)


def _actor(request: Request, staff: StaffUser) -> Actor:
    return Actor(staff.user_id, staff.display_name, client_ip(request))


async def _form_page(
    request: Request,
    staff: StaffUser,
    values: dict[str, str],
    errors: dict[str, str],
    status: int = 200,
) -> Response:
    context = app_context(request)
    async with tenant_session(context.database, staff.tenant) as session:
        categories = (
            await session.execute(
                select(Category.id, Category.name)
                .where(Category.is_active.is_(True))
                .order_by(Category.position, Category.id)
            )
        ).all()
    return renderer_for(context).render(
        request,
        "channels/register.html",
        {
            "values": values,
            "errors": errors,
            "categories": categories,
            "channels": [(c, CHANNEL_LABELS[c]) for c in STAFF_CHANNELS],
            "letter_types": LETTER_TYPE_LABELS,
            "help_topic": "register",
            "submission_key": secrets.token_urlsafe(16),
        },
        status_code=status,
    )


async def register_form(request: Request) -> Response:
    staff = await require_staff(request, Action.REGISTER)
    now = utcnow().astimezone(SHANGHAI).strftime("%Y-%m-%dT%H:%M")
    # Publishing needs the writer's consent: a letter by post or phone is not
    # published unless the clerk records that the writer agreed.
    defaults = {"received_at": now, "channel": "phone", "do_not_publish": "1"}
    return await _form_page(request, staff, defaults, {})


def _received(value: str) -> datetime | None:
    try:
        return datetime.fromisoformat(value).replace(tzinfo=SHANGHAI)
    except ValueError:
        return None


async def register(request: Request) -> Response:
    staff = await require_staff(request, Action.REGISTER)
    context = app_context(request)
    async with request.form(max_files=10) as form:
        values = {name: str(form.get(name, "")) for name in (*FIELDS, "channel", "received_at")}
        scans: list[tuple[str, bytes]] = []
        for item in form.getlist("scans"):
            if isinstance(item, UploadFile) and item.filename:
                scans.append((item.filename, await item.read()))
        key = str(form.get("submission_key", ""))[:40] or None
    received_at = _received(values["received_at"])
    if received_at is None:
        return await _form_page(request, staff, values, {"received_at": "请填写收到日期"}, 400)
    async with tenant_session(context.database, staff.tenant) as session:
        try:
            result = await register_channel_letter(
                session,
                staff.tenant,
                values,
                scans,
                channel=values["channel"],
                received_at=received_at,
                upload_dir=context.settings.upload_dir,
                secret_key=context.settings.secret_key,
                actor=_actor(request, staff),
                submission_key=f"staff:{key}" if key else None,
            )
        except ChannelLetterRefused as refused:
            return await _form_page(request, staff, values, refused.errors, 400)
        await session.commit()
        letter = await result.load(session)
    return renderer_for(context).render(
        request,
        "channels/slip.html",
        {
            "letter": letter,
            "tracking_code": result.tracking_code,
            "password": result.password,
            "channel_label": CHANNEL_LABELS.get(values["channel"]),
            "sms": bool(letter.writer_phone),
        },
    )


async def mail_problems(request: Request) -> Response:
    staff = await require_staff(request, Action.REGISTER)
    context = app_context(request)
    status = request.query_params.get("status", "open")
    async with tenant_session(context.database, staff.tenant) as session:
        problems = (
            (
                await session.execute(
                    select(MailProblem)
                    .where(MailProblem.status == status)
                    .order_by(MailProblem.received_at.desc())
                    .limit(200)
                )
            )
            .scalars()
            .all()
        )
        mailbox = (await session.execute(select(ChannelMailbox))).scalars().first()
    return renderer_for(context).render(
        request,
        "channels/problems.html",
        {"problems": problems, "status": status, "mailbox": mailbox, "help_topic": "channels"},
    )


async def _problem(session: Any, request: Request) -> MailProblem:
    problem = await session.get(MailProblem, int(request.path_params["problem_id"]))
    if problem is None:
        raise HTTPException(404)
    return problem


async def mail_problem_raw(request: Request) -> Response:
    staff = await require_staff(request, Action.REGISTER)
    async with tenant_session(app_context(request).database, staff.tenant) as session:
        problem = await _problem(session, request)
    return Response(
        problem.raw,
        media_type="message/rfc822",
        headers={"Content-Disposition": f'attachment; filename="mail-{problem.id}.eml"'},
    )


async def dismiss_problem(request: Request) -> Response:
    staff = await require_staff(request, Action.REGISTER)
    async with tenant_session(app_context(request).database, staff.tenant) as session:
        problem = await _problem(session, request)
        form = await request.form()
        problem.status = "registered" if form.get("registered") else "dismissed"
        problem.resolved_by_user_id = staff.user_id
        problem.resolved_at = utcnow()
        await record_audit(
            session,
            tenant_id=staff.tenant.id,
            actor=_actor(request, staff),
            action=f"mail_problem.{problem.status}",
            object_type="mail_problem",
            object_id=problem.id,
        )
        await session.commit()
    return RedirectResponse(f"{request.state.tenant_prefix}/console/channels/mail-problems", 303)


#: The settings form's text fields; the password is never sent back to the browser.
MAILBOX_FIELDS = ("address", "host", "port", "username", "folder")
_FIELD_LIMITS = {"address": 254, "host": 255, "username": 254, "folder": 100}


def _mailbox_values(mailbox: ChannelMailbox | None) -> dict[str, str]:
    if mailbox is None:
        return {"port": "993", "folder": "INBOX", "use_ssl": "1", "is_active": "1"}
    return {
        "address": mailbox.address,
        "host": mailbox.host,
        "port": str(mailbox.port),
        "username": mailbox.username,
        "folder": mailbox.folder,
        "use_ssl": "1" if mailbox.use_ssl else "",
        "is_active": "1" if mailbox.is_active else "",
    }


def _mailbox_errors(
    values: dict[str, str], password: str, *, password_needed: bool
) -> dict[str, str]:
    """Field → message for the settings form (every problem at once).

    ``password_needed``: a new mailbox, or the saved password no longer opens.
    """
    errors: dict[str, str] = {}
    required = {"address": "公开的邮箱地址", "host": "IMAP 服务器", "username": "用户名"}
    for name, label in required.items():
        if not values[name]:
            errors[name] = f"请填写{label}"
    for name, limit in _FIELD_LIMITS.items():
        if len(values[name]) > limit:
            errors[name] = f"不能超过 {limit} 个字符"
    if "address" not in errors and "@" not in values["address"]:
        errors["address"] = "邮箱地址格式不正确，例如 xinxiang@example.gov.cn"
    port = values["port"]
    if not (port.isdigit() and 1 <= int(port) <= 65535):
        errors["port"] = "端口应是 1 到 65535 之间的数字（SSL/TLS 通常是 993）"
    if password_needed and not password:
        errors["password"] = "请填写邮箱密码（或邮箱服务商提供的客户端授权码）"  # noqa: S105
    elif len(password.encode()) > MAX_PASSWORD_BYTES:
        errors["password"] = "密码太长：最多 150 个英文字符（汉字每个按 3 个计）"  # noqa: S105
    return errors


def _password_unreadable(mailbox: ChannelMailbox | None, secret_key: str) -> bool:
    """The saved password no longer opens (SECRET_KEY changed): the page asks for it again."""
    if mailbox is None:
        return False
    try:
        read_mailbox_password(mailbox, secret_key)
    except SealBroken:
        return True
    return False


async def mailbox_settings(request: Request) -> Response:
    staff = await require_staff(request, Action.MANAGE_RULES)
    context = app_context(request)
    secret_key = context.settings.secret_key
    errors: dict[str, str] = {}
    async with tenant_session(context.database, staff.tenant) as session:
        mailbox = (await session.execute(select(ChannelMailbox))).scalars().first()
        values = _mailbox_values(mailbox)
        if request.method == "POST":
            form = await request.form()
            values = {name: str(form.get(name, "")).strip() for name in MAILBOX_FIELDS}
            values["use_ssl"] = "1" if form.get("use_ssl") else ""
            values["is_active"] = "1" if form.get("is_active") else ""
            # Spaces may be part of a password: taken as typed.
            password = str(form.get("password", ""))
            errors = _mailbox_errors(
                values,
                password,
                password_needed=mailbox is None or _password_unreadable(mailbox, secret_key),
            )
            if not errors:
                if mailbox is None:
                    mailbox = ChannelMailbox(tenant_id=staff.tenant.id, last_uid=0, password="")
                    session.add(mailbox)
                mailbox.address, mailbox.host = values["address"], values["host"]
                mailbox.port, mailbox.username = int(values["port"]), values["username"]
                mailbox.folder = values["folder"] or "INBOX"
                mailbox.use_ssl = bool(values["use_ssl"])
                mailbox.is_active = bool(values["is_active"])
                await session.flush()  # the sealed password is bound to the row's id
                if password:
                    store_mailbox_password(mailbox, password, secret_key)
                    if mailbox.last_error == PASSWORD_UNREADABLE:
                        mailbox.last_error = None  # the new one opens; the next poll says more
                elif needs_sealing(mailbox):
                    store_mailbox_password(mailbox, mailbox.password, secret_key)
                await record_audit(
                    session,
                    tenant_id=staff.tenant.id,
                    actor=_actor(request, staff),
                    action="mailbox.configure",
                    object_type="mailbox",
                    object_id=mailbox.id,
                    data={"address": mailbox.address, "password_changed": bool(password)},
                )
                await session.commit()
                flash(request, "已保存。系统每 5 分钟读取一次新邮件")
                return RedirectResponse(
                    f"{request.state.tenant_prefix}/console/channels/mailbox", 303
                )
    return renderer_for(context).render(
        request,
        "channels/mailbox.html",
        {
            "mailbox": mailbox,
            "values": values,
            "errors": errors,
            "password_unreadable": _password_unreadable(mailbox, secret_key),
            "help_topic": "channels",
        },
        status_code=400 if errors else 200,
    )


routes = [
    Route("/channels/register", register_form, methods=["GET"]),
    Route("/channels/register", register, methods=["POST"]),
    Route("/channels/mail-problems", mail_problems, methods=["GET"]),
    Route("/channels/mail-problems/{problem_id:int}.eml", mail_problem_raw, methods=["GET"]),
    Route("/channels/mail-problems/{problem_id:int}/dismiss", dismiss_problem, methods=["POST"]),
    Route("/channels/mailbox", mailbox_settings, methods=["GET", "POST"]),
]
