"""Creating tenants: clear errors for bad input and nothing half-created."""

from __future__ import annotations

import pytest
from sqlalchemy import select, text

from leadermail.platform.letters.models import Category, Unit
from leadermail.tenants.models import Tenant
from leadermail.tenants.provisioning import TenantError, TenantSpec, create_tenant
from leadermail.tenants.session import tenant_session
from tests.conftest import unique_slug
from tests.functional.platform.cli import run_cli


def _schemas(engine) -> set[str]:  # noqa: ANN001
    with engine.connect() as connection:
        return set(
            connection.execute(
                text("SELECT nspname FROM pg_namespace WHERE nspname LIKE 't\\_%'")
            ).scalars()
        )


def _tenant_rows(engine) -> int:  # noqa: ANN001
    with engine.connect() as connection:
        return connection.execute(text("SELECT count(*) FROM core.tenants")).scalar_one()


async def test_a_new_tenant_gets_defaults_and_is_active(context, make_tenant):
    tenant = await make_tenant(kind="county")
    assert tenant.is_active and tenant.schema_name == f"t_{tenant.id}"
    async with tenant_session(context.database, tenant) as session:
        assert (await session.execute(select(Unit))).scalars().first() is not None
        categories = (await session.execute(select(Category.name))).scalars().all()
    assert "城乡建设" in categories


@pytest.mark.parametrize(
    ("spec", "field", "message"),
    [
        (dict(slug="Bad Slug", name="x", kind="city"), "slug", "小写字母"),
        (dict(slug="a", name="x", kind="city"), "slug", "2–40"),
        (dict(slug="console", name="x", kind="city"), "slug", "保留"),
        (dict(slug="okslug", name=" ", kind="city"), "name", "名称"),
        (dict(slug="okslug", name="x", kind="village"), "kind", "类型"),
        (dict(slug="okslug", name="x", kind="city", domains=["not a host"]), "domains", "格式"),
    ],
)
def test_invalid_input_is_refused_before_anything_is_created(context, spec, field, message):
    engine = context.database.sync_engine
    before = (_schemas(engine), _tenant_rows(engine))
    with pytest.raises(TenantError) as error:
        create_tenant(engine, TenantSpec(**spec))
    assert error.value.field == field
    assert message in error.value.message
    assert (_schemas(engine), _tenant_rows(engine)) == before


async def test_a_taken_slug_or_domain_is_refused_with_nothing_half_created(context, make_tenant):
    engine = context.database.sync_engine
    host = f"{unique_slug('d')}.example.gov.cn"
    existing = await make_tenant(domains=[host])
    before = (_schemas(engine), _tenant_rows(engine))
    with pytest.raises(TenantError, match="已被使用") as taken:
        create_tenant(engine, TenantSpec(slug=existing.slug, name="重复", kind="city"))
    assert taken.value.field == "slug"
    with pytest.raises(TenantError, match="已被其他信箱使用") as used:
        create_tenant(
            engine,
            TenantSpec(slug=unique_slug(), name="重复域名", kind="city", domains=[host.upper()]),
        )
    assert used.value.field == "domains"
    assert (_schemas(engine), _tenant_rows(engine)) == before


def test_a_failure_during_provisioning_leaves_no_orphan_schema(context):
    engine = context.database.sync_engine
    before = (_schemas(engine), _tenant_rows(engine))
    slug = unique_slug()
    # A category name longer than the column allows fails while seeding
    # defaults, after the schema and its tables were created.
    with pytest.raises(Exception, match="too long"):
        create_tenant(
            engine, TenantSpec(slug=slug, name="半途失败", kind="city", categories=["长" * 80])
        )
    assert (_schemas(engine), _tenant_rows(engine)) == before
    with engine.connect() as connection:
        assert connection.execute(select(Tenant.id).where(Tenant.slug == slug)).first() is None


@pytest.mark.slow
def test_tenants_command_creates_lists_disables_and_refuses_duplicates(context):
    settings = context.settings
    slug = unique_slug("cli")
    created = run_cli(
        settings, "tenants", "create", "--slug", slug, "--name", "命令行信箱", "--kind", "county"
    )
    assert created.returncode == 0, created.stderr
    assert f"created tenant {slug}" in created.stdout

    again = run_cli(
        settings, "tenants", "create", "--slug", slug, "--name", "再建", "--kind", "county"
    )
    assert again.returncode == 1
    assert "已被使用" in again.stderr

    listed = run_cli(settings, "tenants", "list")
    assert slug in listed.stdout and "命令行信箱" in listed.stdout

    disabled = run_cli(settings, "tenants", "disable", slug, "--reason", "测试")
    assert disabled.returncode == 0 and "disabled" in disabled.stdout
    assert "disabled" in next(
        line for line in run_cli(settings, "tenants", "list").stdout.splitlines() if slug in line
    )
    assert run_cli(settings, "tenants", "enable", slug).returncode == 0
    missing = run_cli(settings, "tenants", "disable", "no-such-tenant")
    assert missing.returncode == 1 and "没有标识" in missing.stderr
