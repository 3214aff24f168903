"""Creating a tenant: registry row, schema at head, defaults, domains: all or nothing.

PostgreSQL DDL is transactional, so the whole tenant is created in one
transaction: a taken slug, a used domain or a failing migration leaves no row
and no orphan schema behind::

    tenant_id = create_tenant(engine, TenantSpec(slug="changsha", name="长沙市市长信箱",
                                                 kind="city", parent_id=1))
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import insert, select, text, update
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.exc import IntegrityError

from leadermail.platform.letters.models import Category, Unit
from leadermail.tenants.migrations import migrate_tenant_schema
from leadermail.tenants.models import Tenant, TenantDomain, TenantKind, TenantStatus

SLUG_PATTERN = re.compile(r"^[a-z][a-z0-9-]{1,39}$")
HOST_PATTERN = re.compile(r"^(?=.{1,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$")
RESERVED_SLUGS = frozenset({"admin", "api", "console", "static", "t", "platform", "apply", "www"})

#: First-level classes of the province's letter taxonomy.
DEFAULT_CATEGORIES: tuple[str, ...] = (
    "城乡建设",
    "环境保护",
    "交通运输",
    "教育文体",
    "劳动和社会保障",
    "卫生计生",
    "商贸旅游",
    "农村农业",
    "国土资源",
    "民政",
    "政法",
    "经济管理",
    "科技与信息产业",
    "党务政务",
    "纪检监察",
    "其他",
)

DEFAULT_UNITS: dict[str, tuple[str, ...]] = {
    "province": (
        "省住房和城乡建设厅",
        "省生态环境厅",
        "省交通运输厅",
        "省教育厅",
        "省人力资源和社会保障厅",
        "省卫生健康委员会",
        "省自然资源厅",
        "省公安厅",
        "省市场监督管理局",
        "省信访局",
    ),
    "city": (
        "市住房和城乡建设局",
        "市生态环境局",
        "市交通运输局",
        "市教育局",
        "市人力资源和社会保障局",
        "市卫生健康委员会",
        "市自然资源和规划局",
        "市公安局",
        "市市场监督管理局",
        "市城市管理和综合执法局",
    ),
    "county": (
        "县住房和城乡建设局",
        "县生态环境分局",
        "县教育局",
        "县人力资源和社会保障局",
        "县卫生健康局",
        "县公安局",
        "县自然资源局",
        "城关镇人民政府",
    ),
    "department": ("办公室", "政策法规处", "业务一处", "业务二处", "监察室"),
}


class TenantError(ValueError):
    """A tenant cannot be created or changed as asked; ``field`` names the input."""

    def __init__(self, field_name: str, message: str) -> None:
        super().__init__(message)
        self.field = field_name
        self.message = message


@dataclass
class TenantSpec:
    slug: str
    name: str
    kind: str
    parent_id: int | None = None
    theme: str = "base"
    domains: Sequence[str] = ()
    leader_name: str | None = None
    leader_title: str | None = None
    profile: dict[str, Any] = field(default_factory=dict)
    settings: dict[str, Any] = field(default_factory=dict)
    categories: Sequence[str] | None = None
    units: Sequence[str] | None = None


def normalise_host(host: str) -> str:
    return host.strip().lower().rstrip(".")


def spec_problems(spec: TenantSpec) -> dict[str, str]:
    """Field → message for everything wrong with ``spec`` itself (empty when fine).

    Forms show all of them at once; :func:`validate_spec` raises the first.
    """
    problems: dict[str, str] = {}
    if not SLUG_PATTERN.match(spec.slug or ""):
        problems["slug"] = "标识只能使用小写字母、数字和连字符，以字母开头，长度 2–40 个字符"
    elif spec.slug in RESERVED_SLUGS:
        problems["slug"] = f"标识“{spec.slug}”是系统保留字，请换一个"
    if not spec.name or not spec.name.strip() or len(spec.name) > 100:
        problems["name"] = "请填写信箱名称（不超过 100 个字符）"
    if spec.kind not in {k.value for k in TenantKind}:
        problems["kind"] = "类型必须是省级、市级、县级或部门"
    for host in spec.domains:
        if not HOST_PATTERN.match(normalise_host(host)):
            problems["domains"] = f"域名“{host}”格式不正确"
            break
    return problems


def _raise_first(problems: dict[str, str]) -> None:
    if problems:
        field_name, message = next(iter(problems.items()))
        raise TenantError(field_name, message)


def validate_spec(spec: TenantSpec) -> None:
    _raise_first(spec_problems(spec))


def availability_problems(
    connection: Connection, spec: TenantSpec, *, tenant_id: int | None = None
) -> dict[str, str]:
    """Field → message for the usual conflicts with the registry (empty when none).

    ``tenant_id`` is the tenant being edited: its own slug and domains are
    no conflict. Run it before any DDL; :func:`check_available` raises the first.
    """
    problems: dict[str, str] = {}
    taken = select(Tenant.id).where(Tenant.slug == spec.slug)
    if tenant_id is not None:
        taken = taken.where(Tenant.id != tenant_id)
    if connection.execute(taken).first():
        problems["slug"] = f"标识“{spec.slug}”已被使用"
    hosts = [normalise_host(h) for h in spec.domains]
    if hosts:
        used = select(TenantDomain.host).where(TenantDomain.host.in_(hosts))
        if tenant_id is not None:
            used = used.where(TenantDomain.tenant_id != tenant_id)
        first_used = connection.execute(used.order_by(TenantDomain.host)).scalars().first()
        if first_used:
            problems["domains"] = f"域名“{first_used}”已被其他信箱使用"
    if spec.parent_id is not None:
        parent = connection.execute(select(Tenant.id).where(Tenant.id == spec.parent_id)).first()
        if not parent:
            problems["parent_id"] = "上级信箱不存在"
    return problems


def check_available(connection: Connection, spec: TenantSpec) -> None:
    """Clear errors for the usual conflicts before any DDL runs."""
    _raise_first(availability_problems(connection, spec))


def seed_defaults(connection: Connection, schema: str, tenant_id: int, spec: TenantSpec) -> None:
    tenant_connection = connection.execution_options(schema_translate_map={None: schema})
    categories = list(spec.categories if spec.categories is not None else DEFAULT_CATEGORIES)
    units = list(spec.units if spec.units is not None else DEFAULT_UNITS[spec.kind])
    if categories:
        tenant_connection.execute(
            insert(Category),
            [
                {"tenant_id": tenant_id, "name": name, "position": i, "is_active": True}
                for i, name in enumerate(categories)
            ],
        )
    if units:
        tenant_connection.execute(
            insert(Unit),
            [{"tenant_id": tenant_id, "name": name, "is_active": True} for name in units],
        )


def create_tenant(
    engine: Engine,
    spec: TenantSpec,
    *,
    lock_timeout_ms: int = 5000,
    script_location: Path | None = None,
    on_step: Callable[[str, int], None] | None = None,
) -> int:
    """Create the tenant at head in one transaction and return its id.

    ``on_step(step, tenant_id)`` is called after "schema_created", "migrated"
    and "seeded" (still inside the transaction: report progress on another
    connection; a later failure rolls all of it back).
    """
    report = on_step or (lambda step, tenant_id: None)
    validate_spec(spec)
    try:
        with engine.begin() as connection:
            check_available(connection, spec)
            tenant_id = connection.execute(
                insert(Tenant)
                .values(
                    slug=spec.slug,
                    name=spec.name.strip(),
                    kind=spec.kind,
                    parent_id=spec.parent_id,
                    status=TenantStatus.PROVISIONING,
                    theme=spec.theme,
                    # A placeholder until the id is known; replaced just below.
                    schema_name=f"pending_{spec.slug}",
                    leader_name=spec.leader_name,
                    leader_title=spec.leader_title,
                    profile=spec.profile,
                    settings=spec.settings,
                )
                .returning(Tenant.id)
            ).scalar_one()
            schema = f"t_{tenant_id}"
            connection.execute(
                update(Tenant).where(Tenant.id == tenant_id).values(schema_name=schema)
            )
            connection.exec_driver_sql(f"CREATE SCHEMA {schema}")
            report("schema_created", tenant_id)
            migrate_tenant_schema(
                connection,
                schema,
                tenant_id=tenant_id,
                lock_timeout_ms=lock_timeout_ms,
                script_location=script_location,
            )
            report("migrated", tenant_id)
            seed_defaults(connection, schema, tenant_id, spec)
            report("seeded", tenant_id)
            for i, host in enumerate(spec.domains):
                connection.execute(
                    insert(TenantDomain).values(
                        host=normalise_host(host), tenant_id=tenant_id, is_primary=i == 0
                    )
                )
            connection.execute(
                update(Tenant).where(Tenant.id == tenant_id).values(status=TenantStatus.ACTIVE)
            )
    except IntegrityError as exc:
        # Lost a race with another creation between the check and the insert.
        detail = str(exc.orig)
        if "tenant_domains" in detail:
            raise TenantError("domains", "域名已被其他信箱使用") from exc
        if "slug" in detail:
            raise TenantError("slug", f"标识“{spec.slug}”已被使用") from exc
        raise
    return tenant_id


def set_tenant_status(engine: Engine, slug: str, status: str, reason: str | None = None) -> int:
    if status not in {TenantStatus.ACTIVE, TenantStatus.DISABLED}:
        raise TenantError("status", "状态只能是启用或停用")
    with engine.begin() as connection:
        tenant_id = connection.execute(
            update(Tenant)
            .where(Tenant.slug == slug)
            .values(status=status, disabled_reason=reason if status == "disabled" else None)
            .returning(Tenant.id)
        ).scalar_one_or_none()
    if tenant_id is None:
        raise TenantError("slug", f"没有标识为“{slug}”的信箱")
    return tenant_id


def drop_tenant_schema(connection: Connection, schema_name: str) -> None:
    """Only for tests and benchmarks that clean up after themselves."""
    connection.execute(text(f'DROP SCHEMA IF EXISTS "{schema_name}" CASCADE'))
