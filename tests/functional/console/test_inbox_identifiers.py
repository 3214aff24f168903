"""The inbox search finds a letter by its tracking code, its writer's full
mobile number or exact name, within what the reader may see anyway."""

from __future__ import annotations

import html
import re

from sqlalchemy import func, select

from leadermail.platform.accounts.models import Role
from leadermail.platform.letters.models import Unit
from leadermail.platform.search import index_terms
from leadermail.tenants.session import tenant_session
from tests.functional.console.staff_session import (
    console_url,
    make_letter,
    make_staff,
    sign_in_client,
)

CODE = "83ZBEHEX83"


def titles(page_text: str) -> list[str]:
    return re.findall(r'/letters/\d+">([^<]+)</a>', page_text)


def rows(page_text: str) -> str:
    return "".join(re.findall(r'<tr id="letter-row-.*?</tr>', page_text, flags=re.DOTALL))


async def search(client, tenant, q: str, **params: str) -> str:
    page = await client.get(console_url(tenant, "/inbox"), params={"q": q, **params})
    assert page.status_code == 200, page.text[-2000:]
    return page.text


async def test_tracking_code_in_any_case_with_or_without_the_hyphen(
    context, make_tenant, client
):
    tenant = await make_tenant()
    await make_letter(context, tenant, title="电话里问的那封信", tracking_code=CODE)
    await make_letter(context, tenant, title="另一封信", tracking_code="K7QMX3XPD9")
    await make_letter(
        context, tenant, title="已办结的信", tracking_code="ZZZZZ22222", state="closed"
    )
    sign_in_client(client, await make_staff(context, tenant, "王登记", Role.REGISTRAR))

    for typed in ("83ZBE-HEX83", "83zbehex83", "83zbe-hex83", " 83ZBE HEX83 ", CODE):
        text = await search(client, tenant, typed)
        assert titles(text) == ["电话里问的那封信"], typed
        assert 'id="exact-match"' in text
    # The 待办 tab holds only open letters; the empty page points to 全部.
    closed = await search(client, tenant, "zzzzz-22222")
    assert titles(closed) == [] and "在全部状态的来信中查找" in closed
    assert titles(await search(client, tenant, "zzzzz-22222", state="all")) == ["已办结的信"]


async def test_full_mobile_number_finds_the_letter_but_the_row_stays_masked(
    context, make_tenant, client
):
    tenant = await make_tenant()
    await make_letter(
        context, tenant, title="打电话来的市民", writer_name="赵六", writer_phone="13812345678"
    )
    await make_letter(context, tenant, title="别人的信", writer_phone="13912345678")
    # A leader sees personal data masked: the search may find the letter,
    # the row must not show who wrote it.
    sign_in_client(client, await make_staff(context, tenant, "刘领导", Role.LEADER))

    for typed in ("13812345678", "138 1234 5678", "+86 138-1234-5678"):
        text = await search(client, tenant, typed)
        assert titles(text) == ["打电话来的市民"], typed
        assert "13812345678" not in rows(text) and "赵六" not in rows(text)


async def test_only_the_full_mobile_number_matches(context, make_tenant, client):
    tenant = await make_tenant()
    await make_letter(context, tenant, title="来信人留了手机", writer_phone="13812345678")
    sign_in_client(client, await make_staff(context, tenant, "王登记", Role.REGISTRAR))

    assert titles(await search(client, tenant, "13812345678")) == ["来信人留了手机"]
    for partial in ("1381234", "138123456", "1381234567", "12345678", "5678"):
        assert titles(await search(client, tenant, partial)) == [], partial


async def test_exact_name_first_full_text_on_request(context, make_tenant, client):
    tenant = await make_tenant()
    await make_letter(context, tenant, title="李建国的来信", writer_name="李建国")
    await make_letter(context, tenant, title="同姓不同名", writer_name="李建")
    body = "我是替邻居李建国写的这封信，他不会用电脑。"
    await make_letter(
        context, tenant, title="替邻居写信", body=body,
        search_vector=func.to_tsvector("simple", index_terms("替邻居写信", body)),
    )  # fmt: skip
    sign_in_client(client, await make_staff(context, tenant, "王登记", Role.REGISTRAR))

    exact = await search(client, tenant, "李建国")
    assert titles(exact) == ["李建国的来信"] and 'id="exact-match"' in exact
    link = re.search(r'id="exact-match">.*?href="\?([^"]+)"', exact)
    assert link is not None and "match=text" in link.group(1)
    assert titles(await search(client, tenant, "李建国", match="text")) == ["替邻居写信"]
    # No writer of that name: the words of the letters, as before.
    assert titles(await search(client, tenant, "邻居")) == ["替邻居写信"]


async def test_exact_matches_page_on_as_exact_matches(context, make_tenant, client, monkeypatch):
    from leadermail.console import inbox_query

    monkeypatch.setattr(inbox_query, "PAGE_SIZE", 2)
    tenant = await make_tenant()
    for number in range(3):
        await make_letter(context, tenant, title=f"张三的第{number}封信", writer_name="张三")
    sign_in_client(client, await make_staff(context, tenant, "王登记", Role.REGISTRAR))

    first = await search(client, tenant, "张三")
    cursor = re.search(r'href="[^"]*\?([^"]*after=[^"]+)">下一页', first)
    assert cursor is not None and "match=exact" in cursor.group(1)
    second = await client.get(console_url(tenant, "/inbox?" + html.unescape(cursor.group(1))))
    assert len(titles(first)) == 2 and len(titles(second.text)) == 1
    assert set(titles(first) + titles(second.text)) == {f"张三的第{n}封信" for n in range(3)}


async def test_handler_of_another_unit_does_not_find_the_letter(context, make_tenant, client):
    tenant = await make_tenant()
    async with tenant_session(context.database, tenant) as session:
        units = (await session.execute(select(Unit.id).order_by(Unit.id))).scalars().all()
    unit_a, unit_b = units[:2]
    await make_letter(
        context, tenant, title="甲单位承办的信", state="assigned", unit_id=unit_a,
        tracking_code=CODE, writer_name="钱七", writer_phone="13812345678",
    )  # fmt: skip

    other_unit = await make_staff(context, tenant, "乙承办", Role.HANDLER, unit_id=unit_b)
    sign_in_client(client, other_unit)
    for typed in ("83zbe-hex83", "13812345678", "钱七"):
        assert titles(await search(client, tenant, typed, state="all")) == [], typed

    own_unit = await make_staff(context, tenant, "甲承办", Role.HANDLER, unit_id=unit_a)
    sign_in_client(client, own_unit)
    for typed in ("83zbe-hex83", "13812345678", "钱七"):
        assert titles(await search(client, tenant, typed)) == ["甲单位承办的信"], typed
