"""The demo province: 湖南省省长信箱 with two cities, a county and two departments,
staff for every role, and a few hundred real letters in varied states.

The letter texts are the real citizen messages and official replies of the
2020 泰迪杯 data set in ``shared/data/letters`` (place and person names were
anonymised by its publishers); writer names and phone numbers are invented
here and obviously fake. Running it twice changes nothing.
"""

from __future__ import annotations

import csv
import html
import random
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import select

from leadermail.platform.accounts.models import Role, User
from leadermail.platform.accounts.services import create_user, grant_role
from leadermail.platform.audit.writer import Actor
from leadermail.platform.config import PROJECT_ROOT
from leadermail.platform.context import AppContext
from leadermail.platform.letters.models import (
    Category,
    Evaluation,
    Letter,
    LetterType,
    Reply,
    Satisfaction,
    Unit,
)
from leadermail.platform.letters.validation import CleanLetter
from leadermail.platform.letters.workflow import apply_transition
from leadermail.tenants.models import Tenant
from leadermail.tenants.provisioning import TenantSpec, create_tenant
from leadermail.tenants.registry import TenantRef
from leadermail.tenants.session import tenant_session

DEMO_PASSWORD = "Demo-2026-leadermail"  # noqa: S105 - printed for the demo
LETTERS_DIR_CANDIDATES = (
    PROJECT_ROOT.parent / "shared" / "data" / "letters",
    PROJECT_ROOT / "shared" / "data" / "letters",
)


@dataclass(frozen=True)
class DemoTenant:
    slug: str
    name: str
    kind: str
    parent: str | None
    theme: str
    domain: str
    leader_name: str
    leader_title: str
    intro: str
    letters: int


DEMO_TENANTS: tuple[DemoTenant, ...] = (
    DemoTenant(
        "hunan",
        "湖南省省长信箱",
        "province",
        None,
        "base",
        "szxx.hunan.gov.cn",
        "省长",
        "湖南省人民政府省长",
        "省长信箱是省人民政府联系群众的网上渠道。来信由省信访局统一受理、归口分发，"
        "办理结果在网上公开，接受群众监督。",
        120,
    ),
    DemoTenant(
        "changsha",
        "长沙市市长信箱",
        "city",
        "hunan",
        "xiangjiang",
        "szxx.changsha.gov.cn",
        "市长",
        "长沙市人民政府市长",
        "欢迎您给市长写信。我们在 24 小时内受理来信，并在规定时限内答复。",
        90,
    ),
    DemoTenant(
        "xiangtan",
        "湘潭市市长信箱",
        "city",
        "hunan",
        "hongyun",
        "szxx.xiangtan.gov.cn",
        "市长",
        "湘潭市人民政府市长",
        "市长信箱由市政府办公室负责受理，涉及各区县和部门的来信转交相关单位办理。",
        50,
    ),
    DemoTenant(
        "shaoshan",
        "韶山市市长信箱",
        "county",
        "xiangtan",
        "hongyun",
        "szxx.shaoshan.gov.cn",
        "市长",
        "韶山市人民政府市长",
        "韶山市市长信箱受理本市群众的咨询、投诉、建议和求助。",
        25,
    ),
    DemoTenant(
        "hn-edu",
        "湖南省教育厅厅长信箱",
        "department",
        "hunan",
        "base",
        "tzxx.edu.hunan.gov.cn",
        "厅长",
        "湖南省教育厅厅长",
        "厅长信箱受理涉及全省教育工作的咨询、投诉和建议。",
        20,
    ),
    DemoTenant(
        "hn-hrss",
        "湖南省人力资源和社会保障厅厅长信箱",
        "department",
        "hunan",
        "base",
        "tzxx.rst.hunan.gov.cn",
        "厅长",
        "湖南省人力资源和社会保障厅厅长",
        "厅长信箱受理就业、社保、劳动关系等方面的来信。",
        20,
    ),
)

#: (role, local part of the e-mail, display name)
DEMO_STAFF: tuple[tuple[str, str, str], ...] = (
    (Role.TENANT_ADMIN, "admin", "信箱管理员"),
    (Role.REGISTRAR, "registrar", "登记员小李"),
    (Role.HANDLER, "handler", "承办人老王"),
    (Role.LEADER, "leader", "分管领导"),
    (Role.SUPERVISOR, "supervisor", "督办员小陈"),
)

SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐"
GIVEN = (
    "建国",
    "秀英",
    "伟",
    "芳",
    "敏",
    "静",
    "磊",
    "洋",
    "勇",
    "艳",
    "杰",
    "娟",
    "涛",
    "明",
    "超",
)


@dataclass(frozen=True)
class SourceLetter:
    title: str
    body: str
    reply: str | None
    category: str | None


def letters_dir() -> Path | None:
    for candidate in LETTERS_DIR_CANDIDATES:
        if (candidate / "teddycup2020_replies.csv").is_file():
            return candidate
    return None


def read_source_letters(folder: Path) -> Iterator[SourceLetter]:
    with (folder / "teddycup2020_replies.csv").open(encoding="utf-8") as handle:
        for row in csv.DictReader(handle):
            yield SourceLetter(row["留言主题"], row["留言详情"], row["答复意见"] or None, None)
    with (folder / "teddycup2020_labeled_messages.csv").open(encoding="utf-8") as handle:
        for row in csv.DictReader(handle):
            yield SourceLetter(row["留言主题"], row["留言详情"], None, row["一级分类"])


def guess_type(title: str, body: str) -> LetterType:
    text = title + body[:200]
    if "举报" in text:
        return LetterType.REPORT
    if "建议" in title or "建议" in body[:60]:
        return LetterType.SUGGESTION
    if any(w in title for w in ("咨询", "请问", "是否", "能否", "如何", "怎么")):
        return LetterType.CONSULTATION
    if any(w in text for w in ("求助", "帮帮", "救助", "困难")):
        return LetterType.HELP
    return LetterType.COMPLAINT


def _fit(title: str, body: str) -> tuple[str, str]:
    title = title.strip()[:50]
    if len(title) < 5:
        title = (title + "的问题反映")[:50]
    body = body.strip()[:5000]
    if len(body) < 10:
        body = body + "，请有关部门予以关注并处理。"
    return title, body


#: Share of demo letters left in each final state (the rest are in between).
STATE_PLAN = (
    ("submitted", 0.08),
    ("accepted", 0.08),
    ("assigned", 0.14),
    ("not_accepted", 0.04),
    ("replied", 0.16),
    ("evaluated", 0.20),
    ("closed", 0.30),
)


def _pick_state(rng: random.Random) -> str:
    roll = rng.random()
    total = 0.0
    for state, share in STATE_PLAN:
        total += share
        if roll < total:
            return state
    return "closed"


async def _ensure_tenants(context: AppContext) -> dict[str, TenantRef]:
    engine = context.database.sync_engine
    ids: dict[str, int] = {}
    with engine.connect() as connection:
        for row in connection.execute(select(Tenant.slug, Tenant.id)):
            ids[row.slug] = row.id
    created = False
    for demo in DEMO_TENANTS:
        if demo.slug in ids:
            continue
        ids[demo.slug] = create_tenant(
            engine,
            TenantSpec(
                slug=demo.slug,
                name=demo.name,
                kind=demo.kind,
                parent_id=ids[demo.parent] if demo.parent else None,
                theme=demo.theme if (context.settings.themes_dir / demo.theme).is_dir() else "base",
                domains=[demo.domain],
                leader_name=demo.leader_name,
                leader_title=demo.leader_title,
                profile={"intro": demo.intro},
                settings={"exposure_enabled": demo.kind == "province"},
            ),
        )
        created = True
    if created:
        context.tenants.invalidate()
    tenants = {}
    for demo in DEMO_TENANTS:
        tenant = await context.tenants.by_id(ids[demo.slug])
        assert tenant is not None
        tenants[demo.slug] = tenant
    return tenants


async def _ensure_staff(context: AppContext, tenants: dict[str, TenantRef]) -> None:
    async with context.database.core_session() as session:
        for slug, tenant in tenants.items():
            async with tenant_session(context.database, tenant) as tenant_db:
                first_unit = (
                    await tenant_db.execute(select(Unit.id).order_by(Unit.id).limit(1))
                ).scalar_one_or_none()
            for role, local, display in DEMO_STAFF:
                email = f"{local}@{slug}.demo"
                user = (
                    await session.execute(select(User).where(User.email == email))
                ).scalar_one_or_none()
                if user is None:
                    user = await create_user(
                        session, email=email, display_name=display, password=DEMO_PASSWORD
                    )
                await grant_role(
                    session,
                    user_id=user.id,
                    tenant_id=tenant.id,
                    role=role,
                    unit_id=first_unit if role == Role.HANDLER else None,
                )
        province = tenants["hunan"]
        email = "province@hunan.demo"
        admin = (
            await session.execute(select(User).where(User.email == email))
        ).scalar_one_or_none()
        if admin is None:
            admin = await create_user(
                session, email=email, display_name="省平台管理员", password=DEMO_PASSWORD
            )
        await grant_role(session, user_id=admin.id, tenant_id=province.id, role=Role.PROVINCE_ADMIN)
        await grant_role(session, user_id=admin.id, tenant_id=province.id, role=Role.TENANT_ADMIN)
        await session.commit()


async def _seed_letters(
    context: AppContext, tenant: TenantRef, sources: list[SourceLetter], rng: random.Random
) -> int:
    from leadermail.platform.deadlines.schedule import load_calendar
    from leadermail.platform.letters.submission import submit_letter

    calendar = await load_calendar(context.database)
    system = Actor(user_id=None, label="演示数据")
    now = datetime.now(UTC)
    async with tenant_session(context.database, tenant) as session:
        if (await session.execute(select(Letter.id).limit(1))).first() is not None:
            return 0
        categories = {
            c.name: c.id for c in (await session.execute(select(Category))).scalars().all()
        }
        units = (await session.execute(select(Unit.id))).scalars().all()
        count = 0
        for index, source in enumerate(sources):
            title, body = _fit(source.title, source.body)
            clean = CleanLetter(
                letter_type=guess_type(title, body),
                category_id=categories.get(
                    source.category or "", rng.choice(list(categories.values()))
                ),
                title=title,
                body=body,
                region=None,
                name=rng.choice(SURNAMES) + rng.choice(GIVEN),
                phone=f"1380000{index:04d}",
                email=None,
                id_number=None,
                publish_consent=rng.random() > 0.15,
            )
            submitted_at = now - timedelta(days=rng.uniform(0, 320), minutes=rng.randint(0, 600))
            submitted = await submit_letter(
                session,
                tenant,
                clean,
                secret_key=context.settings.secret_key,
                channel="web",
                submitted_at=submitted_at,
                calendar=calendar,
            )
            letter = submitted.letter
            target = _pick_state(rng)
            if source.reply is None and target in {"replied", "evaluated", "closed"}:
                target = "assigned"
            await _advance(session, letter, target, source, units, rng, system)
            count += 1
        await session.commit()
    return count


async def _advance(session, letter, target, source, units, rng, system) -> None:  # noqa: ANN001, PLR0913
    if target == "submitted":
        return
    await apply_transition(session, letter, "register", system)
    if target == "not_accepted":
        await apply_transition(
            session, letter, "reject", system, message="该事项已进入司法程序，依法不予受理。"
        )
        return
    await apply_transition(session, letter, "accept", system)
    if target == "accepted":
        return
    unit_id = rng.choice(units)
    letter.unit_id = unit_id
    await apply_transition(session, letter, "assign", system, data={"unit_id": unit_id})
    if target == "assigned":
        return
    reply = Reply(
        tenant_id=letter.tenant_id,
        letter_id=letter.id,
        unit_id=unit_id,
        body_html="".join(
            f"<p>{html.escape(p)}</p>" for p in (source.reply or "").split("\n") if p
        ),
        status="sent",
        sent_at=letter.submitted_at + timedelta(days=rng.uniform(1, 12)),
        signer_name="承办单位",
    )
    session.add(reply)
    await session.flush()
    await apply_transition(session, letter, "send_reply", system)
    letter.replied_at = reply.sent_at
    if letter.publish_consent and rng.random() < 0.7:
        letter.is_published = True
        letter.published_at = reply.sent_at
    if target == "replied":
        return
    satisfaction = rng.choices(
        [Satisfaction.SATISFIED, Satisfaction.BASICALLY_SATISFIED, Satisfaction.UNSATISFIED],
        weights=[6, 3, 1],
    )[0]
    session.add(
        Evaluation(
            tenant_id=letter.tenant_id,
            letter_id=letter.id,
            reply_id=reply.id,
            unit_id=unit_id,
            satisfaction=satisfaction,
            problem_solved=satisfaction != Satisfaction.UNSATISFIED and rng.random() < 0.85,
            comment=None,
        )
    )
    await apply_transition(session, letter, "evaluate", system)
    if target == "evaluated":
        return
    await apply_transition(session, letter, "close", system)


async def build_demo(context: AppContext) -> dict[str, TenantRef]:
    tenants = await _ensure_tenants(context)
    await _ensure_staff(context, tenants)
    folder = letters_dir()
    if folder is None:
        return tenants
    rng = random.Random(20261123)
    sources = list(read_source_letters(folder))
    rng.shuffle(sources)
    position = 0
    for demo in DEMO_TENANTS:
        share = sources[position : position + demo.letters]
        position += demo.letters
        await _seed_letters(context, tenants[demo.slug], share, rng)
    return tenants
