"""The shared page cache: what is shared, what never is, and how long."""

from __future__ import annotations

import asyncio
from dataclasses import replace
from types import SimpleNamespace

import pytest
from sqlalchemy import update

from leadermail.platform.letters.figures import clear_cache
from leadermail.platform.letters.models import Letter
from leadermail.public_site import page_cache
from leadermail.tenants.session import tenant_session
from tests.functional.public_site.domain import publish, reply_to_letter


@pytest.fixture
def cache_on(context, monkeypatch):  # noqa: ANN001, ANN201
    monkeypatch.setattr(context, "settings", replace(context.settings, page_cache_seconds=5))
    page_cache.clear()
    yield
    page_cache.clear()


async def _published(citizen, context, title: str) -> int:  # noqa: ANN001
    code, _ = await citizen.write_letter(title=title)
    await reply_to_letter(context, citizen.tenant, code, "<p>已处理。</p>")
    return await publish(context, citizen.tenant, code)


async def test_visitors_share_one_rendering_until_it_expires(citizen, context, cache_on, monkeypatch):  # noqa: ANN001, E501
    letter_id = await _published(citizen, context, "第一封公开的来信标题")
    citizen.client.cookies.clear()
    first = await citizen.get("/letters")
    assert "第一封公开的来信标题" in first.text

    # Staff unpublish: a visitor within the cache time still sees the page...
    async with tenant_session(context.database, citizen.tenant) as session:
        unpublish = update(Letter).where(Letter.id == letter_id).values(is_published=False)
        await session.execute(unpublish)
        await session.commit()
    assert "第一封公开的来信标题" in (await citizen.get("/letters")).text

    # ...and once it and the data caches under it expired, nobody does.
    # (Only this module's clock moves: the time module is everyone's.)
    clock = page_cache.time.monotonic() + 6
    monkeypatch.setattr(page_cache, "time", SimpleNamespace(monotonic=lambda: clock))
    clear_cache()  # the 15 s data caches under the page
    assert "第一封公开的来信标题" not in (await citizen.get("/letters")).text
    assert (await citizen.get(f"/letters/{letter_id}")).status_code == 404


async def test_the_key_holds_path_query_fragment_and_display_mode(citizen, context, cache_on):  # noqa: ANN001
    await _published(citizen, context, "用于分页和显示模式的来信")
    citizen.client.cookies.clear()
    page = await citizen.get("/letters")
    fragment = await citizen.get("/letters", headers={"HX-Request": "true"})
    assert "<html" in page.text and "<html" not in fragment.text
    citizen.client.cookies.set("lm_large_text", "1")
    large = await citizen.get("/letters")
    assert 'class="large-text"' in large.text
    citizen.client.cookies.clear()
    assert 'class="large-text"' not in (await citizen.get("/letters")).text
    other_page = await citizen.get("/letters", params={"type": "suggestion"})
    assert "用于分页和显示模式的来信" not in other_page.text


async def test_visitors_with_a_session_and_searches_are_never_shared(citizen, context, cache_on):  # noqa: ANN001
    await _published(citizen, context, "噪音问题公开来信一")
    citizen.client.cookies.clear()
    await citizen.get("/letters")
    assert page_cache._pages, "an anonymous list page is shared"
    page_cache.clear()
    # A search is rendered for each visitor.
    await citizen.get("/letters", params={"q": "噪音"})
    assert not page_cache._pages
    # A visitor who tracked a letter has a session: own rendering, nothing stored.
    code, password = await citizen.write_letter(title="有会话的来信人写的信")
    await citizen.track(code, password)
    assert citizen.client.cookies
    await citizen.get("/")
    assert not page_cache._pages


async def test_pages_with_a_form_token_or_an_error_are_not_stored(citizen, cache_on):  # noqa: ANN001
    citizen.client.cookies.clear()
    assert (await citizen.get("/write")).status_code == 200
    assert (await citizen.get("/letters/999999")).status_code == 404
    assert not page_cache._pages


async def test_one_rendering_for_concurrent_visitors(citizen, context, cache_on, monkeypatch):  # noqa: ANN001
    citizen.client.cookies.clear()
    from leadermail.public_site.routes import home as home_module

    renders = 0
    original = home_module.render

    def counting_render(*args, **kwargs):  # noqa: ANN002, ANN003, ANN202
        nonlocal renders
        renders += 1
        return original(*args, **kwargs)

    monkeypatch.setattr(home_module, "render", counting_render)
    pages = await asyncio.gather(*(citizen.get("/") for _ in range(8)))
    assert {p.status_code for p in pages} == {200}
    assert len({p.text for p in pages}) == 1
    assert renders == 1


async def test_turned_off_with_zero(citizen, context, monkeypatch):  # noqa: ANN001
    monkeypatch.setattr(context, "settings", replace(context.settings, page_cache_seconds=0))
    page_cache.clear()
    citizen.client.cookies.clear()
    await citizen.get("/")
    assert not page_cache._pages
