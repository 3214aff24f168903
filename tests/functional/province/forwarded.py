"""Helpers of the tests of a forwarded copy at its receiver."""

from __future__ import annotations

import re

from sqlalchemy import select

from leadermail.platform.audit.writer import Actor
from leadermail.platform.context import AppContext
from leadermail.platform.forwarding import services
from leadermail.platform.forwarding.models import Forwarding
from leadermail.platform.letters.models import Category, Letter
from leadermail.platform.letters.staff_models import InternalNote, LeaderInstruction
from leadermail.platform.letters.workflow import add_timeline_event, apply_transition
from leadermail.tenants.registry import TenantRef
from leadermail.tenants.session import tenant_session
from tests.functional.province.conftest import write_letter

SENDER = Actor(user_id=None, label="省登记员王五")
FORWARDER = Actor(user_id=None, label="省转办员赵六")
ID_NUMBER = "110101199003071234"
#: What the sender keeps to itself (see ``handled_letter``).
INTERNAL = (
    "内部记录：来信人曾三次来电",
    "内部备注：此事涉及街道书记",
    "领导批示：请住建厅督办",
    "来信已登记",
    SENDER.label,
    ID_NUMBER,
)


async def forward(
    context: AppContext,
    sender: TenantRef,
    letter_id: int,
    receiver: TenantRef,
    note: str = "请核实后依法办理",
    actor: Actor = FORWARDER,
) -> Forwarding:
    return await services.forward_letter_by_id(
        context, tenant=sender, letter_id=letter_id, to_tenant_id=receiver.id,
        actor=actor, note=note,
    )  # fmt: skip


async def copy_of(context: AppContext, tenant: TenantRef, leg: Forwarding) -> Letter:
    async with tenant_session(context.database, tenant) as session:
        letter = await session.get(Letter, leg.to_letter_id)
    assert letter is not None
    return letter


async def category_id(
    context: AppContext, tenant: TenantRef, name: str, parent: int | None = None
) -> int:
    async with tenant_session(context.database, tenant) as session:
        statement = select(Category.id).where(Category.name == name)
        if parent is not None:
            statement = statement.where(Category.parent_id == parent)
        return (await session.execute(statement)).scalars().one()


async def handled_letter(
    context: AppContext, tenant: TenantRef, *, category: str | None = "城乡建设"
) -> Letter:
    """A letter the sender registered, accepted and noted internally (``INTERNAL``)."""
    letter = await write_letter(context, tenant, title="人民路积水多年未修")
    category_key = await category_id(context, tenant, category) if category else None
    async with tenant_session(context.database, tenant) as session:
        row = await session.get(Letter, letter.id)
        assert row is not None
        row.writer_id_number = ID_NUMBER
        row.category_id = category_key
        await apply_transition(session, row, "register", SENDER)
        await apply_transition(session, row, "accept", SENDER)
        await add_timeline_event(session, row, "note", SENDER, message=INTERNAL[0], public=False)
        session.add(
            InternalNote(
                tenant_id=tenant.id, letter_id=row.id, author_label=SENDER.label, body=INTERNAL[1]
            )
        )
        session.add(
            LeaderInstruction(
                tenant_id=tenant.id, letter_id=row.id, author_label="省长", body=INTERNAL[2]
            )
        )
        await session.commit()
    return letter


def sender_history(page: str) -> list[str]:
    """The copy page's 转出机关的办理经过, each entry without its time."""
    block = page.split('data-testid="sender-history">')[1].split("</ol>")[0]
    return [
        re.sub(r"\s+", " ", re.sub(r"<[^>]+>", "", item)).strip().split(" · ", 1)[1]
        for item in re.findall(r"<li>(.*?)</li>", block, flags=re.DOTALL)
    ]


def flashes(page: str) -> list[str]:
    return re.findall(r'<div class="flash[^"]*" role="[a-z]+">([^<]*)</div>', page)
