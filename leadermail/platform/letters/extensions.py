"""Extension (延期) of a letter's reply deadline: requested, then decided by
the unit head (a leader or the tenant admin), capped at +30 days in total
(《信访工作条例》 art. 34), and told to the citizen with its reason::

    extension = await request_extension(session, tenant, letter, staff, rule="15d",
                                        reason="需要多个部门联合调查")
    await decide_extension(session, tenant, extension, leader, approve=True)

Both verbs run in the caller's transaction and raise :class:`ExtensionError`
(message in Chinese) when the move is not allowed.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, ForeignKey, Identity, String, Text, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Mapped, mapped_column

from leadermail.platform.accounts.models import Role
from leadermail.platform.accounts.policy import Action, StaffUser, can
from leadermail.platform.audit.writer import Actor, record_audit
from leadermail.platform.clock import utcnow
from leadermail.platform.db import TenantBase, TenantScoped
from leadermail.platform.deadlines.assignments import follow_letter_deadline
from leadermail.platform.deadlines.letters import (
    EXTENSIONS_KEY,
    letter_deadlines,
    session_calendar,
)
from leadermail.platform.deadlines.rules import (
    MAX_EXTENSION,
    DeadlineRule,
    DeadlineRuleError,
    Due,
    extend,
)
from leadermail.platform.letters.models import Letter
from leadermail.platform.letters.notices import issue_notice
from leadermail.platform.letters.workflow import add_timeline_event
from leadermail.platform.notifications.console import notify, staff_user_ids
from leadermail.platform.web.templating import format_datetime
from leadermail.tenants.registry import TenantRef

EXTENDABLE_STATES = frozenset({"accepted", "assigned", "awaiting_material"})
STATUS_LABELS = {"requested": "待审批", "approved": "已批准", "rejected": "未批准"}


class ExtensionError(ValueError):
    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class LetterExtension(TenantScoped, TenantBase):
    __tablename__ = "letter_extensions"

    id: Mapped[int] = mapped_column(BigInteger, Identity(), primary_key=True)
    letter_id: Mapped[int] = mapped_column(
        ForeignKey("letters.id", ondelete="CASCADE"), index=True
    )
    rule: Mapped[str] = mapped_column(String(10))
    reason: Mapped[str] = mapped_column(Text)
    #: requested | approved | rejected
    status: Mapped[str] = mapped_column(String(20), default="requested")
    requested_by_user_id: Mapped[int | None] = mapped_column(BigInteger)
    requested_at: Mapped[datetime] = mapped_column(default=utcnow)
    decided_by_user_id: Mapped[int | None] = mapped_column(BigInteger)
    decided_at: Mapped[datetime | None]
    decision_note: Mapped[str | None] = mapped_column(Text)
    previous_due_at: Mapped[datetime | None]
    new_due_at: Mapped[datetime | None]

    @property
    def status_label(self) -> str:
        return STATUS_LABELS.get(self.status, self.status)

    @property
    def rule_label(self) -> str:
        return DeadlineRule.parse(self.rule).label


def _actor(staff: StaffUser) -> Actor:
    return Actor(user_id=staff.user_id, label=staff.display_name)


def _parse_rule(text: str) -> DeadlineRule:
    try:
        rule = DeadlineRule.parse(text)
    except DeadlineRuleError as exc:
        raise ExtensionError(str(exc)) from None
    if rule.nominal_days() > MAX_EXTENSION.nominal_days():
        raise ExtensionError(f"延期不得超过{MAX_EXTENSION.label}（《信访工作条例》第三十四条）")
    return rule


async def pending_extension(session: AsyncSession, letter_id: int) -> LetterExtension | None:
    return (
        await session.execute(
            select(LetterExtension).where(
                LetterExtension.letter_id == letter_id, LetterExtension.status == "requested"
            )
        )
    ).scalars().first()


async def extensions_of(session: AsyncSession, letter_id: int) -> list[LetterExtension]:
    return list(
        (
            await session.execute(
                select(LetterExtension)
                .where(LetterExtension.letter_id == letter_id)
                .order_by(LetterExtension.id)
            )
        ).scalars().all()
    )


async def _extended_due(
    session: AsyncSession, tenant: TenantRef, letter: Letter, rule: DeadlineRule
) -> tuple[Due, Due]:
    """(current due, due after ``rule``), within the 30-day cap in total."""
    if letter.reply_due_at is None:
        raise ExtensionError("该来信尚无答复期限，无需延期")
    calendar = await session_calendar(session)
    dates = letter_deadlines(letter, tenant.settings, calendar)
    current = Due(letter.reply_due_at, letter.deadline_provisional)
    try:
        extended = extend(current, rule, calendar, original_due_at=dates.original_reply.due_at)
    except DeadlineRuleError as exc:
        raise ExtensionError(str(exc)) from None
    return current, extended


async def request_extension(
    session: AsyncSession,
    tenant: TenantRef,
    letter: Letter,
    staff: StaffUser,
    *,
    rule: str,
    reason: str,
) -> LetterExtension:
    if not can(staff, Action.REQUEST_EXTENSION, letter):
        raise ExtensionError("您没有为该来信申请延期的权限")
    if letter.state not in EXTENDABLE_STATES:
        raise ExtensionError("只有已受理、尚未答复的来信可以申请延期")
    if not reason or not reason.strip():
        raise ExtensionError("请写明延期理由（将告知来信人）")
    parsed = _parse_rule(rule)
    if await pending_extension(session, letter.id) is not None:
        raise ExtensionError("该来信已有待审批的延期申请")
    current, extended = await _extended_due(session, tenant, letter, parsed)
    extension = LetterExtension(
        tenant_id=letter.tenant_id,
        letter_id=letter.id,
        rule=parsed.code,
        reason=reason.strip(),
        requested_by_user_id=staff.user_id,
        previous_due_at=current.due_at,
        new_due_at=extended.due_at,
    )
    session.add(extension)
    await session.flush()
    actor = _actor(staff)
    await add_timeline_event(
        session, letter, "extension_requested", actor,
        message=f"申请延期{parsed.label}：{extension.reason}",
        data={"extension_id": extension.id, "rule": parsed.code},
    )
    await record_audit(
        session, tenant_id=letter.tenant_id, actor=actor, action="letter.extension_request",
        object_type="letter", object_id=letter.id,
        data={"extension_id": extension.id, "rule": parsed.code, "reason": extension.reason},
    )
    approvers = await staff_user_ids(
        session, letter.tenant_id, roles={Role.LEADER, Role.TENANT_ADMIN}
    )
    await notify(
        session, letter.tenant_id, [u for u in approvers if u != staff.user_id],
        kind="extension_request", title=f"延期申请待审批：{letter.title}",
        body=f"{staff.display_name}申请延期{parsed.label}，理由：{extension.reason}",
        letter_id=letter.id, link="/notices/extensions",
        dedupe_key=f"extension_request:{extension.id}",
    )
    return extension


async def decide_extension(
    session: AsyncSession,
    tenant: TenantRef,
    extension: LetterExtension,
    staff: StaffUser,
    *,
    approve: bool,
    note: str | None = None,
) -> LetterExtension:
    letter = await session.get(Letter, extension.letter_id)
    assert letter is not None
    if not can(staff, Action.APPROVE_EXTENSION, letter):
        raise ExtensionError("延期须经单位负责人（领导或信箱管理员）批准")
    if extension.status != "requested":
        raise ExtensionError("该延期申请已经处理过了")
    if staff.user_id == extension.requested_by_user_id and Role.TENANT_ADMIN not in staff.roles:
        raise ExtensionError("不能审批自己提出的延期申请")
    actor = _actor(staff)
    now = utcnow()
    extension.decided_by_user_id = staff.user_id
    extension.decided_at = now
    extension.decision_note = (note or "").strip() or None
    if not approve:
        if not extension.decision_note:
            raise ExtensionError("不批准延期时请写明原因")
        extension.status = "rejected"
    else:
        if letter.state not in EXTENDABLE_STATES:
            raise ExtensionError("来信已不在办理中，无法延期")
        current, extended = await _extended_due(
            session, tenant, letter, DeadlineRule.parse(extension.rule)
        )
        extension.status = "approved"
        extension.previous_due_at = current.due_at
        extension.new_due_at = extended.due_at
        extra = dict(letter.extra or {})
        extra[EXTENSIONS_KEY] = [*extra.get(EXTENSIONS_KEY, []), extension.rule]
        letter.extra = extra
        letter.reply_due_at = extended.due_at
        letter.deadline_provisional = extended.provisional
        await follow_letter_deadline(session, letter, current.due_at)
        await issue_notice(
            session, tenant, letter, "extension", actor,
            reason=extension.reason, previous_due_at=current.due_at, new_due_at=extended.due_at,
        )
    await add_timeline_event(
        session, letter, f"extension_{extension.status}", actor,
        message=(
            f"批准延期至{format_datetime(extension.new_due_at)}"
            if approve else f"未批准延期：{extension.decision_note}"
        ),
        data={"extension_id": extension.id},
    )
    await record_audit(
        session, tenant_id=letter.tenant_id, actor=actor,
        action=f"letter.extension_{'approve' if approve else 'reject'}",
        object_type="letter", object_id=letter.id,
        data={
            "extension_id": extension.id,
            "rule": extension.rule,
            "new_due_at": (
                extension.new_due_at.isoformat() if approve and extension.new_due_at else None
            ),
            "note": extension.decision_note,
        },
    )
    if extension.requested_by_user_id is not None:
        await notify(
            session, letter.tenant_id, [extension.requested_by_user_id],
            kind="extension_decision",
            title=f"延期申请{'已批准' if approve else '未批准'}：{letter.title}",
            body=extension.decision_note or "", letter_id=letter.id,
            dedupe_key=f"extension_decision:{extension.id}",
        )
    return extension
