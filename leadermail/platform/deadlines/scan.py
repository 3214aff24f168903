"""The deadline scan: urge (催办) letters that are due soon, escalate the overdue.

Run by a cron job every few minutes over every active tenant::

    report = await scan_all_tenants(app_context)          # ScanReport
    result = await scan_tenant(database, tenant, staff, now=now)

Per tenant it runs **one** indexed query: open letters whose acceptance or
reply deadline falls within the tenant's warning horizon (the largest
"due soon" threshold of its policies) and that have not yet been escalated
as overdue for that deadline. The exact level of each candidate is then
computed with the engine's :func:`~leadermail.platform.deadlines.levels.warning_level`.

Idempotence: a warning is a row of ``deadline_alerts`` unique on (letter,
deadline, due date, level), inserted with ``ON CONFLICT DO NOTHING
RETURNING``; only rows inserted now lead to a timeline entry, console
notifications and an e-mail job. A second scan (or two scans racing) urges
nobody twice; an extended deadline has a new due date and is watched afresh.

Who hears about it:

* acceptance deadline: the registrars (tenant admins when there are none);
* reply deadline: the handlers of the letter's unit, and the unit's e-mail;
* overdue, either deadline: also the supervisors (督办), by notification and e-mail;
* a unit's own 办理时限 (``assignment``), where the registrar set it earlier
  than the letter's reply deadline: the unit as for the reply deadline; once
  overdue also the registrars, who set it (the supervisors watch the
  letter's statutory deadline, which still lies ahead). Where it is the
  letter's deadline itself, the reply deadline's warnings say it all. Its
  "due soon" is measured on its own span (``assignment_threshold``).

A letter with a routing rule longer than its tenant's policy is checked
against the tenant's horizon: its "due soon" urge may come later than its own
20 % mark, never after its due date.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import DateTime, and_, exists, insert, literal, null, or_, select, text, union_all
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.ext.asyncio import AsyncSession

from leadermail.platform.accounts.models import Membership, Role, User
from leadermail.platform.clock import utcnow
from leadermail.platform.db import Database
from leadermail.platform.deadlines.alerts import DEADLINE_LABELS, DeadlineAlert
from leadermail.platform.deadlines.assignments import assignment_level
from leadermail.platform.deadlines.levels import (
    MIN_WORKING_DAY_WARNING,
    WarningLevel,
    due_soon_threshold,
    warning_level,
)
from leadermail.platform.deadlines.policies import DeadlinePolicyError, policy_for
from leadermail.platform.deadlines.rules import DeadlineRule, DeadlineRuleError
from leadermail.platform.jobs.outbox import enqueue
from leadermail.platform.letters.models import (
    LETTER_TYPE_LABELS,
    Assignment,
    Letter,
    LetterEvent,
)
from leadermail.platform.notifications.console import StaffNotification
from leadermail.platform.web.templating import format_datetime
from leadermail.tenants.registry import TenantRef
from leadermail.tenants.session import tenant_session

log = logging.getLogger(__name__)

#: Open states in which each clock runs (awaiting_material: the clock waits
#: for the citizen, nobody is urged).
DEADLINE_STATES: dict[str, tuple[str, ...]] = {
    "acceptance": ("submitted", "registered"),
    "reply": ("accepted", "assigned"),
    "assignment": ("assigned",),
}
SCAN_CONCURRENCY = 8
SYSTEM_LABEL = "系统（期限监控）"
EMAIL_JOB = "send_deadline_emails"


@dataclass(frozen=True)
class StaffMember:
    user_id: int
    role: str
    unit_id: int | None


@dataclass
class StaffDirectory:
    """Who works where, loaded for all tenants in one query per scan."""

    by_tenant: dict[int, list[StaffMember]] = field(default_factory=dict)

    def users(self, tenant_id: int, roles: Iterable[str], unit_id: int | None = None) -> list[int]:
        wanted = {str(r) for r in roles}
        return sorted(
            {
                m.user_id
                for m in self.by_tenant.get(tenant_id, [])
                if m.role in wanted and (unit_id is None or m.unit_id == unit_id)
            }
        )

    def registrars(self, tenant_id: int) -> list[int]:
        return self.users(tenant_id, {Role.REGISTRAR}) or self.users(tenant_id, {Role.TENANT_ADMIN})

    def supervisors(self, tenant_id: int) -> list[int]:
        admins = self.users(tenant_id, {Role.TENANT_ADMIN})
        return self.users(tenant_id, {Role.SUPERVISOR}) or admins

    def handlers(self, tenant_id: int, unit_id: int | None) -> list[int]:
        if unit_id is None:
            return self.registrars(tenant_id)
        return self.users(tenant_id, {Role.HANDLER}, unit_id)


async def load_staff_directory(
    database: Database, tenant_ids: Iterable[int] | None = None
) -> StaffDirectory:
    query = (
        select(Membership.tenant_id, Membership.user_id, Membership.role, Membership.unit_id)
        .join(User, User.id == Membership.user_id)
        .where(Membership.is_active.is_(True), User.is_active.is_(True))
    )
    if tenant_ids is not None:
        query = query.where(Membership.tenant_id.in_(list(tenant_ids)))
    directory = StaffDirectory()
    async with database.core_session() as session:
        for tenant_id, user_id, role, unit_id in (await session.execute(query)).all():
            member = StaffMember(user_id, role, unit_id)
            directory.by_tenant.setdefault(tenant_id, []).append(member)
    return directory


@dataclass
class TenantScan:
    tenant_id: int
    candidates: int = 0
    due_soon: int = 0
    overdue: int = 0
    error: str | None = None


@dataclass
class ScanReport:
    tenants: int = 0
    candidates: int = 0
    due_soon: int = 0
    overdue: int = 0
    failed: list[tuple[int, str]] = field(default_factory=list)
    seconds: float = 0.0


def _rules(tenant: TenantRef) -> dict[str, dict[str, DeadlineRule]]:
    """Per letter type: the acceptance and reply rules of the tenant."""
    rules: dict[str, dict[str, DeadlineRule]] = {}
    for letter_type in LETTER_TYPE_LABELS:
        policy = policy_for(tenant.settings, letter_type)
        # A unit's 办理时限 is looked for as far ahead as the reply deadline
        # it is part of (its level is measured on its own span).
        rules[str(letter_type)] = {
            "acceptance": policy.acceptance, "reply": policy.reply, "assignment": policy.reply
        }
    return rules


def _horizon(rules: Mapping[str, Mapping[str, DeadlineRule]], deadline: str) -> timedelta:
    return max(due_soon_threshold(by_deadline[deadline]) for by_deadline in rules.values())


#: The letter's own deadlines have no 分办 time (the union's column).
_NO_ASSIGNMENT = null().cast(DateTime(timezone=True))


def _alerted(deadline: str, due: Any, level: str) -> Any:
    return exists().where(
        DeadlineAlert.letter_id == Letter.id,
        DeadlineAlert.deadline == deadline,
        DeadlineAlert.due_at == due,
        DeadlineAlert.level == level,
    )


def _candidates(
    deadline: str,
    due: Any,
    unit_id: Any,
    now: datetime,
    horizon: timedelta,
    assigned_at: Any = _NO_ASSIGNMENT,
) -> Any:
    return select(
        assigned_at.label("assigned_at"),
        Letter.id.label("letter_id"),
        Letter.letter_type,
        unit_id.label("unit_id"),
        Letter.title,
        Letter.tracking_code,
        Letter.extra["deadline_rule"].astext.label("rule_code"),
        literal(deadline).label("deadline"),
        due.label("due_at"),
        _alerted(deadline, due, WarningLevel.DUE_SOON).label("soon_sent"),
    ).where(
        Letter.state.in_(DEADLINE_STATES[deadline]),
        due <= now + horizon,
        ~_alerted(deadline, due, WarningLevel.OVERDUE),
    )


def candidate_query(now: datetime, horizons: Mapping[str, timedelta]) -> Any:
    """Open letters near or past a deadline, not yet escalated for it."""
    acceptance = _candidates(
        "acceptance", Letter.acceptance_due_at, Letter.unit_id, now, horizons["acceptance"]
    )
    reply = _candidates("reply", Letter.reply_due_at, Letter.unit_id, now, horizons["reply"])
    # The unit's own 办理时限, only where it ends before the letter's deadline.
    assignment = (
        _candidates(
            "assignment", Assignment.due_at, Assignment.unit_id, now,
            max(horizons["assignment"], MIN_WORKING_DAY_WARNING), Assignment.created_at,
        )
        .join(
            Assignment, and_(Assignment.letter_id == Letter.id, Assignment.status == "active")
        )
        .where(or_(Letter.reply_due_at.is_(None), Assignment.due_at < Letter.reply_due_at))
    )
    return union_all(acceptance, reply, assignment)


def _rule_for(row: Any, rules: Mapping[str, Mapping[str, DeadlineRule]]) -> DeadlineRule:
    if row.deadline == "reply" and row.rule_code:
        try:
            return DeadlineRule.parse(row.rule_code)
        except DeadlineRuleError:
            pass
    return rules.get(row.letter_type, rules["complaint"])[row.deadline]


async def scan_tenant(
    database: Database, tenant: TenantRef, staff: StaffDirectory, *, now: datetime | None = None
) -> TenantScan:
    now = now or utcnow()
    result = TenantScan(tenant.id)
    try:
        rules = _rules(tenant)
    except DeadlinePolicyError as exc:
        result.error = str(exc)
        return result
    horizons = {deadline: _horizon(rules, deadline) for deadline in DEADLINE_STATES}
    async with tenant_session(database, tenant) as session:
        rows = (await session.execute(candidate_query(now, horizons))).all()
        result.candidates = len(rows)
        new_alerts = []
        for row in rows:
            if row.deadline == "assignment":
                level = assignment_level(row.due_at, row.assigned_at, now)
            else:
                level = warning_level(now, row.due_at, _rule_for(row, rules))
            if level == WarningLevel.NORMAL or (level == WarningLevel.DUE_SOON and row.soon_sent):
                continue
            new_alerts.append((row, level))
        if new_alerts:
            await _record(session, tenant, staff, new_alerts, now, result)
        await session.commit()
    return result


async def _record(
    session: AsyncSession,
    tenant: TenantRef,
    staff: StaffDirectory,
    new_alerts: list[tuple[Any, WarningLevel]],
    now: datetime,
    result: TenantScan,
) -> None:
    by_key = {(row.letter_id, row.deadline, str(level)): row for row, level in new_alerts}
    # A crash losing this commit loses nothing the next scan would not
    # rewrite (the alerts, their notifications and their e-mail job commit or
    # vanish together), so don't wait for the WAL flush: on the first scan
    # after deployment, every tenant commits at once.
    await session.execute(text("SET LOCAL synchronous_commit = off"))
    # executemany with RETURNING: one cached statement, batched by
    # SQLAlchemy's insertmanyvalues, instead of compiling a VALUES list per scan.
    inserted = (
        await session.execute(
            pg_insert(DeadlineAlert.__table__)
            .on_conflict_do_nothing()
            .returning(DeadlineAlert.id, DeadlineAlert.letter_id, DeadlineAlert.deadline,
                       DeadlineAlert.level),
            [
                {
                    "tenant_id": tenant.id, "letter_id": row.letter_id,
                    "deadline": row.deadline, "level": str(level), "due_at": row.due_at,
                    "unit_id": row.unit_id, "created_at": now,
                }
                for row, level in new_alerts
            ],
        )
    ).all()
    if not inserted:
        return
    events: list[dict[str, Any]] = []
    notifications: list[dict[str, Any]] = []
    for alert_id, letter_id, deadline, level in inserted:
        row = by_key[(letter_id, deadline, level)]
        overdue = level == WarningLevel.OVERDUE
        if overdue:
            result.overdue += 1
        else:
            result.due_soon += 1
        what = DEADLINE_LABELS[deadline]
        # An overdue 办理时限 goes back to the registrars who set it; the
        # letter's own deadlines to the supervisors.
        escalated_to = "登记人员" if deadline == "assignment" else "督办"
        message = (
            f"{what}已过（{format_datetime(row.due_at)}），已催办并报{escalated_to}"
            if overdue else f"{what}即将到期，已催办"
        )
        events.append(
            {
                "tenant_id": tenant.id, "letter_id": letter_id,
                "kind": "escalation" if overdue else "urge", "is_public": False,
                "actor_user_id": None, "actor_label": SYSTEM_LABEL, "message": message,
                "data": {"deadline": deadline, "level": level, "alert_id": alert_id},
                "created_at": now,
            }
        )
        responsible = (
            staff.registrars(tenant.id) if deadline == "acceptance"
            else staff.handlers(tenant.id, row.unit_id)
        )
        recipients = [(u, "urge") for u in responsible]
        if overdue:
            escalated = (
                staff.registrars(tenant.id) if deadline == "assignment"
                else staff.supervisors(tenant.id)
            )
            recipients += [(u, "escalation") for u in escalated]
        title = f"【{'超期' if overdue else '催办'}】{row.title}（{what}"
        title += "已过）" if overdue else "即将到期）"
        for user_id, kind in dict(recipients).items():
            notifications.append(
                {
                    "tenant_id": tenant.id, "user_id": user_id, "kind": kind, "title": title[:200],
                    "body": message, "letter_id": letter_id, "link": f"/letters/{letter_id}",
                    "dedupe_key": f"deadline:{alert_id}", "created_at": now,
                }
            )
    # Core inserts with RETURNING: SQLAlchemy batches them into multi-row
    # VALUES (insertmanyvalues) instead of one round trip per row.
    await session.execute(insert(LetterEvent.__table__).returning(LetterEvent.id), events)
    if notifications:
        await session.execute(
            pg_insert(StaffNotification.__table__)
            .on_conflict_do_nothing(index_elements=["user_id", "dedupe_key"])
            .returning(StaffNotification.id),
            notifications,
        )
    enqueue(session, EMAIL_JOB, tenant_id=tenant.id, alert_ids=[a[0] for a in inserted])


async def scan_all_tenants(
    database: Database,
    tenants: Iterable[TenantRef],
    *,
    now: datetime | None = None,
    concurrency: int = SCAN_CONCURRENCY,
) -> ScanReport:
    """Scan every tenant given (the caller passes the active ones)."""
    started = time.perf_counter()
    tenants = [t for t in tenants if t.is_active]
    now = now or utcnow()
    staff = await load_staff_directory(database)
    report = ScanReport(tenants=len(tenants))
    semaphore = asyncio.Semaphore(concurrency)

    async def one(tenant: TenantRef) -> TenantScan:
        async with semaphore:
            try:
                return await scan_tenant(database, tenant, staff, now=now)
            except Exception as exc:  # one broken tenant must not stop the others
                log.exception("deadline scan failed for tenant %s", tenant.id)
                return TenantScan(tenant.id, error=f"{type(exc).__name__}: {exc}")

    for scan in await asyncio.gather(*(one(t) for t in tenants)):
        report.candidates += scan.candidates
        report.due_soon += scan.due_soon
        report.overdue += scan.overdue
        if scan.error:
            report.failed.append((scan.tenant_id, scan.error))
    report.seconds = time.perf_counter() - started
    return report


__all__ = [
    "DEADLINE_STATES", "ScanReport", "StaffDirectory", "TenantScan",
    "load_staff_directory", "scan_all_tenants", "scan_tenant",
]
