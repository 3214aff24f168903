"""A citizen phones the mailbox their letter was forwarded to and reads out
their 查询码: the receiver's inbox search finds the copy by it (the copy has a
code of its own), within what the member of staff may see."""

from __future__ import annotations

import importlib.util
import re
from pathlib import Path

from sqlalchemy import delete, select, text

from leadermail.platform.accounts.models import Role
from leadermail.platform.forwarding.copies import ForwardedCopy
from leadermail.platform.letters.models import Letter, Unit
from leadermail.platform.letters.tracking import format_tracking_code
from leadermail.tenants.session import tenant_session
from tests.functional.province.conftest import write_letter
from tests.functional.province.forwarded import copy_of, forward
from tests.functional.province.test_isolation import as_staff, console
from tests.functional.staff_ops.helpers import make_staff, sign_in_client


async def inbox_titles(client, tenant, q: str) -> list[str]:  # noqa: ANN001
    page = await client.get(console(tenant, "/inbox"), params={"q": q, "state": "all"})
    assert page.status_code == 200
    return re.findall(r'/letters/\d+">([^<]+)</a>', page.text)


async def test_the_citizens_code_finds_the_copy_at_the_receiver(context, tree, client):
    letter = await write_letter(context, tree.province, title="电话里报了查询码的来信")
    other = await write_letter(context, tree.province, title="省里另一封来信")
    leg = await forward(context, tree.province, letter.id, tree.city)
    code = format_tracking_code(letter.tracking_code)

    await as_staff(context, client, tree.city, "市登记员")
    for typed in (code, code.lower().replace("-", " "), letter.tracking_code):
        assert await inbox_titles(client, tree.city, typed) == ["电话里报了查询码的来信"], typed
    copy = await copy_of(context, tree.city, leg)
    # The copy's own code, as the page shows it (F0000-00000-…) or plain.
    for typed in (format_tracking_code(copy.tracking_code), copy.tracking_code.lower()):
        assert await inbox_titles(client, tree.city, typed) == ["电话里报了查询码的来信"], typed
    # A code of the sender's that never came here finds nothing.
    assert await inbox_titles(client, tree.city, other.tracking_code) == []

    # A handler sees only the unit's letters, whatever the code.
    async with tenant_session(context.database, tree.city) as session:
        units = (await session.execute(select(Unit.id).order_by(Unit.id))).scalars().all()
        unit_a, unit_b = units[:2]
        (await session.get(Letter, copy.id)).unit_id = unit_a
        await session.commit()
    other_unit = await make_staff(context, tree.city, "乙承办", Role.HANDLER, unit_id=unit_b)
    sign_in_client(client, other_unit)
    assert await inbox_titles(client, tree.city, code) == []
    own_unit = await make_staff(context, tree.city, "甲承办", Role.HANDLER, unit_id=unit_a)
    sign_in_client(client, own_unit)
    assert await inbox_titles(client, tree.city, code) == ["电话里报了查询码的来信"]

    # Elsewhere the code finds nothing; at the sender, its own letter.
    await as_staff(context, client, tree.other_city, "丙市登记员")
    assert await inbox_titles(client, tree.other_city, code) == []
    await as_staff(context, client, tree.province, "省登记员")
    assert await inbox_titles(client, tree.province, code) == ["电话里报了查询码的来信"]


async def test_down_a_chain_each_mailbox_finds_its_copy_by_the_citizens_code(
    context, tree, client
):
    letter = await write_letter(context, tree.province, title="层层转办的来信")
    leg1 = await forward(context, tree.province, letter.id, tree.city)
    await forward(context, tree.city, leg1.to_letter_id, tree.county)
    for tenant in (tree.city, tree.county):
        await as_staff(context, client, tenant, "登记员")
        assert await inbox_titles(client, tenant, letter.tracking_code) == ["层层转办的来信"]


async def test_revision_0012_keeps_the_code_of_copies_delivered_before_it(context, tree):
    versions = Path(__file__).parents[3] / "migrations/tenant/versions"
    spec = importlib.util.spec_from_file_location(
        "revision_0012", versions / "0012_add_forwarded_copy_details.py"
    )
    assert spec is not None and spec.loader is not None
    revision = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(revision)
    letter = await write_letter(context, tree.province)
    leg = await forward(context, tree.province, letter.id, tree.city)
    elsewhere = await forward(
        context, tree.province, (await write_letter(context, tree.province)).id, tree.other_city
    )
    async with tenant_session(context.database, tree.city) as session:
        await session.execute(delete(ForwardedCopy))  # as before the revision
        await session.commit()
    with context.database.sync_engine.begin() as connection:
        connection.exec_driver_sql(f"SET LOCAL search_path TO {tree.city.schema_name}")
        connection.execute(text(revision.BACKFILL))
        connection.execute(text(revision.BACKFILL))  # a rerun adds nothing
    async with tenant_session(context.database, tree.city) as session:
        rows = (await session.execute(select(ForwardedCopy))).scalars().all()
    assert [(r.letter_id, r.forwarding_id, r.writer_tracking_code) for r in rows] == [
        (leg.to_letter_id, leg.id, letter.tracking_code)
    ]
    assert rows[0].origin_category_name is None  # the sender's schema is not read
    async with tenant_session(context.database, tree.other_city) as session:
        kept = (await session.execute(select(ForwardedCopy.forwarding_id))).scalars().all()
    assert kept == [elsewhere.id]  # the other receiver's row, as delivered
