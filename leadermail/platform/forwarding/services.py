"""Forwarding verbs (转办), in one place for callers: forward, accept, object,
decide, urge, complete. Each lives in the module of its side of the leg::

    sending      forward_letter, after_commit, forward_letter_by_id, why_not_forwardable
    receiving    accept_forwarding (签收), report_completion (办结报告)
    objections   object_forwarding (异议), decide_objection (退回 / 改派 / 不成立)
    urging       urge_forwarding (催办)
    access       access_forwarding, ForwardingError, ForwardingNotFound
    steps        the two-sided step all but sending go through

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

from leadermail.platform.forwarding.access import (
    ForwardingError,
    ForwardingNotFound,
    access_forwarding,
    chain_tenant_ids,
    incoming_leg,
)
from leadermail.platform.forwarding.objections import decide_objection, object_forwarding
from leadermail.platform.forwarding.receiving import (
    ANSWERED_STATES,
    accept_forwarding,
    report_completion,
)
from leadermail.platform.forwarding.sending import (
    DEFAULT_DEADLINE,
    FINISHED_STATES,
    after_commit,
    forward_letter,
    forward_letter_by_id,
    is_forwardable,
    why_not_forwardable,
)
from leadermail.platform.forwarding.urging import urge_forwarding

__all__ = [
    "ANSWERED_STATES",
    "DEFAULT_DEADLINE",
    "FINISHED_STATES",
    "ForwardingError",
    "ForwardingNotFound",
    "accept_forwarding",
    "access_forwarding",
    "after_commit",
    "chain_tenant_ids",
    "decide_objection",
    "forward_letter",
    "forward_letter_by_id",
    "incoming_leg",
    "is_forwardable",
    "object_forwarding",
    "report_completion",
    "urge_forwarding",
    "why_not_forwardable",
]
