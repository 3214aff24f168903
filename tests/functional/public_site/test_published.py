"""信件公开: consent, redaction, Chinese search, filters, pagination; other pages."""

from __future__ import annotations

import re

from sqlalchemy import select, update

from leadermail.platform.letters.models import Category, Letter
from leadermail.platform.letters.publication import PAGE_SIZE
from leadermail.platform.letters.submission import submit_letter
from leadermail.platform.letters.validation import validate_letter
from leadermail.tenants.session import tenant_session
from tests.conftest import TEST_SECRET
from tests.functional.public_site.conftest import VALID_ID, letter_values
from tests.functional.public_site.domain import publish, reply_to_letter


async def test_search_finds_chinese_words_and_personal_data_never_shows(citizen, context):
    code, _ = await citizen.write_letter(
        body="我叫张三，电话 13812345678，住人民路12号501室。夜间施工噪音扰民，请处理。",
        email="zhangsan@example.com",
        id_number=VALID_ID,
    )
    other, _ = await citizen.write_letter(
        title="道路积水问题严重", body="下雨后人民路积水很深，车辆无法通行。"
    )
    await reply_to_letter(context, citizen.tenant, code, "<p>张三您好：已处理。</p>")
    letter_id = await publish(context, citizen.tenant, code)
    await publish(context, citizen.tenant, other)

    found = (await citizen.get("/letters", params={"q": "噪音"})).text
    assert "夜间施工噪音扰民" in found and "道路积水问题严重" not in found
    assert "找到 1 封公开信件" in found
    assert "道路积水问题严重" in (await citizen.get("/letters", params={"q": "积水"})).text
    assert "找到 0 封" in (await citizen.get("/letters", params={"q": "13812345678"})).text
    assert "找到 0 封" in (await citizen.get("/letters", params={"q": "张三"})).text

    detail = await citizen.get(f"/letters/{letter_id}")
    assert detail.status_code == 200
    for secret in ("张三", "13812345678", "zhangsan@example.com", VALID_ID, "501"):
        assert secret not in detail.text, secret
    assert "夜间施工噪音扰民" in detail.text and "已处理" in detail.text


async def test_do_not_publish_can_never_be_listed(citizen, context):
    code, _ = await citizen.write_letter(do_not_publish="1", title="不愿公开的来信内容")
    letter_id = await publish(context, citizen.tenant, code)  # even if staff try
    assert "不愿公开的来信内容" not in (await citizen.get("/letters")).text
    assert (await citizen.get(f"/letters/{letter_id}")).status_code == 404
    assert (await citizen.get("/letters/999999999")).status_code == 404
    assert (await citizen.get("/letters/abc")).status_code == 404


async def test_filters_pagination_and_htmx_rows(citizen, context):
    async with tenant_session(context.database, citizen.tenant) as session:
        category = await session.scalar(select(Category.id).limit(1))
        for i in range(PAGE_SIZE + 2):
            clean, errors = validate_letter(
                letter_values(
                    title=f"第{i + 1}号关于路灯不亮的建议",
                    category=str(category),
                    letter_type="suggestion" if i % 2 else "complaint",
                ),
                categories={category},
            )
            assert clean is not None, errors
            await submit_letter(session, citizen.tenant, clean, secret_key=TEST_SECRET)
        await session.execute(
            update(Letter).values(is_published=True, published_at=Letter.submitted_at)
        )
        await session.commit()
    first = (await citizen.get("/letters")).text
    assert f"共 {PAGE_SIZE + 2} 封公开信件，第 1 / 2 页" in first
    assert 'rel="next"' in first
    second = (await citizen.get("/letters", params={"page": 2})).text
    assert len(re.findall('class="letter-item"', second)) == 2
    suggestions = (await citizen.get("/letters", params={"type": "suggestion"})).text
    assert f"找到 {(PAGE_SIZE + 2) // 2} 封" in suggestions
    assert "找到 0 封" in (await citizen.get("/letters", params={"year": 2001})).text
    rows = await citizen.get("/letters", params={"q": "路灯"}, headers={"HX-Request": "true"})
    assert rows.text.lstrip().startswith('<div id="letter-rows"')
    assert "<html" not in rows.text
    # QA: "/letters?page=4" said "第 4 / 3 页" over an empty list, and a search
    # with 2 results on page 2 said "找到 2 封…" and "没有找到…" together.
    base = f"/t/{citizen.tenant.slug}/letters"
    past = await citizen.get("/letters", params={"page": 4})
    assert past.status_code == 302 and past.headers["location"] == f"{base}?page=2"
    narrow = await citizen.get("/letters", params={"type": "suggestion", "page": 2})
    assert narrow.status_code == 302
    assert narrow.headers["location"] == f"{base}?type=suggestion"
    landed = (await citizen.client.get(narrow.headers["location"])).text
    assert f"找到 {(PAGE_SIZE + 2) // 2} 封" in landed and "没有找到" not in landed
    nothing = await citizen.get("/letters", params={"year": 2001, "page": 3})
    assert nothing.headers["location"] == f"{base}?year=2001"


async def test_statistics_statement_and_large_text_switch(citizen):
    await citizen.write_letter()
    stats = await citizen.get("/statistics")
    assert stats.status_code == 200 and "按来信类型" in stats.text and "投诉" in stats.text
    assert "无障碍" in (await citizen.get("/statement")).text
    home = (await citizen.get("/")).text
    assert 'class=""' in home.split(">")[1] or "large-text" not in home.split(">")[1]
    response = await citizen.get(
        "/display", params={"large_text": "1", "next": f"/t/{citizen.tenant.slug}/letters"}
    )
    assert response.status_code == 303
    assert response.headers["location"] == f"/t/{citizen.tenant.slug}/letters"
    assert "lm_large_text=1" in response.headers["set-cookie"]
    large = (await citizen.get("/letters")).text
    assert '<html lang="zh-CN" class="large-text">' in large
    evil = await citizen.get("/display", params={"large_text": "0", "next": "//evil.example/"})
    assert evil.headers["location"] == f"/t/{citizen.tenant.slug}/"


async def test_pages_without_forms_set_no_session_cookie(citizen):
    citizen.client.cookies.clear()
    for path in ("/", "/letters", "/statistics", "/statement"):
        response = await citizen.client.get(citizen.base + path)
        assert response.status_code == 200
        assert "set-cookie" not in response.headers, path
    assert "set-cookie" in (await citizen.get("/write")).headers


async def test_platform_home_lists_tenants(client, citizen):
    response = await client.get("/")
    assert response.status_code == 200 and "领导信箱平台" in response.text


async def test_the_display_switch_answers_a_script_with_the_cookie_alone(citizen):
    # site.js switches the page in place (a reload lost a half-written
    # letter) and saves the choice with this request: no redirect to follow.
    on = await citizen.get(
        "/display", params={"large_text": "1"}, headers={"X-Requested-With": "fetch"}
    )
    assert on.status_code == 204 and "location" not in on.headers
    assert "lm_large_text=1" in on.headers["set-cookie"]
    off = await citizen.get(
        "/display", params={"large_text": "0"}, headers={"X-Requested-With": "fetch"}
    )
    assert off.status_code == 204 and 'lm_large_text=""' in off.headers["set-cookie"]


async def test_pages_with_a_form_warn_beside_the_switch_when_javascript_is_off(citizen):
    note = "切换会刷新页面，已填写的内容不会保留"
    assert note in (await citizen.get("/write")).text
    assert note not in (await citizen.get("/letters")).text


async def test_every_page_has_the_themes_icon_and_favicon_ico_answers(client, make_tenant):
    red = await make_tenant(theme="hongyun")
    home = (await client.get(f"/t/{red.slug}/")).text
    assert '<link rel="icon" href="/static/themes/hongyun/img/logo.svg"' in home
    platform = await client.get("/favicon.ico")
    assert platform.status_code == 301
    assert platform.headers["location"] == "/static/themes/base/img/logo.svg"
    icon = await client.get(platform.headers["location"])
    assert icon.status_code == 200 and icon.headers["content-type"].startswith("image/svg+xml")
    # On a mailbox's own domain, its theme's icon.
    domain = f"fav-{red.slug}.example.gov.cn"
    green = await make_tenant(theme="xiangjiang", domains=[domain])
    own = await client.get("/favicon.ico", headers={"host": domain})
    assert own.headers["location"] == "/static/themes/xiangjiang/img/logo.svg", green
