"""The SMS (and e-mail) of 找回查询码或密码 (listed in the worker's JOB_MODULES).

Added to the outbox by :func:`leadermail.platform.letters.recovery.recover_tracking`::

    enqueue(session, "send_tracking_recovery", tenant_id=…, letter_ids=[…],
            request_id="9f2c…", sealed_passwords={"<letter id>": "<sealed>"},
            code_not_found=False)

The SMS goes to the number the letters were written with (the gateway logs
it with the new passwords blanked); each e-mail address on file gets the
letters written with it. A private ``tracking_recovery_sent`` event on each
letter records the delivery (and makes a second run send nothing); the sealed
passwords are scrubbed from the outbox row afterwards, as the receipt's are.
"""

from __future__ import annotations

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

SENT_EVENT = "tracking_recovery_sent"
CHANNEL_NAMES = {"sms": "短信", "email": "电子邮件"}
#: A new password whose seal ran out before the job ran (a worker down for a day).
LOST = ""


def recovery_text(
    tenant_name: str,
    letters: list[tuple[Letter, str | None]],
    link: str,
    *,
    code_not_found: bool = False,
) -> str:
    """The message: each letter's code, and its new password where one was set."""
    lines = [f"【{tenant_name}】您申请找回查询码或密码。您在本信箱的来信："]
    for number, (letter, password) in enumerate(letters, start=1):
        line = f"{number}.《{letter.title}》查询码 {format_tracking_code(letter.tracking_code)}"
        if password:
            line += f"，新查询密码 {password}"
        elif password == LOST:
            line += "，查询密码已重设但未能及时发出，请重新申请"
        else:
            line += "，查询密码不变"
        lines.append(line)
    if code_not_found:
        lines.append("您填写的查询码不是这个手机号的来信，所以没有重设密码；需要时请用上面的查询码再申请。")
    if any(password for _, password in letters):
        lines.append("原查询密码已失效。如果不是您本人申请，请不必理会，新密码只发给您。")
    lines.append(f"查询办理进度：{link}")
    return "\n".join(lines)


async def send_tracking_recovery(
    ctx: dict[str, Any],
    *,
    tenant_id: int,
    letter_ids: list[int],
    request_id: str,
    sealed_passwords: dict[str, str] | None = None,
    code_not_found: bool = False,
) -> str:
    app: AppContext = ctx["app"]
    tenant = await app.tenants.by_id(tenant_id)
    if tenant is None:
        return "no such tenant"
    secret = app.settings.secret_key
    async with tenant_session(app.database, tenant) as session:
        letters = (
            await session.scalars(select(Letter).where(Letter.id.in_(letter_ids)))
        ).all()
        if not letters:
            return "no such letters"
        done = await session.scalar(
            select(LetterEvent.id).where(
                LetterEvent.letter_id.in_(letter_ids),
                LetterEvent.kind == SENT_EVENT,
                LetterEvent.data["request_id"].astext == request_id,
            )
        )
        if done is not None:
            return "already sent"
        order = {letter_id: index for index, letter_id in enumerate(letter_ids)}
        passwords = {
            int(letter_id): unseal_password(sealed, secret) or LOST
            for letter_id, sealed in (sealed_passwords or {}).items()
        }
        listed = [
            (letter, passwords.get(letter.id))
            for letter in sorted(letters, key=lambda letter: order[letter.id])
        ]
        only_code = listed[0][0].tracking_code if len(listed) == 1 else None
        link = tracking_url(app.settings, tenant, only_code)
        channels = []
        phone = next((letter.writer_phone for letter, _ in listed if letter.writer_phone), None)
        if phone:
            body = recovery_text(tenant.name, listed, link, code_not_found=code_not_found)
            secrets = [password for _, password in listed if password]
            await sms_gateway(app.settings).send(phone, body, secrets=secrets)
            channels.append("sms")
        addresses = sorted({letter.writer_email for letter, _ in listed if letter.writer_email})
        for address in addresses:
            own = [(letter, pw) for letter, pw in listed if letter.writer_email == address]
            await send_email(
                app.settings,
                to=address,
                subject=f"{tenant.name}：找回查询码或密码",
                body=recovery_text(tenant.name, own, link, code_not_found=code_not_found),
            )
        if addresses:
            channels.append("email")
        names = "、".join(CHANNEL_NAMES[channel] for channel in channels)
        for letter, password in listed:
            what = "查询码和新的查询密码" if password else "查询码"
            await add_timeline_event(
                session,
                letter,
                SENT_EVENT,
                Actor.system(),
                message=f"已向来信人发送{what}（{names or '无联系方式'}）",
                data={"request_id": request_id, "channels": channels},
            )
        # The sealed passwords have done their job: scrub them from the outbox.
        await session.execute(
            text(
                "UPDATE core.outbox SET kwargs = kwargs - 'sealed_passwords' "
                "WHERE job_name = 'send_tracking_recovery' AND tenant_id = :tenant "
                "AND kwargs->>'request_id' = :request"
            ),
            {"tenant": tenant_id, "request": request_id},
        )
        await session.commit()
    return "sent via " + ",".join(channels)


JOBS = [send_tracking_recovery]
CRON_JOBS: list[Any] = []
