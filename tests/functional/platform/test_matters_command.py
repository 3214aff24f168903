"""``leadermail matters reindex``: rebuilds the art. 19 index of open matters per
tenant (open letters in, stale rows out), prints per-tenant counts, and names a
tenant that fails while carrying on with the others."""

from __future__ import annotations

from sqlalchemy import select, text

from leadermail.platform.clock import utcnow
from leadermail.platform.forwarding.models import OpenMatter
from leadermail.tenants.registry import TenantRef
from tests.functional.platform.cli import run_cli
from tests.functional.staff_ops.helpers import make_letter


async def indexed(context, tenant: TenantRef) -> list[tuple[int, str]]:  # noqa: ANN001
    async with context.database.core_session() as session:
        rows = await session.execute(
            select(OpenMatter.letter_id, OpenMatter.state)
            .where(OpenMatter.tenant_id == tenant.id)
            .order_by(OpenMatter.letter_id)
        )
        return [tuple(row) for row in rows]


async def stale_row(context, tenant: TenantRef, letter_id: int) -> None:  # noqa: ANN001
    """A row left behind, e.g. by a job lost before the letter was closed."""
    async with context.database.core_session() as session:
        session.add(
            OpenMatter(
                tenant_id=tenant.id,
                letter_id=letter_id,
                tracking_code="STALE0000000",
                state="assigned",
                writer_phone_key="0" * 64,
                submitted_at=utcnow(),
            )
        )
        await session.commit()


def line_of(output: str, slug: str) -> str:
    (line,) = [line for line in output.splitlines() if line.startswith(f"{slug}:")]
    return line


async def test_reindex_one_tenant_indexes_open_letters_and_drops_stale_rows(context, make_tenant):
    tenant = await make_tenant()
    open_letter = await make_letter(context, tenant, state="assigned", writer_phone="13811112222")
    await make_letter(context, tenant, state="accepted")  # no phone, no ID number: skipped
    closed = await make_letter(context, tenant, state="closed", writer_phone="13811112222")
    await stale_row(context, tenant, closed.id)
    assert await indexed(context, tenant) == [(closed.id, "assigned")]

    done = run_cli(context.settings, "matters", "reindex", "--tenant", tenant.slug)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == (f"{tenant.slug}: 3 letters, 1 indexed, 1 removed, 1 skipped")
    assert await indexed(context, tenant) == [(open_letter.id, "assigned")]

    # Run again: nothing to remove, the same row.
    again = run_cli(context.settings, "matters", "reindex", "--tenant", tenant.slug)
    assert again.stdout.strip() == f"{tenant.slug}: 2 letters, 1 indexed, 0 removed, 1 skipped"
    assert await indexed(context, tenant) == [(open_letter.id, "assigned")]

    unknown = run_cli(context.settings, "matters", "reindex", "--tenant", "no-such-tenant")
    assert unknown.returncode == 1 and "no-such-tenant" in unknown.stderr


async def test_reindex_all_names_a_failing_tenant_and_carries_on(context, make_tenant):
    first = await make_tenant()
    broken = await make_tenant()
    last = await make_tenant()  # after the broken one: the run must reach it
    letters = {
        tenant.slug: await make_letter(
            context, tenant, state="submitted", writer_phone="13933334444"
        )
        for tenant in (first, broken, last)
    }
    engine = context.database.sync_engine
    with engine.begin() as connection:
        connection.execute(text(f"ALTER TABLE {broken.schema_name}.letters RENAME TO letters_x"))
    try:
        done = run_cli(context.settings, "matters", "reindex")
    finally:
        with engine.begin() as connection:
            connection.execute(
                text(f"ALTER TABLE {broken.schema_name}.letters_x RENAME TO letters")
            )
    assert done.returncode == 1
    assert f"FAILED {broken.slug}:" in done.stderr
    assert first.slug not in done.stderr and last.slug not in done.stderr
    for tenant in (first, last):
        assert line_of(done.stdout, tenant.slug).endswith("1 indexed, 0 removed, 0 skipped")
        assert await indexed(context, tenant) == [(letters[tenant.slug].id, "submitted")]
    assert f"{broken.slug}:" not in done.stdout
    assert await indexed(context, broken) == []
