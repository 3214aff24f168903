"""查询, evaluation and material over HTTP."""

from __future__ import annotations

import re
from datetime import datetime, timedelta

import pytest
from sqlalchemy import select

from leadermail.platform.clock import utcnow
from leadermail.platform.deadlines.letters import (
    apply_deadlines,
    letter_deadlines,
    session_calendar,
)
from leadermail.platform.deadlines.policies import policy_for
from leadermail.platform.deadlines.rules import compute_due
from leadermail.platform.letters.citizen_access import (
    LOCKED_MESSAGE,
    MAX_WRONG_PASSWORDS,
    MAX_WRONG_PASSWORDS_PER_CODE,
    NEUTRAL_MESSAGE,
    TrackingRefused,
    access_letter_by_code,
    clear_lockout,
)
from leadermail.platform.letters.models import Letter
from leadermail.platform.letters.tracking import (
    _legacy_hash,
    format_tracking_code,
    normalize_tracking_code,
)
from leadermail.tenants.session import tenant_session
from tests.conftest import TEST_SECRET
from tests.functional.public_site.conftest import Citizen, elsewhere, hidden, png_bytes
from tests.functional.public_site.domain import load_letter, reply_to_letter, request_material

#: An evaluation of 不满意 that asks for the letter to be handled again.
UNSATISFIED_ASK_AGAIN = {
    "satisfaction": "unsatisfied",
    "problem_solved": "no",
    "comment": "夜里还在施工",
    "wants_rehandling": "1",
}


async def test_wrong_code_and_wrong_password_get_the_same_neutral_message(citizen):
    code, password = await citizen.write_letter()
    wrong_password = await citizen.track(code, password[::-1] + "x")
    wrong_code = await citizen.track("ABCDE-FGHJK", password)
    malformed = await citizen.track("hello", password)
    for response in (wrong_password, wrong_code, malformed):
        assert response.status_code == 403
        assert NEUTRAL_MESSAGE in response.text
    assert 'value="ABCDE-FGHJK"' in wrong_code.text  # the code typed is kept


async def test_lockout_after_repeated_wrong_passwords_locks_only_that_address(citizen, app):
    code, password = await citizen.write_letter()
    for _ in range(MAX_WRONG_PASSWORDS):
        assert (await citizen.track(code, "wrongpass")).status_code == 403
    locked = await citizen.track(code, password)
    assert locked.status_code == 403 and LOCKED_MESSAGE in locked.text
    # Whoever typed the wrong passwords locked themselves, not the writer.
    writer = Citizen(await elsewhere(app, "203.0.113.7"), citizen.tenant)
    assert (await writer.track(code, password)).status_code == 303


async def test_an_unknown_code_answers_exactly_like_a_real_one(citizen):
    code, _ = await citizen.write_letter()

    async def answers(typed: str) -> list[tuple[int, bool, bool]]:
        seen = []
        for _ in range(MAX_WRONG_PASSWORDS + 2):
            page = await citizen.track(typed, "wrongpass")
            seen.append(
                (page.status_code, NEUTRAL_MESSAGE in page.text, LOCKED_MESSAGE in page.text)
            )
        return seen

    real = await answers(code)
    assert real[-1] == (403, False, True) and real[0] == (403, True, False)
    assert await answers("23456-78923") == real  # well formed, no such letter
    assert await answers("hello-00000") == real  # malformed
    # A malformed string written another way is the same string to the counters.
    assert LOCKED_MESSAGE in (await citizen.track("HELLO 00000", "x")).text


async def test_many_addresses_together_lock_a_code_until_the_writer_resets(citizen, context):
    code, password = await citizen.write_letter()
    tenant = citizen.tenant
    for number in range(MAX_WRONG_PASSWORDS_PER_CODE):
        with pytest.raises(TrackingRefused) as refused:
            await access_letter_by_code(
                context, tenant, code, "wrongpass", ip_address=f"198.51.100.{number}"
            )
        assert not refused.value.locked
    with pytest.raises(TrackingRefused) as refused:
        await access_letter_by_code(context, tenant, code, password, ip_address="192.0.2.1")
    assert refused.value.locked and refused.value.message == LOCKED_MESSAGE
    # The same ceiling for a code that does not exist.
    for number in range(MAX_WRONG_PASSWORDS_PER_CODE):
        with pytest.raises(TrackingRefused):
            await access_letter_by_code(
                context, tenant, "23456-7892A", "x", ip_address=f"198.51.100.{number}"
            )
    with pytest.raises(TrackingRefused) as refused:
        await access_letter_by_code(context, tenant, "23456-7892A", "x", ip_address="192.0.2.1")
    assert refused.value.locked
    # A new password (找回) clears the lock for everyone and for the writer's address.
    await clear_lockout(context, tenant, code, ip_address="192.0.2.1")
    opened = await access_letter_by_code(
        context, tenant, code, password, ip_address="192.0.2.1"
    )
    assert format_tracking_code(opened.tracking_code) == code


async def test_code_and_new_password_forgive_case_spaces_and_dashes(citizen):
    code, password = await citizen.write_letter()
    assert re.fullmatch(r"[a-z2-9]{5}-[a-z2-9]{5}", password)
    typed = " " + password.upper().replace("-", " ") + " "
    ok = await citizen.track(" " + code.lower().replace("-", " ") + " ", typed)
    assert ok.status_code == 303
    assert (await citizen.track(code, password.replace("-", ""))).status_code == 303
    assert (await citizen.track(code, password[:-1])).status_code == 403


async def test_a_password_given_out_before_works_only_as_typed(citizen, context):
    code, _ = await citizen.write_letter()
    async with tenant_session(context.database, citizen.tenant) as session:
        letter = await session.scalar(
            select(Letter).where(Letter.tracking_code == normalize_tracking_code(code))
        )
        letter.query_password_hash = _legacy_hash("pY4tKm8w", TEST_SECRET)
        await session.commit()
    assert (await citizen.track(code, "pY4tKm8w")).status_code == 303
    assert (await citizen.track(code, "PY4TKM8W")).status_code == 403
    assert (await citizen.track(code, "pY4t-Km8w")).status_code == 403


async def test_track_form_lets_the_browser_offer_to_save_code_and_password(citizen):
    page = (await citizen.get("/track")).text
    assert 'autocomplete="off"' not in page
    assert re.search(r'<input id="code"[^>]*autocomplete="username"', page)
    assert re.search(r'<input id="password"[^>]*autocomplete="current-password"', page)


async def test_tracked_letter_shows_timeline_and_needs_the_password_first(citizen, client):
    code, password = await citizen.write_letter()
    raw = code.replace("-", "")
    before = await citizen.get(f"/track/{raw}")
    assert before.status_code == 303 and before.headers["location"].endswith("/track")
    response = await citizen.track(code, password)
    page = await citizen.client.get(response.headers["location"])
    assert page.status_code == 200
    assert "来信已提交" in page.text and "夜间施工噪音扰民" in page.text
    assert "收到答复后，您可以在这里对答复作出评价" in page.text
    # 退出查询 forgets the grant.
    await citizen.post("/track/forget", data={"csrf_token": hidden(page.text, "csrf_token")})
    assert (await citizen.get(f"/track/{raw}")).status_code == 303


async def test_reply_then_evaluate_unsatisfied_and_ask_for_handling_again_once(citizen, context):
    code, password = await citizen.write_letter()
    await reply_to_letter(context, citizen.tenant, code)
    location = (await citizen.track(code, password)).headers["location"]
    page = (await citizen.client.get(location)).text
    assert "已责成施工单位夜间停工" in page and "来信已交办理单位办理" in page
    csrf = hidden(page, "csrf_token")
    raw = code.replace("-", "")
    missing = await citizen.post(f"/track/{raw}/evaluate", data={"csrf_token": csrf})
    assert missing.status_code == 422
    assert "请选择满意、基本满意或不满意" in missing.text and "请选择问题是否已解决" in missing.text
    response = await citizen.post(
        f"/track/{raw}/evaluate",
        data={"csrf_token": csrf, **UNSATISFIED_ASK_AGAIN},
    )
    assert response.status_code == 303
    letter = await load_letter(context, citizen.tenant, code)
    assert letter.state == "assigned" and letter.rehandle_count == 1
    # Handled again and replied again: a second rehandling is refused.
    await reply_to_letter(context, citizen.tenant, code, "<p>第二次答复</p>")
    page = (await citizen.get(f"/track/{raw}")).text
    assert "申请重新办理" not in page.split('id="evaluation"')[1].split("</section>")[0].replace(
        "已申请重新办理", ""
    )
    forced = await citizen.post(
        f"/track/{raw}/evaluate",
        data={
            "csrf_token": csrf,
            "satisfaction": "unsatisfied",
            "problem_solved": "no",
            "comment": "还是不行",
            "wants_rehandling": "1",
        },
    )
    assert forced.status_code == 422 and "不能再次申请重新办理" in forced.text


async def test_handling_again_starts_a_new_reply_round_with_its_own_deadline(
    citizen, context
):
    code, password = await citizen.write_letter()
    tenant = citizen.tenant
    # A letter that arrived 40 days ago, had a 15-day extension, and was
    # answered late: the first round's deadline is long past.
    arrived = utcnow() - timedelta(days=40)
    async with tenant_session(context.database, tenant) as session:
        letter = await session.scalar(
            select(Letter).where(Letter.tracking_code == normalize_tracking_code(code))
        )
        letter.submitted_at = letter.received_at = arrived
        letter.extra = {**(letter.extra or {}), "extensions": ["15d"]}
        calendar = await session_calendar(session)
        apply_deadlines(letter, letter_deadlines(letter, tenant.settings, calendar))
        first_round_due, acceptance_due = letter.reply_due_at, letter.acceptance_due_at
        await session.commit()
    assert first_round_due < utcnow()
    await reply_to_letter(context, tenant, code)
    location = (await citizen.track(code, password)).headers["location"]
    csrf = hidden((await citizen.client.get(location)).text, "csrf_token")
    before = utcnow()
    asked = await citizen.post(
        f"/track/{code.replace('-', '')}/evaluate",
        data={"csrf_token": csrf, **UNSATISFIED_ASK_AGAIN},
    )
    assert asked.status_code == 303
    async with tenant_session(context.database, tenant) as session:
        letter = await session.scalar(
            select(Letter).where(Letter.tracking_code == normalize_tracking_code(code))
        )
        calendar = await session_calendar(session)
        # The new round: the type's reply rule counted from the request, no
        # extension carried over (kept for the record), acceptance untouched.
        restarted = letter.extra["reply_clock_restarted_at"]
        assert before <= datetime.fromisoformat(restarted) <= utcnow()
        rule = policy_for(tenant.settings, letter.letter_type).reply
        expected = compute_due(datetime.fromisoformat(restarted), rule, calendar)
        assert letter.reply_due_at == expected.due_at > utcnow()
        assert letter.extra["earlier_extensions"] == ["15d"]
        assert "extensions" not in letter.extra
        assert letter.acceptance_due_at == acceptance_due
        # The nightly recompute computes the same dates (it would not put the
        # old deadline back).
        assert not apply_deadlines(letter, letter_deadlines(letter, tenant.settings, calendar))
    page = (await citizen.client.get(location)).text
    assert "答复期限" in page


def oob_blocks(html: str) -> dict[str, str]:
    """The elements of an htmx response marked for an out-of-band swap, by id."""
    found = {}
    for match in re.finditer(r'<(\w+)[^>]*\bid="([^"]+)"[^>]*hx-swap-oob="true"[^>]*>', html):
        tag, element_id = match.groups()
        found[element_id] = html[match.end() : html.index(f"</{tag}>", match.end())]
    return found


async def test_evaluation_by_htmx_returns_its_block_and_updates_status_and_timeline(
    citizen, context
):
    code, password = await citizen.write_letter()
    await reply_to_letter(context, citizen.tenant, code)
    location = (await citizen.track(code, password)).headers["location"]
    page = (await citizen.client.get(location)).text
    assert "hx-swap-oob" not in page  # the page itself swaps nothing
    csrf = hidden(page, "csrf_token")
    raw = code.replace("-", "")
    invalid = await citizen.post(
        f"/track/{raw}/evaluate",
        data={"problem_solved": "yes"},
        headers={"HX-Request": "true", "X-CSRF-Token": csrf},
    )
    # A mistake changes nothing else: only the block, with its message.
    assert invalid.status_code == 422 and "请选择满意、基本满意或不满意" in invalid.text
    assert "hx-swap-oob" not in invalid.text
    response = await citizen.post(
        f"/track/{raw}/evaluate",
        data=UNSATISFIED_ASK_AGAIN,
        headers={"HX-Request": "true", "X-CSRF-Token": csrf},
    )
    assert response.status_code == 200
    assert response.text.lstrip().startswith(
        '<section class="card" aria-labelledby="evaluation-title"'
    )
    assert "<html" not in response.text
    assert "您的评价：<strong>不满意</strong>" in response.text
    # Handled again: the state, the new reply deadline and the timeline
    # change too, and arrive out of band instead of staying stale.
    blocks = oob_blocks(response.text)
    assert set(blocks) == {"letter-status", "timeline"}
    assert "办理中" in blocks["letter-status"] and "已答复" not in blocks["letter-status"]
    assert "答复期限" in blocks["letter-status"]
    assert "来信人已评价" in blocks["timeline"]
    assert "来信人对答复不满意，申请重新办理：夜里还在施工" in blocks["timeline"]
    assert blocks["timeline"].count("<li>") == page.count("<li><time") + 2
    assert (await load_letter(context, citizen.tenant, code)).state == "assigned"


async def test_add_material_when_asked(citizen, context):
    code, password = await citizen.write_letter()
    await request_material(context, citizen.tenant, code, "请提供施工现场照片")
    location = (await citizen.track(code, password)).headers["location"]
    page = (await citizen.client.get(location)).text
    assert "请提供施工现场照片" in page and 'name="material_text"' in page
    raw = code.replace("-", "")
    bad = await citizen.post(
        f"/track/{raw}/material",
        data={
            "csrf_token": hidden(page, "csrf_token"),
            "submission_key": hidden(page, "submission_key"),
            "material_text": "照片见附件",
        },
        files=[("material_files", ("a.gif", b"GIF89a....", "image/gif"))],
    )
    assert bad.status_code == 422 and "不能上传" in bad.text and "照片见附件" in bad.text
    response = await citizen.post(
        f"/track/{raw}/material",
        data={
            "csrf_token": hidden(page, "csrf_token"),
            "submission_key": hidden(page, "submission_key"),
            "material_text": "照片见附件",
        },
        files=[("material_files", ("现场.png", png_bytes(), "image/png"))],
    )
    assert response.status_code == 303
    letter = await load_letter(context, citizen.tenant, code)
    assert letter.state == "accepted"
    page = (await citizen.get(f"/track/{raw}")).text
    assert "已收到补充材料：照片见附件" in page and "现场.png" in page
