"""The demo offices: 湖南省省长信箱 with two cities, a county and two
departments, each a tenant with its own theme, domain, leader and intro::

    tenants = await ensure_demo_tenants(context)  # {"hunan": TenantRef, ...}

Tenants that exist already (by slug) are kept as they are.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select

from leadermail.platform.context import AppContext
from leadermail.tenants.models import Tenant
from leadermail.tenants.provisioning import TenantSpec, create_tenant
from leadermail.tenants.registry import TenantRef


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

#: The write form's example for 所在地区, in each mailbox's own area.
REGION_HINTS = {
    "hunan": "如：长沙市岳麓区望月湖街道",
    "changsha": "如：岳麓区望月湖街道",
    "xiangtan": "如：雨湖区城正街街道",
    "shaoshan": "如：清溪镇",
    "hn-edu": "如：株洲市芦淞区",
    "hn-hrss": "如：衡阳市蒸湘区",
}


async def ensure_demo_tenants(context: AppContext) -> dict[str, TenantRef]:
    """Every office of :data:`DEMO_TENANTS`, created once, by slug."""
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
