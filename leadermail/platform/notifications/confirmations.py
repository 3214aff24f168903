"""A short SMS / e-mail to the writer that what they just did on the tracking
page arrived: the request to handle the letter again (重新办理) and material
they sent when asked (listed in the worker's JOB_MODULES)::

    confirm_to_writer(session, letter, "rehandling", round_number=letter.rehandle_count)
    await session.commit()      # the job goes out with the action

Like the statutory notices, a confirmation carries the tracking code and a
link to the tracking page with the code filled in, never the query password
(only the receipt carries that). A private ``writer_confirmation_sent``
timeline event per round makes a second run send nothing.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from leadermail.platform.audit.writer import Actor
from leadermail.platform.context import AppContext
from leadermail.platform.jobs.outbox import enqueue
from leadermail.platform.letters.models import Letter, LetterEvent
from leadermail.platform.letters.tracking import format_tracking_code
from leadermail.platform.letters.workflow import add_timeline_event
from leadermail.platform.notifications.email import send_email
from leadermail.platform.notifications.sms import sms_gateway
from leadermail.platform.web.templating import format_datetime
from leadermail.tenants.links import tracking_url
from leadermail.tenants.session import tenant_session

CONFIRMATION_JOB = "send_writer_confirmation"
SENT_EVENT = "writer_confirmation_sent"
SUBJECTS = {"rehandling": "重新办理申请已收到", "material": "补充材料已收到"}


def confirm_to_writer(
    session: AsyncSession, letter: Letter, kind: str, *, round_number: int
) -> None:
    """Queue the confirmation of ``kind`` ("rehandling" or "material"); the
    ``round_number`` (the n-th request, the n-th material) names it."""
    if kind not in SUBJECTS:
        raise ValueError(f"no confirmation of kind {kind!r}")
    if letter.writer_phone or letter.writer_email:
        enqueue(
            session,
            CONFIRMATION_JOB,
            tenant_id=letter.tenant_id,
            letter_id=letter.id,
            kind=kind,
            round_number=round_number,
        )


def confirmation_text(tenant_name: str, letter: Letter, kind: str, link: str) -> str:
    code = format_tracking_code(letter.tracking_code)
    if kind == "rehandling":
        due = format_datetime(letter.reply_due_at) if letter.reply_due_at else None
        text = (
            f"【{tenant_name}】您对来信《{letter.title}》（查询码 {code}）的重新办理申请已收到，"
            "我们将重新办理并再次答复"
            + (f"，答复期限至{due}。" if due else "。")
        )
    else:
        text = (
            f"【{tenant_name}】您为来信《{letter.title}》（查询码 {code}）补充的材料已收到，"
            "来信将继续办理。"
        )
    return f"{text}\n查询办理进度：{link}"


async def send_writer_confirmation(
    ctx: dict[str, Any], *, tenant_id: int, letter_id: int, kind: str, round_number: int
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
                LetterEvent.letter_id == letter.id,
                LetterEvent.kind == SENT_EVENT,
                LetterEvent.data["kind"].astext == kind,
                LetterEvent.data["round_number"].astext == str(round_number),
            )
        )
        if done is not None:
            return "already sent"
        link = tracking_url(app.settings, tenant, letter.tracking_code)
        text = confirmation_text(tenant.name, letter, kind, link)
        channels = []
        if letter.writer_phone:
            await sms_gateway(app.settings).send(letter.writer_phone, text)
            channels.append("sms")
        if letter.writer_email:
            await send_email(
                app.settings,
                to=letter.writer_email,
                subject=f"【{tenant.name}】{SUBJECTS[kind]}",
                body=text,
            )
            channels.append("email")
        await add_timeline_event(
            session,
            letter,
            SENT_EVENT,
            Actor.system(),
            message=f"已向来信人确认：{SUBJECTS[kind]}",
            data={"kind": kind, "round_number": round_number, "channels": channels},
        )
        await session.commit()
    return "sent via " + ",".join(channels)


JOBS = [send_writer_confirmation]
CRON_JOBS: list[Any] = []
