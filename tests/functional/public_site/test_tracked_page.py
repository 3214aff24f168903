"""The tracked letter's page as its writer reads it: the 办理过程 once per
step, the unit only once staff settled it, the writer's own files, the
material and evaluation forms landing back where their message is, and the
two ways to object, each explained."""

from __future__ import annotations

import re

import httpx
from sqlalchemy import select

from leadermail.platform.letters.models import Letter, Unit
from leadermail.platform.letters.notices import issue_notice_for_transition
from leadermail.platform.letters.tracking import normalize_tracking_code
from leadermail.platform.letters.workflow import apply_transition
from leadermail.tenants.session import tenant_session
from tests.functional.public_site.conftest import Citizen, hidden, png_bytes
from tests.functional.public_site.domain import STAFF, load_letter, reply_to_letter


async def _tracked(citizen: Citizen, code: str, password: str) -> str:
    response = await citizen.track(code, password)
    assert response.status_code == 303
    return (await citizen.client.get(response.headers["location"])).text


async def _staff(context, tenant, code: str, *steps: tuple[str, str | None]) -> None:  # noqa: ANN001
    """Transitions with their statutory notices, the way the console issues them."""
    async with tenant_session(context.database, tenant) as session:
        letter = await session.scalar(
            select(Letter).where(Letter.tracking_code == normalize_tracking_code(code))
        )
        assert letter is not None
        for name, message in steps:
            await apply_transition(session, letter, name, STAFF, message=message)
            await issue_notice_for_transition(session, tenant, letter, name, STAFF, message=message)
        await session.commit()


def _timeline(page: str) -> str:
    return page.split('id="timeline"')[1].split("</ol>")[0]


async def test_each_step_shows_once_with_its_notice_folded_under_it(citizen, context):
    # QA: "16:10 请补充烧烤店…" then "16:10 尊敬的来信人：…需要您补充材料…特此告知。"
    code, password = await citizen.write_letter()
    asked = "请补充烧烤店的位置和营业时间"
    await _staff(context, citizen.tenant, code, ("accept", None), ("request_material", asked))
    timeline = _timeline(await _tracked(citizen, code, password))
    entries = re.findall(r"<li>", timeline)
    assert len(entries) == 3  # 提交, 受理, 补充材料
    assert timeline.count(asked) == 2  # the step, and inside the folded notice
    assert timeline.count("<details") == 2
    assert "查看受理告知全文" in timeline and "查看补充材料告知全文" in timeline
    # The notice's text is there, folded, not a step of its own.
    assert timeline.index("<summary>查看受理告知全文") > timeline.index("来信已受理")
    assert "特此告知" in timeline.split("<details")[1]


async def test_no_unit_is_shown_before_staff_accept_the_letter(citizen, context):
    # QA: "待登记 … 办理单位：省卫生健康委员会" from a routing suggestion.
    code, password = await citizen.write_letter()
    async with tenant_session(context.database, citizen.tenant) as session:
        letter = await session.scalar(
            select(Letter).where(Letter.tracking_code == normalize_tracking_code(code))
        )
        unit = await session.scalar(select(Unit).order_by(Unit.id).limit(1))
        letter.unit_id = unit.id  # what a routing rule suggests on arrival
        unit_name = unit.name
        await session.commit()
    page = await _tracked(citizen, code, password)
    assert "待登记" in page and "办理单位" not in page and unit_name not in page
    await _staff(context, citizen.tenant, code, ("accept", None))
    page = (await citizen.get(f"/track/{normalize_tracking_code(code)}")).text
    assert f"办理单位：{unit_name}" in page


async def test_the_writer_opens_their_own_files_and_nobody_else_can(citizen, context, app):
    code, _ = "", ""
    response = await citizen.submit(
        files=[("attachments", ("现场照片.png", png_bytes(), "image/png"))]
    )
    receipt = (await citizen.client.get(response.headers["location"])).text
    code = re.search(r'id="tracking-code">([^<]+)<', receipt).group(1)
    password = re.search(r'id="query-password">([^<]+)<', receipt).group(1)
    page = await _tracked(citizen, code, password)
    link = re.search(r'<a href="([^"]+/files/\d+)" download>现场照片.png</a>', page)
    assert link, page.split('id="letter-title"')[1][:1500]
    opened = await citizen.client.get(link.group(1))
    assert opened.status_code == 200 and opened.content == png_bytes()
    assert opened.headers["content-type"] == "image/png"
    assert opened.headers["content-disposition"].startswith("attachment;")
    assert opened.headers["x-content-type-options"] == "nosniff"
    assert "no-store" in opened.headers["cache-control"]
    # Another browser (no grant), and no cookies at all: the not-found page.
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as other:
        stranger = await other.get(link.group(1))
        assert stranger.status_code == 404 and stranger.content != png_bytes()
        other.cookies.set("lm_large_text", "1")
        assert (await other.get(link.group(1))).status_code == 404
    # A file id of another letter through this writer's own grant: not found.
    other_code, _ = await citizen.write_letter(title="另一封来信：路灯不亮")
    other_letter = await load_letter(context, citizen.tenant, other_code)
    guessed = re.sub(r"/track/\w+/", f"/track/{other_letter.tracking_code}/", link.group(1))
    assert (await citizen.client.get(guessed)).status_code == 404


async def test_material_lands_back_at_the_form_and_says_it_was_received(citizen, context):
    code, password = await citizen.write_letter()
    await _staff(context, citizen.tenant, code, ("accept", None),
                 ("request_material", "请补充现场照片"))  # fmt: skip
    page = await _tracked(citizen, code, password)
    raw = normalize_tracking_code(code)
    # Without JavaScript the page comes back from the form's address: the
    # fragment brings the browser to the form and its message.
    assert f'action="/t/{citizen.tenant.slug}/track/{raw}/material#material"' in page
    assert f'action="/t/{citizen.tenant.slug}/track/{raw}/evaluate#evaluation"' not in page
    material_form = page.split('id="material"')[1]
    assert "maxlength" not in material_form.split("</textarea>")[0]
    empty = await citizen.post(
        f"/track/{raw}/material",
        data={"csrf_token": hidden(page, "csrf_token"),
              "submission_key": hidden(page, "submission_key"), "material_text": ""},
    )  # fmt: skip
    assert empty.status_code == 422 and "请填写补充说明或上传补充材料" in empty.text
    sent = await citizen.post(
        f"/track/{raw}/material",
        data={"csrf_token": hidden(page, "csrf_token"),
              "submission_key": hidden(page, "submission_key"),
              "material_text": "照片已补充"},
        files=[("material_files", ("补充.png", png_bytes(), "image/png"))],
    )  # fmt: skip
    assert sent.status_code == 303 and sent.headers["location"].endswith(f"/{raw}#material")
    after = (await citizen.client.get(sent.headers["location"])).text
    received = after.split('id="material"')[1].split("</section>")[0]
    assert "已收到您补充的材料" in received and "补充说明和 1 个附件" in received
    assert "已收到补充材料：照片已补充" in _timeline(after)
    # Told once: a later visit shows the page without the message.
    assert "已收到您补充的材料" not in (await citizen.get(f"/track/{raw}")).text


async def test_evaluation_errors_in_the_order_asked_and_the_form_returns_to_itself(
    citizen, context
):
    code, password = await citizen.write_letter()
    await reply_to_letter(context, citizen.tenant, code)
    page = await _tracked(citizen, code, password)
    raw = normalize_tracking_code(code)
    assert f'action="/t/{citizen.tenant.slug}/track/{raw}/evaluate#evaluation"' in page
    comment = page.split('id="comment"')[1].split(">")[0]
    assert "maxlength" not in comment and 'data-max="500"' in comment
    missing = await citizen.post(
        f"/track/{raw}/evaluate", data={"csrf_token": hidden(page, "csrf_token")}
    )
    summary = missing.text.split('id="evaluation-errors"')[1].split("</div>")[0]
    assert summary.index("请选择满意") < summary.index("请选择问题是否已解决")
    assert 'href="#satisfaction-satisfied"' in summary
    assert 'id="satisfaction-satisfied"' in missing.text
    too_long = "太长" * 260
    kept = await citizen.post(
        f"/track/{raw}/evaluate",
        data={"csrf_token": hidden(page, "csrf_token"), "satisfaction": "unsatisfied",
              "problem_solved": "no", "comment": too_long},
    )  # fmt: skip
    assert kept.status_code == 422 and "不能超过 500 个字，当前 520 个字" in kept.text
    assert too_long in kept.text  # nothing cut


async def test_the_evaluation_summary_has_no_doubled_punctuation(citizen, context):
    code, password = await citizen.write_letter()
    await reply_to_letter(context, citizen.tenant, code)
    page = await _tracked(citizen, code, password)
    raw = normalize_tracking_code(code)
    await citizen.post(
        f"/track/{raw}/evaluate",
        data={"csrf_token": hidden(page, "csrf_token"), "satisfaction": "unsatisfied",
              "problem_solved": "no", "comment": "看看。", "wants_rehandling": "1"},
    )  # fmt: skip
    done = (await citizen.get(f"/track/{raw}")).text.split('class="evaluation-done"')[1]
    done = done.split("</div>")[0]
    assert "。；" not in done and "已申请重新办理" in done and "评价意见：看看。" in done


async def test_each_way_to_object_says_what_it_is_and_appeal_waits_for_rehandling(
    citizen, context, make_tenant
):
    province = await make_tenant(name="湖南省省长信箱")
    tenant = await make_tenant(parent_id=province.id)
    citizen = Citizen(citizen.client, tenant)
    code, password = await citizen.write_letter()
    await reply_to_letter(context, tenant, code)
    page = await _tracked(citizen, code, password)
    raw = normalize_tracking_code(code)
    hint = page.split('id="wants_rehandling-hint"')[1].split("</p>")[0]
    assert f"由{tenant.name}把您的来信再办理一次" in hint and "只能申请一次" in hint
    path = (await citizen.get(f"/track/{raw}/path")).text
    explained = path.split('id="appeal-explained"')[1].split("</p>")[0]
    assert "由上一级机关审查本次答复是否得当，由湖南省省长信箱办理" in explained
    assert "收到答复之日起 30 日内" in explained and "30 日内出具书面复查意见" in explained
    assert "申请复查" in path
    # 不满意 and 重新办理: the same mailbox handles it again; no 复查 meanwhile.
    await citizen.post(
        f"/track/{raw}/evaluate",
        data={"csrf_token": hidden(page, "csrf_token"), "satisfaction": "unsatisfied",
              "problem_solved": "no", "comment": "夜里仍在施工", "wants_rehandling": "1"},
    )  # fmt: skip
    path = (await citizen.get(f"/track/{raw}/path")).text
    assert 'id="appeal-explained"' not in path and "/appeal" not in path
    assert "来信正在重新办理，收到新的答复后如仍不满意，可以申请复查" in path
    refused = await citizen.post(
        f"/track/{raw}/appeal", data={"csrf_token": hidden(page, "csrf_token"), "reason": "不服"}
    )
    assert refused.status_code == 422
    # The new reply opens it again.
    await reply_to_letter(context, tenant, code, "<p>第二次答复</p>")
    assert 'id="appeal-explained"' in (await citizen.get(f"/track/{raw}/path")).text


async def test_every_page_links_the_writing_help(citizen):
    for path in ("/", "/track", "/letters"):
        page = (await citizen.get(path)).text
        footer = page.split('<footer class="site-footer">')[1]
        assert f'href="/t/{citizen.tenant.slug}/help">写信帮助</a>' in footer


async def test_the_receipts_link_fills_in_the_code_and_never_a_password(citizen):
    page = (await citizen.get("/track", params={"code": "K7QMX-3XPD9"})).text
    assert re.search(r'<input id="code"[^>]*value="K7QMX-3XPD9"', page)
    assert not re.search(r'<input id="password"[^>]*value=', page)
    hostile = (await citizen.get("/track", params={"code": '"><script>x</script>'})).text
    assert "<script>x" not in hostile
