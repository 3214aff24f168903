"""The one audit writer, and the verifier behind ``leadermail audit verify``.

    await record_audit(session, tenant_id=tenant.id, actor=actor,
                       action="letter.accept", object_type="letter", object_id=letter.id)

The record is written in the caller's transaction, so it commits (or rolls
back) with the change it describes. Writers of one chain are serialised by a
transaction-level advisory lock so two concurrent records cannot both claim
the same predecessor.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select, text
from sqlalchemy.ext.asyncio import AsyncSession

from leadermail.platform.audit.models import AuditRecord, PlatformAuditRecord

GENESIS_HASH = "0" * 64
#: advisory lock namespace for audit chains (arbitrary, fixed)
_LOCK_NAMESPACE = 7_211_001


@dataclass(frozen=True)
class Actor:
    """Who did something: a staff user, the system, or a citizen."""

    user_id: int | None
    label: str
    ip_address: str | None = None

    @classmethod
    def system(cls, label: str = "系统") -> Actor:
        return cls(user_id=None, label=label)


def _canonical(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.astimezone(UTC).isoformat()
    return value


def record_digest(prev_hash: str, fields: dict[str, Any]) -> str:
    payload = json.dumps(
        {k: _canonical(v) for k, v in sorted(fields.items())},
        ensure_ascii=False,
        sort_keys=True,
        separators=(",", ":"),
        default=str,
    )
    return hashlib.sha256((prev_hash + payload).encode()).hexdigest()


def _hashed_fields(record: AuditRecord | PlatformAuditRecord) -> dict[str, Any]:
    return {
        "tenant_id": record.tenant_id,
        "actor_user_id": record.actor_user_id,
        "actor_label": record.actor_label,
        "action": record.action,
        "object_type": record.object_type,
        "object_id": record.object_id,
        "data": record.data,
        "ip_address": record.ip_address,
        "created_at": record.created_at,
    }


async def _append(
    session: AsyncSession,
    model: type[AuditRecord] | type[PlatformAuditRecord],
    chain_key: int,
    **values: Any,
) -> AuditRecord | PlatformAuditRecord:
    await session.execute(
        text("SELECT pg_advisory_xact_lock(:ns, :key)"),
        {"ns": _LOCK_NAMESPACE, "key": chain_key},
    )
    prev_hash = (
        await session.execute(select(model.hash).order_by(model.id.desc()).limit(1))
    ).scalar_one_or_none() or GENESIS_HASH
    record = model(**values, prev_hash=prev_hash, hash="")
    # created_at is truncated to microseconds by PostgreSQL: set it here so the
    # digest covers exactly what is stored.
    record.created_at = datetime.now(UTC)
    record.hash = record_digest(prev_hash, _hashed_fields(record))
    session.add(record)
    await session.flush()
    return record


async def record_audit(
    session: AsyncSession,
    *,
    tenant_id: int,
    actor: Actor,
    action: str,
    object_type: str | None = None,
    object_id: object | None = None,
    data: dict[str, Any] | None = None,
) -> AuditRecord:
    """Append to the tenant's chain (``session`` must be a tenant session)."""
    record = await _append(
        session,
        AuditRecord,
        tenant_id,
        tenant_id=tenant_id,
        actor_user_id=actor.user_id,
        actor_label=actor.label,
        action=action,
        object_type=object_type,
        object_id=None if object_id is None else str(object_id),
        data=data or {},
        ip_address=actor.ip_address,
    )
    assert isinstance(record, AuditRecord)
    return record


async def record_platform_audit(
    session: AsyncSession,
    *,
    actor: Actor,
    action: str,
    tenant_id: int | None = None,
    object_type: str | None = None,
    object_id: object | None = None,
    data: dict[str, Any] | None = None,
) -> PlatformAuditRecord:
    """Append to the platform chain in ``core`` (any session may write it)."""
    record = await _append(
        session,
        PlatformAuditRecord,
        0,
        tenant_id=tenant_id,
        actor_user_id=actor.user_id,
        actor_label=actor.label,
        action=action,
        object_type=object_type,
        object_id=None if object_id is None else str(object_id),
        data=data or {},
        ip_address=actor.ip_address,
    )
    assert isinstance(record, PlatformAuditRecord)
    return record


@dataclass(frozen=True)
class ChainCheck:
    records: int
    broken_at: int | None = None
    reason: str | None = None
    #: Hash of the last record. Deleting the newest records leaves a shorter
    #: chain that still adds up; comparing this with a head noted earlier
    #: (``leadermail audit verify`` prints it) exposes that.
    head_hash: str | None = None

    @property
    def ok(self) -> bool:
        return self.broken_at is None


async def verify_chain(
    session: AsyncSession, model: type[AuditRecord] | type[PlatformAuditRecord] = AuditRecord
) -> ChainCheck:
    """Walk a chain in id order; report the first record that does not add up.

    An edited record fails its own hash; a deleted one breaks the next
    record's ``prev_hash``. (The table's trigger refuses both; this catches
    whoever drops the trigger or edits the files.)
    """
    prev_hash = GENESIS_HASH
    count = 0
    result = await session.stream(select(model).order_by(model.id).execution_options(yield_per=500))
    async for record in result.scalars():
        count += 1
        if record.prev_hash != prev_hash:
            return ChainCheck(count, record.id, "上一条记录缺失或被改动（链接断开）")
        if record_digest(prev_hash, _hashed_fields(record)) != record.hash:
            return ChainCheck(count, record.id, "记录内容与其哈希不符（被改动）")
        prev_hash = record.hash
    return ChainCheck(count, head_hash=prev_hash)
