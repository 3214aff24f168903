"""The demo province: 湖南省省长信箱 with two cities, a county and two departments,
staff for every role, and a few hundred real letters with ten months of
history made by the console's own services (see ``demo_history``).

The letter texts are the real citizen messages and official replies of the
2020 泰迪杯 data set in ``shared/data/letters`` (its publishers anonymised
places and user ids, not the people's names written in the texts: the public
pages show them redacted like any letter's), cleaned of spreadsheet
artefacts by :func:`clean_source_text`; writer names and phone numbers are
invented here and obviously fake. Running it twice changes nothing.
"""

from __future__ import annotations

import csv
import random
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from leadermail.platform.accounts.models import Role, User
from leadermail.platform.accounts.passwords import hash_password, verify_password
from leadermail.platform.accounts.policy import StaffUser
from leadermail.platform.accounts.services import create_user, grant_role
from leadermail.platform.clock import clock_at, utcnow
from leadermail.platform.config import PROJECT_ROOT
from leadermail.platform.context import AppContext
from leadermail.platform.demo_history import (
    Cast,
    drop_writer_messages,
    plan_history,
    play_history,
    read_settled_notifications,
)
from leadermail.platform.demo_routing import demo_category, ensure_demo_routing, unit_chooser
from leadermail.platform.letters.models import (
    Category,
    Letter,
    LetterType,
    Unit,
)
from leadermail.platform.letters.validation import CleanLetter
from leadermail.tenants.models import Tenant
from leadermail.tenants.provisioning import TenantSpec, create_tenant
from leadermail.tenants.registry import TenantRef
from leadermail.tenants.session import tenant_session

#: Printed by ``leadermail demo``; passes ``check_new_password`` for every demo
#: account (the one before contained "leader", an account's local part).
DEMO_PASSWORD = "Demo-2026-xinfang"  # noqa: S105 - printed for the demo
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
#: The write form's example for 所在地区, in each mailbox's own area.
REGION_HINTS = {
    "hunan": "如：长沙市岳麓区望月湖街道",
    "changsha": "如：岳麓区望月湖街道",
    "xiangtan": "如：雨湖区城正街街道",
    "shaoshan": "如：清溪镇",
    "hn-edu": "如：株洲市芦淞区",
    "hn-hrss": "如：衡阳市蒸湘区",
}

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


# Excel writes a control character inside a cell as _xHHHH_: a carriage
# return became "_x000D_" before the line feed (443 times in the letters).
_EXCEL_ESCAPE = re.compile(r"_x([0-9A-Fa-f]{4})_")
# Zero-width characters pasted from web pages (in 3 titles).
_INVISIBLE = dict.fromkeys(map(ord, "\u200b\u200c\u200d\u2060\ufeff"))


def _unescape(match: re.Match[str]) -> str:
    char = chr(int(match[1], 16))
    if char in "\r\n":
        return "\n"
    return char if char.isprintable() or char == "\t" else ""


def clean_source_text(text: str) -> str:
    r"""A cell of the source spreadsheets as the citizen wrote it::

        clean_source_text("投诉人：廖飞荣_x000D_\n被投诉人：…")  # "投诉人：廖飞荣\n被投诉人：…"
    """
    # "_x000D_" + the line feed after it is one line break, not two.
    text = text.replace("_x000D_\n", "\n").replace("\r\n", "\n")
    return _EXCEL_ESCAPE.sub(_unescape, text).replace("\r", "\n").translate(_INVISIBLE)


def _source(title: str, body: str, reply: str | None, category: str | None) -> SourceLetter:
    return SourceLetter(
        clean_source_text(title).strip(),
        clean_source_text(body).strip(),
        clean_source_text(reply).strip() or None if reply else None,
        category,
    )


def read_source_letters(folder: Path) -> Iterator[SourceLetter]:
    with (folder / "teddycup2020_replies.csv").open(encoding="utf-8") as handle:
        for row in csv.DictReader(handle):
            yield _source(row["留言主题"], row["留言详情"], row["答复意见"] or None, None)
    with (folder / "teddycup2020_labeled_messages.csv").open(encoding="utf-8") as handle:
        for row in csv.DictReader(handle):
            yield _source(row["留言主题"], row["留言详情"], None, row["一级分类"])


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


# The published replies end with the day they were signed, in 2017-2019;
# the demo's replies are sent on their own (recent) days.
_SIGNED_ON = re.compile(r"[\s\u3000]*\d{4}\s*年\s*\d{1,2}\s*月\s*\d{1,2}\s*日[\s\u3000]*$")


def reply_text(reply: str | None) -> str | None:
    """A source reply without its own date at the end."""
    return None if reply is None else _SIGNED_ON.sub("", reply.strip())


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
                profile={"intro": demo.intro, "region_hint": REGION_HINTS[demo.slug]},
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


async def ensure_demo_staff(context: AppContext, tenant: TenantRef) -> None:
    """The demo accounts of ``tenant`` (``<role>@<slug>.demo``), once."""
    async with tenant_session(context.database, tenant) as tenant_db:
        first_unit = (
            await tenant_db.execute(select(Unit.id).order_by(Unit.id).limit(1))
        ).scalar_one_or_none()
    async with context.database.core_session() as session:
        for role, local, display in DEMO_STAFF:
            user = await _demo_user(session, f"{local}@{tenant.slug}.demo", display)
            await grant_role(
                session,
                user_id=user.id,
                tenant_id=tenant.id,
                role=role,
                unit_id=first_unit if role == Role.HANDLER else None,
            )
        await session.commit()


async def _ensure_province_admin(context: AppContext, province: TenantRef) -> None:
    async with context.database.core_session() as session:
        admin = await _demo_user(session, "province@hunan.demo", "省平台管理员")
        await grant_role(session, user_id=admin.id, tenant_id=province.id, role=Role.PROVINCE_ADMIN)
        await grant_role(session, user_id=admin.id, tenant_id=province.id, role=Role.TENANT_ADMIN)
        await session.commit()


async def _demo_user(session: AsyncSession, email: str, display_name: str) -> User:
    user = (await session.execute(select(User).where(User.email == email))).scalar_one_or_none()
    if user is None:
        user = await create_user(
            session, email=email, display_name=display_name, password=DEMO_PASSWORD
        )
    elif not verify_password(user.password_hash, DEMO_PASSWORD):
        # The printed password must work: a demo built with an earlier one
        # (or a demo password changed in the console) gets it back.
        user.password_hash = hash_password(DEMO_PASSWORD)
    return user


async def _cast(context: AppContext, tenant: TenantRef) -> Cast:
    """The demo staff of ``tenant`` who make its letters' history."""
    async with context.database.core_session() as session:
        users = {
            user.email: user
            for user in (
                await session.execute(select(User).where(User.email.like(f"%@{tenant.slug}.demo")))
            ).scalars()
        }

    roles = {local: role for role, local, _ in DEMO_STAFF}

    def staff(local: str) -> StaffUser:
        user = users[f"{local}@{tenant.slug}.demo"]
        return StaffUser(user.id, user.display_name, user.email, tenant, frozenset({roles[local]}))

    return Cast(
        registrar=staff("registrar"),
        drafter=staff("admin"),
        leader=staff("leader"),
        supervisor=staff("supervisor"),
    )


async def seed_letters(
    context: AppContext, tenant: TenantRef, sources: list[SourceLetter], rng: random.Random
) -> int:
    """Letters from ``sources``, each with the history :func:`plan_history` gives
    it, in a tenant that has none yet (else only :func:`repair_loaded_letters`).
    Needs the demo staff."""
    from leadermail.platform.deadlines.schedule import load_calendar
    from leadermail.platform.letters.submission import submit_letter

    calendar = await load_calendar(context.database)
    cast = await _cast(context, tenant)
    secret = context.settings.secret_key
    now = utcnow()
    async with tenant_session(context.database, tenant) as session:
        if (await session.execute(select(Letter.id).limit(1))).first() is not None:
            await repair_loaded_letters(session)
            await session.commit()
            return 0
        categories = {
            c.name: c.id for c in (await session.execute(select(Category))).scalars().all()
        }
        units = (await session.execute(select(Unit).where(Unit.is_active))).scalars().all()
        await ensure_demo_routing(session, tenant, cast.actor(cast.drafter))
        choose_unit = unit_chooser({unit.id: unit.name for unit in units}, rng)
        seeded: list[int] = []
        for index, source in enumerate(sources):
            title, body = _fit(source.title, source.body)
            clean = CleanLetter(
                letter_type=guess_type(title, body),
                category_id=categories.get(source.category or "")
                or demo_category(title, body, categories)
                or rng.choice(list(categories.values())),
                title=title,
                body=body,
                region=None,
                name=rng.choice(SURNAMES) + rng.choice(GIVEN),
                phone=f"1380000{index:04d}",
                email=None,
                id_number=None,
                publish_consent=rng.random() > 0.15,
            )
            plan = plan_history(
                rng, now, has_reply=source.reply is not None, publish_consent=clean.publish_consent
            )
            submitted_at = plan[0][0]
            with clock_at(submitted_at):
                submitted = await submit_letter(
                    session,
                    tenant,
                    clean,
                    secret_key=secret,
                    channel="web",
                    submitted_at=submitted_at,
                    calendar=calendar,
                )
            await play_history(
                session,
                cast,
                await submitted.load(session),
                plan,
                reply_text(source.reply),
                choose_unit,
                rng,
                secret,
            )
            seeded.append(submitted.letter_id)
        await drop_writer_messages(session, tenant.id, seeded)
        await read_settled_notifications(session, seeded)
        await session.commit()
    return len(seeded)


async def repair_loaded_letters(session: AsyncSession) -> int:
    """Clean the letters a demo loaded before :func:`clean_source_text`
    existed (their list snippets showed "_x000D_"); returns how many changed.
    Demo data only: a real citizen's text is never rewritten."""
    from leadermail.platform.letters.submission import letter_search_vector

    dirty = or_(
        Letter.title.contains("_x"), Letter.body.contains("_x"), Letter.title.contains("\u200b")
    )
    changed = 0
    for letter in (await session.execute(select(Letter).where(dirty))).scalars():
        title = clean_source_text(letter.title).strip()
        body = clean_source_text(letter.body).strip()
        if (title, body) != (letter.title, letter.body):
            letter.title, letter.body = title, body
            letter.search_vector = letter_search_vector(letter)
            changed += 1
    return changed


async def build_demo(context: AppContext) -> dict[str, TenantRef]:
    tenants = await _ensure_tenants(context)
    for tenant in tenants.values():
        await ensure_demo_staff(context, tenant)
    await _ensure_province_admin(context, tenants["hunan"])
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
        await seed_letters(context, tenants[demo.slug], share, rng)
    return tenants
