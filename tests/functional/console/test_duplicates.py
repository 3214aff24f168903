"""Duplicates: same writer + similar text flagged on arrival; link, merge, dismiss."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from leadermail.platform.accounts.models import Role
from leadermail.platform.clock import utcnow
from leadermail.platform.letters.duplicates import DuplicateCandidate, similarity
from leadermail.platform.letters.models import Letter, LetterEvent
from leadermail.platform.notifications.console import StaffNotification
from leadermail.platform.routing.jobs import flag_duplicate_letters
from leadermail.tenants.session import tenant_session
from tests.functional.console.staff_session import (
    console_url,
    make_letter,
    make_staff,
    run_job,
    sign_in_client,
)

BODY = "我们小区门口的工地每天晚上施工到凌晨两点，噪音很大，老人孩子都睡不好，请尽快处理。"


def test_similarity_separates_repeats_from_other_letters():
    repeat = "工地夜间施工噪音\n" + BODY[:-4] + "请管一管"
    assert similarity("夜间施工噪音扰民\n" + BODY, repeat) > 0.6
    assert similarity(BODY, "小区路灯坏了一个月，晚上出行很不方便。") < 0.1


async def test_repeat_letters_are_flagged_and_merged(context, make_tenant, client):
    tenant = await make_tenant()
    registrar = await make_staff(context, tenant, "王登记", Role.REGISTRAR)
    earlier = await make_letter(context, tenant, title="夜间施工噪音扰民", body=BODY,
                                writer_phone="13812345678", state="accepted",
                                submitted_at=utcnow() - timedelta(days=3))
    other = await make_letter(context, tenant, title="路灯不亮", writer_phone="13812345678",
                              submitted_at=utcnow() - timedelta(days=2))
    stranger = await make_letter(context, tenant, title="夜间施工噪音扰民", body=BODY,
                                 writer_phone="13900000000",
                                 submitted_at=utcnow() - timedelta(days=1))
    repeat = await make_letter(context, tenant, title="工地夜间施工噪音", body=BODY,
                               writer_phone="13812345678")

    ids = {"tenant_id": tenant.id, "letter_id": repeat.id}
    assert await run_job(context, flag_duplicate_letters, **ids) == 1
    assert await run_job(context, flag_duplicate_letters, **ids) == 0
    async with tenant_session(context.database, tenant) as session:
        candidate = (await session.execute(select(DuplicateCandidate))).scalar_one()
        query = select(StaffNotification.user_id, StaffNotification.kind)
        kinds = (await session.execute(query)).all()
    assert (candidate.letter_id, candidate.duplicate_of_id) == (repeat.id, earlier.id)
    assert candidate.matched_on == "phone"
    assert (registrar.user_id, "duplicate") in kinds
    assert other.id != candidate.duplicate_of_id and stranger.id != candidate.duplicate_of_id

    sign_in_client(client, registrar)
    page = await client.get(console_url(tenant, "/duplicates"))
    assert "工地夜间施工噪音" in page.text and "同一电话" in page.text
    merged = await client.post(console_url(tenant, f"/duplicates/{candidate.id}/merge"))
    assert merged.status_code == 303
    async with tenant_session(context.database, tenant) as session:
        letter = await session.get(Letter, repeat.id)
        event = (
            await session.execute(
                select(LetterEvent).where(
                    LetterEvent.letter_id == repeat.id, LetterEvent.kind == "merge"
                )
            )
        ).scalar_one()
        status = (await session.get(DuplicateCandidate, candidate.id)).status
    assert letter.state == "merged" and letter.duplicate_of_id == earlier.id
    assert letter.tracking_code == repeat.tracking_code  # the citizen's code keeps working
    assert event.is_public and earlier.tracking_code in event.message
    assert status == "merged"
    again = await client.post(console_url(tenant, f"/duplicates/{candidate.id}/merge"))
    assert again.status_code == 303
    assert "不能" in (await client.get(console_url(tenant, "/duplicates"))).text


async def test_link_and_dismiss(context, make_tenant, client):
    tenant = await make_tenant()
    id_number = "43010519900101123X"
    first = await make_letter(context, tenant, title="噪音", body=BODY, writer_id_number=id_number,
                              submitted_at=utcnow() - timedelta(days=1))
    second = await make_letter(context, tenant, title="噪音", body=BODY, writer_id_number=id_number)
    await run_job(context, flag_duplicate_letters, tenant_id=tenant.id, letter_id=second.id)
    async with tenant_session(context.database, tenant) as session:
        candidate = (await session.execute(select(DuplicateCandidate))).scalar_one()
    assert candidate.matched_on == "id_number"
    sign_in_client(client, await make_staff(context, tenant, "王登记", Role.REGISTRAR))
    await client.post(console_url(tenant, f"/duplicates/{candidate.id}/link"))
    await client.post(console_url(tenant, f"/duplicates/{candidate.id}/dismiss"))
    async with tenant_session(context.database, tenant) as session:
        status = (await session.get(DuplicateCandidate, candidate.id)).status
        linked = (
            await session.execute(select(LetterEvent.letter_id).where(LetterEvent.kind == "linked"))
        ).scalars().all()
    assert status == "dismissed"
    assert sorted(linked) == sorted([first.id, second.id])
    sign_in_client(client, await make_staff(context, tenant, "李承办", Role.HANDLER))
    assert (await client.get(console_url(tenant, "/duplicates"))).status_code == 403
