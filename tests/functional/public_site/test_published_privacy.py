"""信件公开: names and the home written in a letter, the region, the office's phone."""

from __future__ import annotations

from tests.functional.public_site.domain import publish, reply_to_letter

BODY = (
    "我住在岳麓区望月湖街道桃花苑小区3栋2单元501室，楼下的烧烤店每天营业到凌晨，"
    "油烟和噪音很大，请有关部门管一管。\n举报人：A市轴承厂 刘况"
)
REPLY = (
    "<p>刘况同志：您好！经查，该烧烤店已被责令整改。"
    "如有疑问，请联系我们（联系电话0731-88888888），或拨打12345。</p>"
)


async def test_a_published_letter_hides_the_names_and_home_written_in_it(citizen, context):
    code, _ = await citizen.write_letter(
        title="楼下烧烤店油烟噪音扰民",
        body=BODY,
        name="王芳",  # the 姓名 field need not be the name in the text
        region="长沙市岳麓区望月湖街道",
    )
    await reply_to_letter(context, citizen.tenant, code, REPLY)
    letter_id = await publish(context, citizen.tenant, code)

    page = (await citizen.get(f"/letters/{letter_id}")).text
    for secret in ("刘况", "王芳", "桃花苑", "3栋", "501"):
        assert secret not in page, secret
    # The home down to the street, what the letter is about, the district of
    # 所在地区 (not its street), and the office's own numbers stay.
    assert "我住在岳麓区望月湖街道***，" in page
    assert "楼下的烧烤店每天营业到凌晨" in page and "举报人：A市轴承厂 某某" in page
    assert "· 长沙市岳麓区 ·" in page
    assert "某某同志：您好" in page
    assert "0731-88888888" in page and "12345" in page

    listed = (await citizen.get("/letters")).text
    assert "刘况" not in listed and "桃花苑" not in listed
    found = (await citizen.get("/letters", params={"q": "刘况"})).text
    assert "找到 0 封" in found
    assert "找到 1 封" in (await citizen.get("/letters", params={"q": "烧烤店"})).text


async def test_the_write_form_says_how_much_of_the_region_is_published(client, make_tenant):
    tenant = await make_tenant(profile={"region_hint": "如：岳麓区望月湖街道"})
    page = (await client.get(f"/t/{tenant.slug}/write")).text
    hint = page[page.index('id="region-hint"') : page.index('id="region"')]
    assert "如：岳麓区望月湖街道。信件公开时只显示到区（县）" in hint
