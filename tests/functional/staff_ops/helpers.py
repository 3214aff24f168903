"""Helpers shared by the staff-operations tests: staff members, letters, a
signed-in console client (the session cookie built the way Starlette's
SessionMiddleware builds it) and an SMTP sink."""

from __future__ import annotations

import base64
import json
import secrets
import socket
import time
import uuid
from dataclasses import dataclass, field
from datetime import datetime
from email import message_from_bytes
from email.message import Message

import httpx
from aiosmtpd.controller import Controller
from itsdangerous import TimestampSigner

from leadermail.platform.accounts.models import Role
from leadermail.platform.accounts.services import create_user, grant_role
from leadermail.platform.clock import utcnow
from leadermail.platform.context import AppContext
from leadermail.platform.letters.models import Letter
from leadermail.tenants.registry import TenantRef
from leadermail.tenants.session import tenant_session
from tests.conftest import TEST_SECRET


@dataclass(frozen=True)
class Staff:
    user_id: int
    name: str
    email: str


async def make_staff(
    context: AppContext,
    tenant: TenantRef,
    name: str,
    *roles: Role | str,
    unit_id: int | None = None,
    phone: str | None = None,
    office: str | None = None,
) -> Staff:
    email = f"{uuid.uuid4().hex[:10]}@staff.example.cn"
    async with context.database.core_session() as session:
        user = await create_user(
            session,
            email=email,
            display_name=name,
            password="correct horse 9",
            phone=phone,
            office=office,
        )
        for role in roles or (Role.REGISTRAR,):
            await grant_role(
                session, user_id=user.id, tenant_id=tenant.id, role=role, unit_id=unit_id
            )
        await session.commit()
    return Staff(user.id, name, email)


async def make_letter(
    context: AppContext,
    tenant: TenantRef,
    *,
    title: str = "小区路灯不亮",
    state: str = "submitted",
    submitted_at: datetime | None = None,
    **values: object,
) -> Letter:
    async with tenant_session(context.database, tenant) as session:
        letter = Letter(
            tenant_id=tenant.id,
            tracking_code=values.pop("tracking_code", secrets.token_hex(6).upper()),
            query_password_hash="x",
            letter_type=values.pop("letter_type", "complaint"),
            title=title,
            body=values.pop("body", "我们小区的路灯已经坏了一个月，晚上出行很不方便。"),
            writer_name=values.pop("writer_name", "王女士"),
            state=state,
            submitted_at=submitted_at or utcnow(),
            **values,
        )
        session.add(letter)
        await session.commit()
    return letter


def session_cookie(user_id: int, csrf: str, secret: str = TEST_SECRET) -> str:
    """The ``leadermail_session`` cookie of a signed-in staff member."""
    data = {"staff_user_id": user_id, "staff_signed_in_at": int(time.time()), "csrf_secret": csrf}
    payload = base64.b64encode(json.dumps(data).encode())
    return TimestampSigner(secret).sign(payload).decode()


def sign_in_client(client: httpx.AsyncClient, staff: Staff) -> httpx.AsyncClient:
    """Make ``client`` act as ``staff``: cookie plus the CSRF header htmx sends."""
    csrf = secrets.token_urlsafe(16)
    client.cookies.clear()  # the server may have set a session cookie of someone else
    client.cookies.set("leadermail_session", session_cookie(staff.user_id, csrf))
    client.headers["X-CSRF-Token"] = csrf
    return client


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class SmtpSink:
    """A real SMTP server (aiosmtpd) keeping what it receives."""

    port: int
    messages: list[Message] = field(default_factory=list)

    async def handle_DATA(self, server, session, envelope):  # noqa: ANN001, ANN201, N802
        message = message_from_bytes(envelope.original_content or envelope.content)
        message["X-Rcpt-To"] = ", ".join(envelope.rcpt_tos)
        self.messages.append(message)
        return "250 OK"


def start_smtp_sink() -> tuple[SmtpSink, Controller]:
    sink = SmtpSink(free_port())
    controller = Controller(sink, hostname="127.0.0.1", port=sink.port)
    controller.start()
    return sink, controller
