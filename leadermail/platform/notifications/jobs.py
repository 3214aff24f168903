"""Jobs that tell citizens about their letters (listed in the worker's JOB_MODULES).

    enqueue(session, "send_letter_receipt", tenant_id=..., letter_id=..., sealed_password=...)

Each job reloads the letter in its tenant, checks it still makes sense, and
records a private timeline event when done, so a second run sends nothing.
"""

from __future__ import annotations

import logging
from typing import Any

from sqlalchemy import select, text

from leadermail.platform.audit.writer import Actor
from leadermail.platform.context import AppContext
from leadermail.platform.letters.models import Letter, LetterEvent
from leadermail.platform.letters.receipt_seal import unseal_password
from leadermail.platform.letters.tracking import format_tracking_code
from leadermail.platform.letters.workflow import add_timeline_event
from leadermail.platform.notifications.email import send_email
from leadermail.platform.notifications.sms import sms_gateway
from leadermail.tenants.links import tracking_url
from leadermail.tenants.session import tenant_session

log = logging.getLogger(__name__)

RECEIPT_EVENT = "receipt_sent"


def receipt_text(tenant_name: str, letter: Letter, password: str | None, base_url: str) -> str:
    code = format_tracking_code(letter.tracking_code)
    lines = [f"【{tenant_name}】您的来信《{letter.title}》已收到。查询码：{code}"]
    if password:
        lines.append(f"查询密码：{password}（请妥善保管，勿告诉他人）")
    lines.append(f"凭查询码和密码可在网站查询办理进度：{base_url}")
    return "\n".join(lines)


async def send_letter_receipt(
    ctx: dict[str, Any], *, tenant_id: int, letter_id: int, sealed_password: str | None = None
) -> str:
    app: AppContext = ctx["app"]
    tenant = await app.tenants.by_id(tenant_id)
    if tenant is None:
        return "no such tenant"
    async with tenant_session(app.database, tenant) as session:
        letter = await session.get(Letter, letter_id)
        if letter is None:
            return "no such letter"
        done = await session.scalar(
            select(LetterEvent.id).where(
                LetterEvent.letter_id == letter.id, LetterEvent.kind == RECEIPT_EVENT
            )
        )
        if done is not None:
            return "already sent"
        password = (
            unseal_password(sealed_password, app.settings.secret_key) if sealed_password else None
        )
        site = tracking_url(app.settings, tenant, letter.tracking_code)
        body = receipt_text(tenant.name, letter, password, site)
        channels = []
        if letter.writer_phone:
            await sms_gateway(app.settings).send(
                letter.writer_phone, body, secrets=[password] if password else []
            )
            channels.append("sms")
        if letter.writer_email:
            await send_email(
                app.settings, to=letter.writer_email, subject=f"{tenant.name}来信回执", body=body
            )
            channels.append("email")
        await add_timeline_event(
            session,
            letter,
            RECEIPT_EVENT,
            Actor.system(),
            message="已发送来信回执",
            data={"channels": channels},
        )
        # The sealed password has done its job: scrub it from the outbox row.
        await session.execute(
            text(
                "UPDATE core.outbox SET kwargs = kwargs - 'sealed_password' "
                "WHERE job_name = 'send_letter_receipt' AND tenant_id = :tenant "
                "AND (kwargs->>'letter_id')::bigint = :letter"
            ),
            {"tenant": tenant_id, "letter": letter_id},
        )
        await session.commit()
    return "sent via " + ",".join(channels)


JOBS = [send_letter_receipt]
CRON_JOBS: list[Any] = []
