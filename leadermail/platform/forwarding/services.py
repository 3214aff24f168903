"""Forwarding verbs (转办): forward, accept, object, decide, urge, complete.

    leg = await forward_letter(session, context, tenant=city, letter=letter,
                               to_tenant_id=county.id, actor=actor, note="请依法处理",
                               due_at=None, request_key=form_key)
    await session.commit()
    await after_commit(context, leg)      # deliver now; the outbox job is the safety net

All other verbs open their own sessions and return the ledger row::

    await accept_forwarding(context, tenant=county, forwarding_id=leg.id, actor=actor)
    await object_forwarding(context, tenant=county, forwarding_id=leg.id, actor=actor,
                            reason="不属于本县职责")
    await decide_objection(context, tenant=city, forwarding_id=leg.id, actor=actor,
                           decision="return")            # or "reassign" / "dismiss"
    await urge_forwarding(context, tenant=city, forwarding_id=leg.id, actor=actor, message=...)
    await report_completion(context, tenant=county, forwarding_id=leg.id, actor=actor,
                            report="已答复来信人……")

Each verb changes the actor's side and the ledger in one transaction with an
outbox job for the other side (see ``crossings`` for why). Refusals raise
:class:`ForwardingError` whose ``message`` is shown to staff as is.
"""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from leadermail.platform.audit.writer import Actor, record_audit
from leadermail.platform.clock import utcnow
from leadermail.platform.context import AppContext
from leadermail.platform.deadlines.rules import DeadlineRule, compute_due
from leadermail.platform.deadlines.schedule import load_calendar
from leadermail.platform.forwarding.completion import receive_completion_report
from leadermail.platform.forwarding.crossings import deliver_forwarding, record_crossing
from leadermail.platform.forwarding.matter_events import enqueue_matter_refresh
from leadermail.platform.forwarding.matters import fingerprint, letter_text, writer_keys
from leadermail.platform.forwarding.models import (
    OPEN_STATUSES,
    Forwarding,
    ForwardingStatus,
)
from leadermail.platform.jobs.outbox import enqueue
from leadermail.platform.letters.models import Letter
from leadermail.platform.letters.workflow import (
    IllegalTransition,
    add_timeline_event,
    apply_transition,
    check_transition,
)
from leadermail.tenants.registry import TenantRef
from leadermail.tenants.session import tenant_session

#: Default handling deadline when the sender sets none (art. 22: 15 日 to
#: process and hand on; receivers usually get the same).
DEFAULT_DEADLINE = DeadlineRule.parse("15d")
#: States whose letter is finished with: no forwarding any more.
FINISHED_STATES = frozenset(
    {"replied", "evaluated", "closed", "archived", "not_accepted", "merged"}
)


def why_not_forwardable(letter: Letter) -> str | None:
    """Why ``letter`` may not be 转办 now (Chinese), or None when it may."""
    if letter.state in FINISHED_STATES:
        return "来信已办结或已答复，不能再转办"
    if letter.state == "forwarded":
        return "来信已经转办，请在“已转办”中查看进度"
    try:
        check_transition(letter, "forward")
    except IllegalTransition as exc:
        return exc.message
    return None


def is_forwardable(letter: Letter) -> bool:
    """Whether ``letter`` may still be 转办 (:func:`why_not_forwardable` says why not)."""
    return why_not_forwardable(letter) is None


#: Receiver states that count as answered (completion report due).
ANSWERED_STATES = frozenset({"replied", "evaluated", "closed", "archived"})


class ForwardingError(ValueError):
    """A forwarding step refused; ``message`` (Chinese) says why and ``field``
    names the argument at fault ("to_tenant_id", "due_at"), if one is."""

    def __init__(self, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.field = field


class ForwardingNotFound(LookupError):
    """No such forwarding for this tenant (missing and forbidden look the same)."""


async def access_forwarding(
    session: AsyncSession, tenant: TenantRef, forwarding_id: int, *, for_update: bool = False
) -> Forwarding:
    """A ledger row this tenant sent or received, else ForwardingNotFound."""
    leg = await session.get(Forwarding, forwarding_id, with_for_update=for_update)
    if leg is None:
        raise ForwardingNotFound(forwarding_id)
    if tenant.id not in (leg.from_tenant_id, leg.to_tenant_id):
        raise ForwardingNotFound(forwarding_id)
    return leg


async def incoming_leg(session: AsyncSession, letter: Letter) -> Forwarding | None:
    """The leg that brought ``letter`` (a copy) into its tenant, if any."""
    forwarding_id = (letter.extra or {}).get("forwarding_id")
    if forwarding_id is None:
        return None
    return await session.get(Forwarding, int(forwarding_id))


async def chain_tenant_ids(session: AsyncSession, leg: Forwarding | None) -> list[int]:
    """Senders up the chain, nearest first (the tenants a forward must not go back to)."""
    seen: list[int] = []
    while leg is not None and len(seen) < 50:
        seen.append(leg.from_tenant_id)
        leg = await session.get(Forwarding, leg.parent_id) if leg.parent_id else None
    return seen


async def _check_target(
    context: AppContext,
    session: AsyncSession,
    tenant: TenantRef,
    letter: Letter,
    to_tenant_id: int,
) -> TenantRef:
    target = await context.tenants.by_id(to_tenant_id)
    if target is None:
        raise ForwardingError("接收信箱不存在", "to_tenant_id")
    if target.id == tenant.id:
        raise ForwardingError("不能转办给本信箱", "to_tenant_id")
    if not target.is_active:
        raise ForwardingError(f"“{target.name}”已停用，不能接收转办", "to_tenant_id")
    chain = await chain_tenant_ids(session, await incoming_leg(session, letter))
    if target.id in chain:
        raise ForwardingError(
            f"不能转回“{target.name}”：该来信正是经由它转来的，转办不能形成循环；"
            "如认为不属于本机关职责，请提出异议",
            "to_tenant_id",
        )
    return target


async def forward_letter(
    session: AsyncSession,
    context: AppContext,
    *,
    tenant: TenantRef,
    letter: Letter,
    to_tenant_id: int,
    actor: Actor,
    note: str | None = None,
    due_at: datetime | None = None,
    request_key: str | None = None,
    chosen_by: str = "manual",
) -> Forwarding:
    """Forward ``letter`` (in ``session``, the sender's tenant session) to another tenant.

    The caller commits, then calls :func:`after_commit`. ``request_key``
    makes a repeated request return the first leg instead of a second one.
    Routing rules pass ``chosen_by="rule:<id>"``.
    """
    request_key = request_key or uuid.uuid4().hex
    existing = await session.scalar(select(Forwarding).where(Forwarding.request_key == request_key))
    if existing is not None:
        return existing
    if letter.tenant_id != tenant.id:
        raise ForwardingError("来信不属于本信箱")
    refusal = why_not_forwardable(letter)
    if refusal is not None:
        raise ForwardingError(refusal)
    target = await _check_target(context, session, tenant, letter, to_tenant_id)
    return await _create_leg(
        session,
        context,
        tenant=tenant,
        letter=letter,
        target=target,
        actor=actor,
        note=note,
        due_at=due_at,
        request_key=request_key,
        chosen_by=chosen_by,
        parent=await incoming_leg(session, letter),
    )


async def _create_leg(
    session: AsyncSession,
    context: AppContext,
    *,
    tenant: TenantRef,
    letter: Letter,
    target: TenantRef,
    actor: Actor,
    note: str | None,
    due_at: datetime | None,
    request_key: str,
    chosen_by: str,
    parent: Forwarding | None,
) -> Forwarding:
    now = utcnow()
    if due_at is None:
        due_at = compute_due(now, DEFAULT_DEADLINE, await load_calendar(context.database)).due_at
    elif due_at <= now:
        raise ForwardingError("办理期限必须晚于现在", "due_at")
    secret = context.settings.secret_key
    keys = writer_keys(secret, letter.writer_phone, letter.writer_id_number)
    leg = Forwarding(
        request_key=request_key,
        parent_id=parent.id if parent else None,
        root_tenant_id=parent.root_tenant_id if parent else tenant.id,
        root_letter_id=parent.root_letter_id if parent else letter.id,
        tracking_code=parent.tracking_code if parent else letter.tracking_code,
        from_tenant_id=tenant.id,
        from_letter_id=letter.id,
        to_tenant_id=target.id,
        status=ForwardingStatus.PENDING,
        note=(note or "").strip() or None,
        chosen_by=chosen_by,
        due_at=due_at,
        forwarded_by_user_id=actor.user_id,
        forwarded_by_label=actor.label,
        writer_phone_key=keys.phone,
        writer_id_key=keys.id_number,
        fingerprint=fingerprint(secret, letter_text(letter.title, letter.body)),
        created_at=now,
    )
    session.add(leg)
    await session.flush()
    if letter.state != "forwarded":
        extra = dict(letter.extra or {})
        extra["state_before_forward"] = letter.state
        letter.extra = extra
        await apply_transition(
            session,
            letter,
            "forward",
            actor,
            message=f"来信已转交{target.name}办理",
            data={"forwarding_id": leg.id, "to_tenant_id": target.id},
        )
    else:  # 改派: the letter stays forwarded; the new leg is its own event
        await add_timeline_event(
            session,
            letter,
            "forward",
            actor,
            message=f"来信已改派{target.name}办理",
            public=True,
            data={"forwarding_id": leg.id, "to_tenant_id": target.id},
        )
        await record_audit(
            session,
            tenant_id=tenant.id,
            actor=actor,
            action="forwarding.reassigned",
            object_type="letter",
            object_id=letter.id,
            data={"forwarding_id": leg.id, "to_tenant_id": target.id},
        )
    enqueue(session, "deliver_forwarding", forwarding_id=leg.id)
    return leg


async def after_commit(context: AppContext, leg: Forwarding) -> Forwarding:
    """Deliver at once (the outbox job would do it within a second or two);
    returns the ledger row as it is after delivery."""
    await deliver_forwarding(context, leg.id)
    async with context.database.core_session() as session:
        fresh = await session.get(Forwarding, leg.id)
    assert fresh is not None
    return fresh


async def forward_letter_by_id(
    context: AppContext,
    *,
    tenant: TenantRef,
    letter_id: int,
    to_tenant_id: int,
    actor: Actor,
    note: str | None = None,
    due_at: datetime | None = None,
    request_key: str | None = None,
    chosen_by: str = "manual",
) -> Forwarding:
    """Convenience: own session, commit and delivery."""
    async with tenant_session(context.database, tenant) as session:
        letter = await session.get(Letter, letter_id, with_for_update=True)
        if letter is None:
            raise ForwardingError("来信不存在")
        leg = await forward_letter(
            session,
            context,
            tenant=tenant,
            letter=letter,
            to_tenant_id=to_tenant_id,
            actor=actor,
            note=note,
            due_at=due_at,
            request_key=request_key,
            chosen_by=chosen_by,
        )
        await session.commit()
    return await after_commit(context, leg)


# --- the other steps --------------------------------------------------------


def _cross(session: AsyncSession, key: str, **kwargs: object) -> dict[str, object]:
    """Queue a crossing in this transaction; returns it for the inline run."""
    crossing = {"event_key": key, **kwargs}
    enqueue(session, "record_crossing", **crossing)
    return crossing


class _Step:
    """Open the actor's tenant session, lock the leg and the actor's letter."""

    def __init__(
        self, context: AppContext, tenant: TenantRef, forwarding_id: int, side: str
    ) -> None:
        self.context, self.tenant, self.forwarding_id, self.side = (
            context,
            tenant,
            forwarding_id,
            side,
        )
        self.crossings: list[dict[str, object]] = []

    async def __aenter__(self) -> tuple[AsyncSession, Forwarding, Letter]:
        self._cm = tenant_session(self.context.database, self.tenant)
        self.session = await self._cm.__aenter__()
        leg = await access_forwarding(
            self.session, self.tenant, self.forwarding_id, for_update=True
        )
        expected = leg.from_tenant_id if self.side == "sender" else leg.to_tenant_id
        if expected != self.tenant.id:
            raise ForwardingNotFound(self.forwarding_id)
        letter_id = leg.from_letter_id if self.side == "sender" else leg.to_letter_id
        letter = (
            await self.session.get(Letter, letter_id, with_for_update=True) if letter_id else None
        )
        if letter is None:
            raise ForwardingError("转办来信尚未送达，请稍后再试")
        self.leg, self.letter = leg, letter
        return self.session, leg, letter

    async def record(
        self, actor: Actor, kind: str, message: str, action: str, /, **audit: object
    ) -> None:
        """This side's timeline event and audit record of the step (``audit``:
        extra audit data, which may itself hold a "message")."""
        await add_timeline_event(
            self.session,
            self.letter,
            kind,
            actor,
            message=message,
            data={"forwarding_id": self.leg.id},
        )
        await _audit(self.session, self.tenant, actor, action, self.letter, self.leg, **audit)

    def tell_other_side(
        self, key: str, actor: Actor, kind: str, message: str, action: str, /, **extra: object
    ) -> None:
        """Queue the crossing that records the step in the other tenant's letter
        and audit trail (run inline after commit; the outbox is the safety net)."""
        leg = self.leg
        to_sender = self.side == "receiver"
        self.crossings.append(
            _cross(
                self.session,
                f"fwd:{leg.id}:{key}",
                tenant_id=leg.from_tenant_id if to_sender else leg.to_tenant_id,
                letter_id=leg.from_letter_id if to_sender else leg.to_letter_id,
                kind=kind,
                message=message,
                action=action,
                actor_label=f"{self.tenant.name} {actor.label}",
                data={"forwarding_id": leg.id},
                **extra,
            )
        )

    async def __aexit__(self, exc_type, exc, tb) -> None:  # noqa: ANN001
        try:
            if exc_type is None:
                await self.session.commit()
        finally:
            await self._cm.__aexit__(exc_type, exc, tb)
        if exc_type is None:
            for crossing in self.crossings:
                await record_crossing(self.context, **crossing)  # type: ignore[arg-type]


async def _audit(
    session: AsyncSession,
    tenant: TenantRef,
    actor: Actor,
    action: str,
    letter: Letter,
    leg: Forwarding,
    **data: object,
) -> None:
    await record_audit(
        session,
        tenant_id=tenant.id,
        actor=actor,
        action=action,
        object_type="letter",
        object_id=letter.id,
        data={"forwarding_id": leg.id, **data},
    )


async def accept_forwarding(
    context: AppContext, *, tenant: TenantRef, forwarding_id: int, actor: Actor
) -> Forwarding:
    """The receiver signs for the letter (签收) and handles it."""
    step = _Step(context, tenant, forwarding_id, "receiver")
    async with step as (session, leg, letter):
        if leg.status != ForwardingStatus.PENDING:
            raise ForwardingError(f"该转办当前为“{leg.status_label}”，不能签收")
        leg.status, leg.accepted_at = ForwardingStatus.ACCEPTED, utcnow()
        leg.receiver_state = letter.state
        await step.record(actor, "forwarding_accepted", "已签收转办来信", "forwarding.accepted")
        step.tell_other_side(
            "accepted", actor, "forwarding_accepted", f"{tenant.name}已签收", "forwarding.accepted"
        )
    return leg


async def object_forwarding(
    context: AppContext, *, tenant: TenantRef, forwarding_id: int, actor: Actor, reason: str
) -> Forwarding:
    """异议: the receiver says the matter is not its business (art. 23, 5 working days)."""
    if not (reason or "").strip():
        raise ForwardingError("请填写异议理由")
    step = _Step(context, tenant, forwarding_id, "receiver")
    async with step as (session, leg, letter):
        if leg.status not in (ForwardingStatus.PENDING, ForwardingStatus.ACCEPTED):
            raise ForwardingError(f"该转办当前为“{leg.status_label}”，不能提出异议")
        if leg.objection_due_at is not None and utcnow() > leg.objection_due_at:
            raise ForwardingError("已超过异议期限（收到转办后5个工作日内），请继续办理")
        leg.status, leg.objected_at = ForwardingStatus.OBJECTED, utcnow()
        leg.objection_reason = reason.strip()
        await step.record(
            actor,
            "forwarding_objected",
            f"提出异议：{leg.objection_reason}",
            "forwarding.objected",
            reason=leg.objection_reason,
        )
        step.tell_other_side(
            "objected",
            actor,
            "forwarding_objected",
            f"{tenant.name}提出异议：{leg.objection_reason}",
            "forwarding.objected",
        )
    return leg


async def decide_objection(
    context: AppContext,
    *,
    tenant: TenantRef,
    forwarding_id: int,
    actor: Actor,
    decision: str,
    to_tenant_id: int | None = None,
    note: str | None = None,
    due_at: datetime | None = None,
) -> Forwarding:
    """The sender rules on an objection: "return" (退回), "reassign" (改派) or "dismiss".

    Returns the leg decided on (for "reassign", its ``replaced_by_id`` is the new leg).
    """
    if decision not in ("return", "reassign", "dismiss"):
        raise ForwardingError("请选择审核结果")
    step = _Step(context, tenant, forwarding_id, "sender")
    new_leg: Forwarding | None = None
    async with step as (session, leg, letter):
        if leg.status != ForwardingStatus.OBJECTED:
            raise ForwardingError("该转办没有待审核的异议")
        now = utcnow()
        leg.decided_at, leg.decided_by_label = now, actor.label
        leg.decision_note = (note or "").strip() or None
        if decision == "dismiss":
            if not leg.decision_note:
                raise ForwardingError("请说明异议不成立的理由")
            leg.status = ForwardingStatus.ACCEPTED
            message = f"异议不成立，请继续办理：{leg.decision_note}"
            state = None
        else:
            target = None
            if decision == "reassign":
                if to_tenant_id is None:
                    raise ForwardingError("请选择改派的信箱")
                target = await _check_target(context, session, tenant, letter, to_tenant_id)
                if target.id == leg.to_tenant_id:
                    raise ForwardingError("改派对象不能是提出异议的信箱")
            leg.status = (
                ForwardingStatus.RETURNED if target is None else ForwardingStatus.REASSIGNED
            )
            message = (
                "异议成立，来信已退回转出机关"
                if target is None
                else f"异议成立，来信已改派{target.name}"
            )
            state = "forwarded"  # the copy leaves the receiver's hands
            if target is None:
                await _take_back(session, tenant, letter, leg, actor)
            else:
                parent = await session.get(Forwarding, leg.parent_id) if leg.parent_id else None
                new_leg = await _create_leg(
                    session,
                    context,
                    tenant=tenant,
                    letter=letter,
                    target=target,
                    actor=actor,
                    note=leg.note,
                    due_at=due_at,
                    request_key=f"reassign:{leg.id}",
                    chosen_by="manual",
                    parent=parent,
                )
                leg.replaced_by_id = new_leg.id
        await _audit(
            session,
            tenant,
            actor,
            f"forwarding.objection_{decision}",
            letter,
            leg,
            note=leg.decision_note,
        )
        step.tell_other_side(
            decision,
            actor,
            f"forwarding_objection_{decision}",
            message,
            f"forwarding.objection_{decision}",
            state=state,
        )
    if new_leg is not None:
        await deliver_forwarding(context, new_leg.id)
    return leg


async def _take_back(
    session: AsyncSession, tenant: TenantRef, letter: Letter, leg: Forwarding, actor: Actor
) -> None:
    """退回: the sender's letter is its own again, in the state it had before."""
    extra = dict(letter.extra or {})
    previous = extra.pop("state_before_forward", "accepted")
    letter.extra = extra
    letter.state = previous
    letter.updated_at = utcnow()
    enqueue_matter_refresh(session, letter.tenant_id, letter.id)  # the index shows the state
    await add_timeline_event(
        session,
        letter,
        "forwarding_returned",
        actor,
        public=True,
        message="转办未被接收，来信由本机关继续办理",
        data={"forwarding_id": leg.id, "from": "forwarded", "to": previous},
    )


async def urge_forwarding(
    context: AppContext,
    *,
    tenant: TenantRef,
    forwarding_id: int,
    actor: Actor,
    message: str | None = None,
) -> Forwarding:
    """催办: the sender presses the receiver."""
    step = _Step(context, tenant, forwarding_id, "sender")
    async with step as (session, leg, letter):
        if leg.status not in OPEN_STATUSES or leg.to_letter_id is None:
            raise ForwardingError(f"该转办当前为“{leg.status_label}”，无需催办")
        leg.urge_count += 1
        leg.last_urged_at = utcnow()
        text = (message or "").strip() or "请抓紧办理并按期报送办结报告"
        await step.record(
            actor, "forwarding_urged", f"向受理机关催办：{text}", "forwarding.urged", message=text
        )
        step.tell_other_side(
            f"urge:{leg.urge_count}",
            actor,
            "urge",
            f"{tenant.name}催办：{text}",
            "forwarding.urged",
        )
    return leg


async def report_completion(
    context: AppContext,
    *,
    tenant: TenantRef,
    forwarding_id: int,
    actor: Actor,
    report: str,
) -> Forwarding:
    """办结报告: the receiver reports back (art. 22(3)); passes up a chain by itself.

    The sender's letter is answered by it (``completion.receive_completion_report``).
    """
    if not (report or "").strip():
        raise ForwardingError("请填写办结报告")
    step = _Step(context, tenant, forwarding_id, "receiver")
    parent_id: int | None = None
    async with step as (session, leg, letter):
        if leg.status not in (ForwardingStatus.PENDING, ForwardingStatus.ACCEPTED):
            raise ForwardingError(f"该转办当前为“{leg.status_label}”，不能报送办结报告")
        if letter.state not in ANSWERED_STATES and not await _children_completed(session, leg):
            raise ForwardingError("来信尚未答复来信人，答复后才能报送办结报告")
        now = utcnow()
        leg.status, leg.completed_at = ForwardingStatus.COMPLETED, now
        leg.accepted_at = leg.accepted_at or now
        leg.completion_report = report.strip()
        leg.receiver_state = letter.state
        await step.record(actor, "completion_reported", "已报送办结报告", "forwarding.completed")
        # The sender's letter is answered by this report (its own transaction,
        # run inline below; the outbox job is the safety net).
        enqueue(
            session,
            "receive_completion_report",
            forwarding_id=leg.id,
            actor_label=actor.label,
        )
        parent_id = leg.parent_id
    await receive_completion_report(context, forwarding_id=leg.id, actor_label=actor.label)
    if parent_id is not None:
        await _pass_up(context, parent_id, leg)
    return leg


async def _children_completed(session: AsyncSession, leg: Forwarding) -> bool:
    """A pass-through tenant (it forwarded the copy on) may report once its leg below did."""
    return bool(
        await session.scalar(
            select(Forwarding.id).where(
                Forwarding.parent_id == leg.id, Forwarding.status == ForwardingStatus.COMPLETED
            )
        )
    )


async def _pass_up(context: AppContext, parent_id: int, child: Forwarding) -> None:
    """The middle of a chain forwards the report up by itself (it did not handle the matter)."""
    async with context.database.core_session() as session:
        parent = await session.get(Forwarding, parent_id)
    if parent is None or parent.status not in (ForwardingStatus.PENDING, ForwardingStatus.ACCEPTED):
        return
    middle = await context.tenants.by_id(parent.to_tenant_id)
    receiver = await context.tenants.by_id(child.to_tenant_id)
    assert middle is not None and receiver is not None
    await report_completion(
        context,
        tenant=middle,
        forwarding_id=parent.id,
        actor=Actor.system(f"{middle.name}（转报）"),
        report=f"经{receiver.name}办理：{child.completion_report}",
    )
