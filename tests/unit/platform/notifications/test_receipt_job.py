"""send_letter_receipt: SMS + e-mail with code and password, once, then scrubbed."""

from __future__ import annotations

import asyncio
import socket
from dataclasses import replace
from email import message_from_bytes
from email.policy import default

import pytest
from aiosmtpd.controller import Controller
from sqlalchemy import select

from leadermail.platform.jobs.models import OutboxJob
from leadermail.platform.letters.models import Category
from leadermail.platform.letters.submission import submit_letter
from leadermail.platform.letters.validation import validate_letter
from leadermail.platform.notifications.jobs import send_letter_receipt
from leadermail.platform.notifications.sms import LoggingSmsGateway, set_sms_gateway
from leadermail.tenants.session import tenant_session
from tests.conftest import TEST_SECRET


class Sink:
    def __init__(self) -> None:
        self.messages: list[bytes] = []

    async def handle_DATA(self, server, session, envelope):  # noqa: ANN001, ANN201, N802
        self.messages.append(envelope.content)
        return "250 OK"


@pytest.fixture
def smtp_sink():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    sink = Sink()
    controller = Controller(sink, hostname="127.0.0.1", port=port)
    controller.start()
    yield sink, port
    controller.stop()


async def test_receipt_goes_out_once_with_the_password_and_is_scrubbed(
    context, make_tenant, smtp_sink
):
    sink, port = smtp_sink
    tenant = await make_tenant()
    async with tenant_session(context.database, tenant) as session:
        category = await session.scalar(select(Category.id).limit(1))
        clean, errors = validate_letter(
            {
                "letter_type": "consultation",
                "category": str(category),
                "title": "社保转移怎么办理",
                "body": "我从外省调回本市工作，社保如何转移？",
                "name": "李四",
                "phone": "13912345678",
                "email": "lisi@example.com",
                "agree_terms": "1",
            },
            categories={category},
        )
        assert clean is not None, errors
        result = await submit_letter(session, tenant, clean, secret_key=TEST_SECRET)
        await session.commit()
        job = await session.scalar(
            select(OutboxJob).where(
                OutboxJob.tenant_id == tenant.id,
                OutboxJob.kwargs["letter_id"].as_integer() == result.letter_id,
            )
        )
        assert job is not None
    settings = replace(context.settings, smtp_host="127.0.0.1", smtp_port=port)
    gateway = LoggingSmsGateway()
    set_sms_gateway(settings, gateway)
    app = replace(context, settings=settings)
    ctx = {"app": app}
    outcome = await send_letter_receipt(ctx, **job.kwargs)
    assert outcome == "sent via sms,email"
    await asyncio.sleep(0.1)
    assert len(sink.messages) == 1
    mail = message_from_bytes(sink.messages[0], policy=default)
    assert mail["To"] == "lisi@example.com"
    body = mail.get_content()
    assert result.tracking_code[:5] in body and result.password in body
    ((phone, text),) = gateway.sent
    assert phone == "139****5678" and "********" in text and result.password not in text
    assert await send_letter_receipt(ctx, **job.kwargs) == "already sent"
    assert len(sink.messages) == 1
    async with context.database.core_session() as session:
        row = await session.get(OutboxJob, job.id)
        assert "sealed_password" not in row.kwargs
