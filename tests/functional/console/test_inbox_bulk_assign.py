"""批量分办 from the inbox with a 办理时限: one date for every ticked letter,
held to the rules of a single 分办; a wrong choice comes back as the inbox
with the message next to its field and every tick and choice kept."""

from __future__ import annotations

import re
from datetime import date, timedelta
from html import unescape

from sqlalchemy import select

from leadermail.platform.accounts.models import Role
from leadermail.platform.audit.models import AuditRecord
from leadermail.platform.clock import utcnow
from leadermail.platform.deadlines.calendar import end_of_day, local_day
from leadermail.platform.letters.models import Assignment, Letter, Unit
from leadermail.platform.letters.tracking import format_tracking_code
from leadermail.platform.web.templating import format_datetime
from leadermail.tenants.session import tenant_session
from tests.functional.console.staff_session import (
    console_url,
    make_letter,
    make_staff,
    sign_in_client,
)


def today() -> date:
    return local_day(utcnow())


async def desk(context, make_tenant, client, *deadlines: int):  # noqa: ANN001, ANN201
    """A tenant, its first unit, accepted letters due in ``deadlines`` days,
    and the registrar signed in."""
    tenant = await make_tenant()
    async with tenant_session(context.database, tenant) as session:
        unit = (await session.scalars(select(Unit).order_by(Unit.id).limit(1))).one()
    letters = [
        await make_letter(
            context, tenant, title=f"第{n}封", state="accepted",
            reply_due_at=end_of_day(today() + timedelta(days=days)),
        )
        for n, days in enumerate(deadlines, 1)
    ]
    sign_in_client(client, await make_staff(context, tenant, "王登记", Role.REGISTRAR))
    return tenant, unit, letters


async def assignments_of(context, tenant) -> dict[int, Assignment]:  # noqa: ANN001
    async with tenant_session(context.database, tenant) as session:
        found = await session.scalars(select(Assignment).where(Assignment.status == "active"))
        return {a.letter_id: a for a in found}


def error(html: str, element_id: str) -> str | None:
    found = re.search(rf'id="{element_id}"[^>]*>([^<]*)<', html)
    return unescape(found.group(1)) if found else None


def ticked(html: str) -> set[int]:
    return {
        int(i) for i in re.findall(r'name="letter_id" value="(\d+)"[^>]*\bchecked\b', html)
    }


async def bulk(client, tenant, letters, **fields):  # noqa: ANN001, ANN003, ANN201
    data = {"letter_id": [str(letter.id) for letter in letters], "back": "?state=open", **fields}
    return await client.post(console_url(tenant, "/inbox/assign"), data=data)


async def test_one_date_for_every_ticked_letter(context, make_tenant, client):
    tenant, unit, letters = await desk(context, make_tenant, client, 10, 12)
    page = (await client.get(console_url(tenant, "/inbox"))).text
    field = re.search(r'<input id="bulk-due-on"[^>]*>', page).group(0)
    assert 'name="due_on"' in field and f'min="{today().isoformat()}"' in field
    assert "不填则各件以其答复期限为办理时限" in page

    day = today() + timedelta(days=4)
    done = await bulk(client, tenant, letters, unit_id=str(unit.id), due_on=day.isoformat())
    assert done.status_code == 303, done.text[-2000:]
    assert done.headers["location"].endswith("/inbox?state=open")
    made = await assignments_of(context, tenant)
    assert {made[letter.id].due_at for letter in letters} == {end_of_day(day)}
    assert {made[letter.id].unit_id for letter in letters} == {unit.id}
    async with tenant_session(context.database, tenant) as session:
        records = (
            await session.scalars(select(AuditRecord).where(AuditRecord.action == "letter.assign"))
        ).all()
    assert len(records) == 2
    assert {r.data["due_at"] for r in records} == {end_of_day(day).isoformat()}
    after = (await client.get(console_url(tenant, "/inbox"))).text
    assert f"已分办 2 件给{unit.name}，办理时限 {day.isoformat()}" in after


async def test_left_empty_each_letter_keeps_its_own_deadline(context, make_tenant, client):
    tenant, unit, letters = await desk(context, make_tenant, client, 10, 12)
    done = await bulk(client, tenant, letters, unit_id=str(unit.id), due_on="")
    assert done.status_code == 303
    made = await assignments_of(context, tenant)
    assert [made[letter.id].due_at for letter in letters] == [
        letter.reply_due_at for letter in letters
    ]
    after = (await client.get(console_url(tenant, "/inbox"))).text
    assert "办理时限为各件的答复期限" in after


async def test_a_date_one_letter_cannot_take_refuses_the_batch_with_ticks_kept(
    context, make_tenant, client
):
    tenant, unit, letters = await desk(context, make_tenant, client, 10, 3)
    day = today() + timedelta(days=5)  # after the second letter's deadline
    refused = await bulk(client, tenant, letters, unit_id=str(unit.id), due_on=day.isoformat())
    assert refused.status_code == 422
    html = refused.text
    message = error(html, "bulk-due-error")
    short = letters[1]
    assert message is not None
    assert format_tracking_code(short.tracking_code) in message
    assert f"不能晚于来信的答复期限（{format_datetime(short.reply_due_at)}）" in message
    assert format_tracking_code(letters[0].tracking_code) not in message
    assert "请改选日期，或取消勾选这些来信" in message
    # Nothing assigned, everything as it was chosen.
    assert await assignments_of(context, tenant) == {}
    assert ticked(html) == {letter.id for letter in letters}
    assert re.search(rf'<option value="{unit.id}" selected>', html)
    assert f'value="{day.isoformat()}"' in re.search(r'<input id="bulk-due-on"[^>]*>', html)[0]
    assert 'aria-invalid="true"' in re.search(r'<input id="bulk-due-on"[^>]*>', html)[0]
    async with tenant_session(context.database, tenant) as session:
        states = set((await session.scalars(select(Letter.state))).all())
    assert states == {"accepted"}


async def test_bad_input_is_named_next_to_its_field(context, make_tenant, client):
    tenant, unit, letters = await desk(context, make_tenant, client, 10)
    typed = await bulk(client, tenant, letters, unit_id=str(unit.id), due_on="下周五")
    assert typed.status_code == 422
    assert error(typed.text, "bulk-due-error") == "请填写有效的日期，例如 2026-12-01"
    assert 'value="下周五"' in typed.text and ticked(typed.text) == {letters[0].id}

    past = (today() - timedelta(days=1)).isoformat()
    early = await bulk(client, tenant, letters, unit_id=str(unit.id), due_on=past)
    assert error(early.text, "bulk-due-error") == "办理时限不能早于今天"

    day = (today() + timedelta(days=2)).isoformat()
    no_unit = await bulk(client, tenant, letters, unit_id="", due_on=day)
    assert no_unit.status_code == 422
    assert error(no_unit.text, "bulk-unit-error") == "请选择承办单位"
    assert error(no_unit.text, "bulk-due-error") is None
    assert f'value="{day}"' in no_unit.text and ticked(no_unit.text) == {letters[0].id}
    gone_unit = await bulk(client, tenant, letters, unit_id="999999", due_on=day)
    assert error(gone_unit.text, "bulk-unit-error") == "请选择有效的承办单位"

    nothing = await bulk(client, tenant, [], unit_id=str(unit.id), due_on=day)
    assert error(nothing.text, "bulk-letters-error") == "请勾选要分办的来信"
    assert await assignments_of(context, tenant) == {}


async def test_ticks_outside_the_current_list_are_kept_in_the_form(
    context, make_tenant, client
):
    tenant, unit, letters = await desk(context, make_tenant, client, 10, 3)
    data = {
        "letter_id": [str(letter.id) for letter in letters],
        "back": f"?state=open&q={letters[0].tracking_code}",  # lists the first only
        "unit_id": str(unit.id),
        "due_on": (today() + timedelta(days=5)).isoformat(),
    }
    refused = await client.post(console_url(tenant, "/inbox/assign"), data=data)
    assert refused.status_code == 422
    kept = refused.text[refused.text.index('id="bulk-ticked-elsewhere"'):]
    kept = kept[: kept.index("</fieldset>")]
    assert f'value="{letters[1].id}" checked' in kept
    assert format_tracking_code(letters[1].tracking_code) in kept
    assert ticked(refused.text) == {letter.id for letter in letters}


async def test_letters_that_cannot_be_assigned_do_not_block_the_date(
    context, make_tenant, client
):
    """A letter still waiting for 受理 is refused by the 分办 itself, on its
    own; it does not hold back the date for the others."""
    tenant, unit, letters = await desk(context, make_tenant, client, 10)
    waiting = await make_letter(
        context, tenant, title="待受理", state="registered",
        reply_due_at=end_of_day(today() + timedelta(days=1)),
    )
    day = today() + timedelta(days=4)
    done = await bulk(
        client, tenant, [*letters, waiting], unit_id=str(unit.id), due_on=day.isoformat()
    )
    assert done.status_code == 303
    assert set(await assignments_of(context, tenant)) == {letters[0].id}
    after = (await client.get(console_url(tenant, "/inbox"))).text
    assert f'role="alert">{waiting.tracking_code}：' in after
