"""The letter state machine: explicit transitions, each with its timeline event
and audit record.

    await apply_transition(session, letter, "accept", actor)
    await apply_transition(session, letter, "reject", actor, message="不属于本机关职责范围")

An illegal move raises :class:`IllegalTransition` with a message fit to show
the user. Permissions (who may do what) are checked elsewhere, by the policy
module; this module only knows what the letter may become.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import Insert, bindparam, insert, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.sql.selectable import CTE

from leadermail.platform.audit.writer import Actor, record_audit
from leadermail.platform.clock import utcnow
from leadermail.platform.forwarding.matter_events import enqueue_matter_refresh
from leadermail.platform.letters.models import Letter, LetterEvent
from leadermail.platform.replies.review import leave_queue
from leadermail.platform.supervision.events import enqueue_fact_refresh

STATE_LABELS: dict[str, str] = {
    "submitted": "待登记",
    "registered": "待受理",
    "accepted": "已受理",
    "not_accepted": "不予受理",
    "assigned": "办理中",
    "awaiting_material": "待补充材料",
    "replied": "已答复",
    "evaluated": "已评价",
    "closed": "已办结",
    "archived": "已归档",
    "forwarded": "已转办",
    "merged": "已合并",
}

#: States in which the letter still waits for an answer (deadline clocks run).
OPEN_STATES = frozenset({"submitted", "registered", "accepted", "assigned", "awaiting_material"})
#: States in which the matter is in someone's hands (art. 19): open, or
#: forwarded and being handled below. A move into, out of or between them
#: refreshes the shared-schema index of open matters (which shows the state).
MATTER_OPEN_STATES = OPEN_STATES | {"forwarded"}


@dataclass(frozen=True)
class Transition:
    name: str
    label: str
    sources: frozenset[str]
    #: None: the target is computed (back to the state before "awaiting material").
    target: str | None
    #: Does the citizen see this event on the tracking page?
    public: bool
    #: The default timeline text; views may pass a more specific message.
    default_message: str
    requires_message: bool = False


def _t(
    name: str,
    label: str,
    sources: set[str],
    target: str | None,
    public: bool,
    message: str,
    requires_message: bool = False,
) -> Transition:
    return Transition(name, label, frozenset(sources), target, public, message, requires_message)


TRANSITIONS: dict[str, Transition] = {
    t.name: t
    for t in (
        _t("register", "登记", {"submitted"}, "registered", False, "来信已登记"),
        _t("accept", "受理", {"submitted", "registered"}, "accepted", True, "来信已受理"),
        _t(
            "reject",
            "不予受理",
            {"submitted", "registered"},
            "not_accepted",
            True,
            "来信不予受理",
            requires_message=True,
        ),
        _t("assign", "分办", {"accepted", "assigned"}, "assigned", True, "来信已交办理单位办理"),
        _t(
            "request_material",
            "请来信人补充材料",
            {"accepted", "assigned"},
            "awaiting_material",
            True,
            "请您补充相关材料",
            requires_message=True,
        ),
        _t("receive_material", "收到补充材料", {"awaiting_material"}, None, True, "已收到补充材料"),
        _t("send_reply", "发送答复", {"accepted", "assigned"}, "replied", True, "已答复"),
        _t("evaluate", "评价", {"replied"}, "evaluated", True, "来信人已评价"),
        _t(
            "rehandle",
            "重新办理",
            {"evaluated"},
            "assigned",
            True,
            "来信人对答复不满意，已重新办理",
        ),
        _t("close", "办结", {"replied", "evaluated", "not_accepted"}, "closed", True, "已办结"),
        _t("archive", "归档", {"closed"}, "archived", False, "已归档"),
        _t(
            "forward",
            "转办",
            {"submitted", "registered", "accepted", "assigned"},
            "forwarded",
            True,
            "来信已转交有权处理的机关办理",
        ),
        _t(
            "complete_forwarded",
            "转办办结",
            {"forwarded"},
            "replied",
            True,
            "受理机关已办结并答复",
        ),
        _t(
            "merge",
            "合并重复来信",
            {"submitted", "registered", "accepted"},
            "merged",
            True,
            "您反映的问题已与相同诉求的来信合并办理",
            requires_message=False,
        ),
    )
}

#: How often a letter may be handled again after 不满意.
MAX_REHANDLING = 1


class IllegalTransition(Exception):
    """The letter cannot make this move now; ``message`` says why, in Chinese."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


def allowed_transitions(letter: Letter) -> list[Transition]:
    return [
        t for t in TRANSITIONS.values() if letter.state in t.sources and _guard(letter, t) is None
    ]


def _guard(letter: Letter, transition: Transition) -> str | None:
    """Extra rules beyond the source state; returns why not, or None."""
    if transition.name == "rehandle" and letter.rehandle_count >= MAX_REHANDLING:
        return "该来信已重新办理过一次，不能再次重新办理"
    if transition.name == "receive_material" and not (letter.extra or {}).get(
        "state_before_material"
    ):
        return "没有待补充的材料请求"
    return None


def check_transition(letter: Letter, name: str, message: str | None = None) -> Transition:
    transition = TRANSITIONS.get(name)
    if transition is None:
        raise IllegalTransition(f"未知的操作“{name}”")
    if letter.state not in transition.sources:
        state = STATE_LABELS.get(letter.state, letter.state)
        raise IllegalTransition(f"来信当前状态为“{state}”，不能执行“{transition.label}”")
    reason = _guard(letter, transition)
    if reason is not None:
        raise IllegalTransition(reason)
    if transition.requires_message and not (message and message.strip()):
        raise IllegalTransition(f"“{transition.label}”需要填写理由或说明")
    return transition


_TIMESTAMPS = {
    "registered": "registered_at",
    "accepted": "accepted_at",
    "replied": "replied_at",
    "closed": "closed_at",
    "archived": "archived_at",
}


async def add_timeline_event(
    session: AsyncSession,
    letter: Letter,
    kind: str,
    actor: Actor,
    *,
    message: str | None = None,
    public: bool = False,
    data: dict[str, Any] | None = None,
) -> LetterEvent:
    """A timeline entry that is not a state change (notes, urges, notices)."""
    event = LetterEvent(
        letter_id=letter.id,
        **_event_fields(letter.tenant_id, kind, actor, message=message, public=public, data=data),
    )
    session.add(event)
    await session.flush()
    return event


def timeline_event_insert(letter_ids: CTE) -> Insert:
    """:func:`add_timeline_event` for each letter id in ``letter_ids`` (a CTE
    with a ``letter_id`` column), in a statement that writes the letter too;
    its parameters come from :func:`timeline_event_parameters`. Built once
    and reused."""
    table = LetterEvent.__table__
    names = [*_EVENT_FIELDS, "created_at"]
    rows = select(
        letter_ids.c.letter_id,
        *(bindparam(f"event_{name}", type_=table.c[name].type) for name in names),
    )
    return insert(table).from_select(["letter_id", *names], rows, include_defaults=False)


def timeline_event_parameters(
    tenant_id: int,
    kind: str,
    actor: Actor,
    *,
    message: str | None = None,
    public: bool = False,
    data: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """The parameters of :func:`timeline_event_insert`."""
    fields = _event_fields(tenant_id, kind, actor, message=message, public=public, data=data)
    return {f"event_{name}": value for name, value in fields.items()} | {
        "event_created_at": utcnow()
    }


_EVENT_FIELDS = (
    "tenant_id",
    "kind",
    "is_public",
    "actor_user_id",
    "actor_label",
    "message",
    "data",
)


def _event_fields(
    tenant_id: int,
    kind: str,
    actor: Actor,
    *,
    message: str | None,
    public: bool,
    data: dict[str, Any] | None,
) -> dict[str, Any]:
    return {
        "tenant_id": tenant_id,
        "kind": kind,
        "is_public": public,
        "actor_user_id": actor.user_id,
        "actor_label": actor.label,
        "message": message,
        "data": data or {},
    }


async def apply_transition(
    session: AsyncSession,
    letter: Letter,
    name: str,
    actor: Actor,
    *,
    message: str | None = None,
    data: dict[str, Any] | None = None,
) -> LetterEvent:
    """Move ``letter`` along transition ``name``; write timeline + audit.

    Runs in the caller's transaction: the caller commits.
    """
    transition = check_transition(letter, name, message)
    previous = letter.state
    extra = dict(letter.extra or {})
    if transition.name == "request_material":
        extra["state_before_material"] = previous
        target = transition.target
    elif transition.name == "receive_material":
        target = extra.pop("state_before_material")
    else:
        target = transition.target
    assert target is not None
    if transition.name == "rehandle":
        letter.rehandle_count += 1
        letter.replied_at = None
    letter.state = target
    letter.extra = extra
    now = utcnow()
    stamp = _TIMESTAMPS.get(target)
    if stamp is not None:
        setattr(letter, stamp, now)
    letter.updated_at = now
    event = await add_timeline_event(
        session,
        letter,
        transition.name,
        actor,
        message=(message or "").strip() or transition.default_message,
        public=transition.public,
        data={"from": previous, "to": target, **(data or {})},
    )
    await record_audit(
        session,
        tenant_id=letter.tenant_id,
        actor=actor,
        action=f"letter.{transition.name}",
        object_type="letter",
        object_id=letter.id,
        data={"from": previous, "to": target, "message": message, **(data or {})},
    )
    enqueue_fact_refresh(session, letter.tenant_id, letter.id)
    if previous in OPEN_STATES and target not in OPEN_STATES:
        await leave_queue(session, letter)
    if previous != target and (previous in MATTER_OPEN_STATES or target in MATTER_OPEN_STATES):
        enqueue_matter_refresh(session, letter.tenant_id, letter.id)
    return event
