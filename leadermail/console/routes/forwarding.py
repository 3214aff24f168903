"""转办 between tenants in the console.

    GET  /console/forwarding                        sent and received legs, appeals to answer
    GET  /console/forwarding/new?letter=ID          choose the tenant, note, deadline
    POST /console/forwarding                        forward
    GET  /console/forwarding/{id}                   one leg (either side)
    POST /console/forwarding/{id}/{verb}            accept | object | decide | urge | report

Appeals received are in ``appeals``, a letter's art. 19 flag in
``forwarding_matters``.

Legs are fetched only through ``access_forwarding`` (this tenant sent or
received it; anything else is the same 404 as a missing one), letters only
through ``access_letter_by_id``.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime, time
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import ColumnElement, select
from sqlalchemy.ext.asyncio import AsyncSession
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from leadermail.console.auth import require_staff
from leadermail.console.flash import flash
from leadermail.console.forwarding_pages import back_to, staff_actor, tenant_names
from leadermail.console.rendering import renderer_for
from leadermail.platform.accounts.policy import Action
from leadermail.platform.appeals.models import Appeal
from leadermail.platform.clock import utcnow
from leadermail.platform.context import AppContext
from leadermail.platform.forwarding import services
from leadermail.platform.forwarding.models import Forwarding, ForwardingStatus
from leadermail.platform.forwarding.progress import progress_synced_at
from leadermail.platform.forwarding.services import ForwardingError, ForwardingNotFound
from leadermail.platform.forwarding.tracking import final_reply_below
from leadermail.platform.letters.access import LetterNotFound, access_letter_by_id
from leadermail.platform.letters.models import Letter
from leadermail.platform.letters.workflow import STATE_LABELS
from leadermail.platform.web.requests import app_context
from leadermail.tenants.registry import TenantRef
from leadermail.tenants.session import tenant_session

SHANGHAI = ZoneInfo("Asia/Shanghai")


#: Legs per list on the overview (the newest); the page says when there are more.
SHOWN_LEGS = 200


async def _newest_legs(session: AsyncSession, condition: ColumnElement[bool]) -> list[Forwarding]:
    """One more than shown, so the page knows whether there are more."""
    statement = (
        select(Forwarding)
        .where(condition)
        .order_by(Forwarding.created_at.desc(), Forwarding.id.desc())
        .limit(SHOWN_LEGS + 1)
    )
    return list((await session.execute(statement)).scalars())


async def _own_states(
    context: AppContext, tenant: TenantRef, legs: list[Forwarding]
) -> dict[int, str]:
    """This tenant's copies' states now (the ledger's ``receiver_state`` of a
    received leg is this tenant's own letter, which it may read at once)."""
    ids = [leg.to_letter_id for leg in legs if leg.to_letter_id is not None]
    if not ids:
        return {}
    async with tenant_session(context.database, tenant, transaction=False) as session:
        rows = await session.execute(select(Letter.id, Letter.state).where(Letter.id.in_(ids)))
        return {letter_id: state for letter_id, state in rows}


async def overview(request: Request) -> Response:
    staff = await require_staff(request, Action.VIEW_INBOX)
    context = app_context(request)
    generated_at = utcnow()
    async with context.database.core_session() as session:
        sent = await _newest_legs(session, Forwarding.from_tenant_id == staff.tenant.id)
        received = await _newest_legs(session, Forwarding.to_tenant_id == staff.tenant.id)
        appeals = (
            (
                await session.execute(
                    select(Appeal)
                    .where(Appeal.to_tenant_id == staff.tenant.id)
                    .order_by(Appeal.id.desc())
                    .limit(100)
                )
            )
            .scalars()
            .all()
        )
    ctx = {
        "sent": sent[:SHOWN_LEGS],
        "received": received[:SHOWN_LEGS],
        "more_sent": len(sent) > SHOWN_LEGS,
        "more_received": len(received) > SHOWN_LEGS,
        "shown_legs": SHOWN_LEGS,
        "own_states": await _own_states(context, staff.tenant, received[:SHOWN_LEGS]),
        # The ledger columns are read now; the receivers' progress is as of the sweep.
        "generated_at": generated_at,
        "synced_at": await progress_synced_at(context.redis),
        "appeals": appeals,
        "names": await tenant_names(request),
        "state_labels": STATE_LABELS,
    }
    return renderer_for(context).render(request, "forwarding/overview.html", ctx)


@dataclass(frozen=True)
class _LetterHeading:
    """What the form shows of the letter (kept after the session is gone)."""

    id: int
    title: str


#: ForwardingError.field → the form's input.
_FORM_FIELDS = {"to_tenant_id": "to_tenant_id", "due_at": "due_date"}


async def _form_page(
    request: Request,
    staff,  # noqa: ANN001
    letter: _LetterHeading,
    *,
    refusal: str | None = None,
    values: dict[str, str] | None = None,
    errors: dict[str, str] | None = None,
    status_code: int = 200,
) -> Response:
    context = app_context(request)
    values = values or {}
    ctx = {
        "letter": letter,
        "refusal": refusal,
        "targets": [
            t for t in await context.tenants.all() if t.is_active and t.id != staff.tenant.id
        ],
        "values": values,
        "errors": errors or {},
        "request_key": values.get("request_key") or uuid.uuid4().hex,
    }
    return renderer_for(context).render(
        request, "forwarding/new.html", ctx, status_code=status_code
    )


async def new_form(request: Request) -> Response:
    staff = await require_staff(request, Action.FORWARD)
    context = app_context(request)
    letter_id = request.query_params.get("letter", "")
    if not letter_id.isdigit():
        raise HTTPException(404)
    async with tenant_session(context.database, staff.tenant) as session:
        try:
            letter = await access_letter_by_id(session, staff, int(letter_id))
        except LetterNotFound:
            raise HTTPException(404) from None
        heading = _LetterHeading(letter.id, letter.title)
        # Say so now rather than offer a form that can only fail.
        refusal = services.why_not_forwardable(letter)
    return await _form_page(request, staff, heading, refusal=refusal)


def _due(value: str) -> datetime | None:
    """A date from the form means the end of that day in Shanghai."""
    if not value:
        return None
    day = datetime.strptime(value, "%Y-%m-%d").date()
    return datetime.combine(day, time(23, 59, 59), SHANGHAI)


async def create(request: Request) -> Response:
    """Forward, or the form again (422) with the error by its field and the input kept."""
    staff = await require_staff(request, Action.FORWARD)
    context = app_context(request)
    form = await request.form()
    values = {
        name: str(form.get(name, ""))
        for name in ("letter_id", "to_tenant_id", "note", "due_date", "request_key")
    }
    if not values["letter_id"].isdigit():
        raise HTTPException(404)
    errors: dict[str, str] = {}
    if not values["to_tenant_id"].isdigit():
        errors["to_tenant_id"] = "请选择接收转办的信箱"
    due_at = None
    try:
        due_at = _due(values["due_date"])
    except ValueError:
        errors["due_date"] = "办理期限格式不正确"
    async with tenant_session(context.database, staff.tenant) as session:
        try:
            letter = await access_letter_by_id(
                session, staff, int(values["letter_id"]), for_update=True
            )
        except LetterNotFound:
            raise HTTPException(404) from None
        heading = _LetterHeading(letter.id, letter.title)
        if not errors:
            try:
                leg = await services.forward_letter(
                    session,
                    context,
                    tenant=staff.tenant,
                    letter=letter,
                    to_tenant_id=int(values["to_tenant_id"]),
                    actor=staff_actor(request, staff),
                    note=values["note"],
                    due_at=due_at,
                    request_key=f"console:{values['request_key'] or uuid.uuid4().hex}",
                )
                await session.commit()
            except ForwardingError as exc:
                errors[_FORM_FIELDS.get(exc.field or "", "form")] = exc.message
        # E.g. forwarded by a colleague meanwhile: no form to try again with.
        refusal = services.why_not_forwardable(letter) if "form" in errors else None
    if errors:
        return await _form_page(
            request, staff, heading, refusal=refusal, values=values, errors=errors,
            status_code=422,
        )
    leg = await services.after_commit(context, leg)
    flash(request, "已转办")
    return back_to(request, f"/forwarding/{leg.id}")


async def _leg(request: Request, staff) -> Forwarding:  # noqa: ANN001
    context = app_context(request)
    async with context.database.core_session() as session:
        try:
            return await services.access_forwarding(
                session, staff.tenant, int(request.path_params["forwarding_id"])
            )
        except ForwardingNotFound:
            raise HTTPException(404) from None


async def _detail_page(
    request: Request,
    staff,  # noqa: ANN001
    leg: Forwarding,
    *,
    values: dict[str, str] | None = None,
    errors: dict[str, str] | None = None,
    status_code: int = 200,
) -> Response:
    """The leg's page; a refused step comes back with its error by its form
    (``errors[verb]``) and what was typed (``values``)."""
    context = app_context(request)
    ctx = {
        "leg": leg,
        "names": await tenant_names(request),
        "state_labels": STATE_LABELS,
        # The answer the citizen got from whoever handled it below.
        "final_reply": await final_reply_below(context, leg) if leg.completed_at else None,
        "side": "sender" if leg.from_tenant_id == staff.tenant.id else "receiver",
        "targets": [
            t
            for t in await context.tenants.all()
            if t.is_active and t.id not in (staff.tenant.id, leg.to_tenant_id)
        ],
        "values": values or {},
        "errors": errors or {},
        "synced_at": await progress_synced_at(context.redis),
    }
    return renderer_for(context).render(
        request, "forwarding/detail.html", ctx, status_code=status_code
    )


async def detail(request: Request) -> Response:
    staff = await require_staff(request, Action.VIEW_INBOX)
    return await _detail_page(request, staff, await _leg(request, staff))


VERBS = {"accept", "object", "decide", "urge", "report"}
#: What each step's form may send (kept when the step is refused).
_STEP_FIELDS = ("reason", "message", "report", "decision", "to_tenant_id", "note")


async def _take_step(
    context: AppContext,
    verb: str,
    common: dict[str, Any],
    values: dict[str, str],
    names: dict[int, str],
) -> str:
    """Run ``verb`` on the leg; returns what to tell the member of staff."""
    if verb == "accept":
        await services.accept_forwarding(context, **common)
        return "已签收。请在办理期限内办理，答复来信人后报送办结报告"
    if verb == "object":
        leg = await services.object_forwarding(context, **common, reason=values["reason"])
        return f"已提出异议，等待{names.get(leg.from_tenant_id, '转出机关')}审核"
    if verb == "urge":
        leg = await services.urge_forwarding(context, **common, message=values["message"])
        return f"已向{names.get(leg.to_tenant_id, '受理机关')}催办"
    if verb == "report":
        await services.report_completion(context, **common, report=values["report"])
        return "已报送办结报告"
    target = values["to_tenant_id"]
    leg = await services.decide_objection(
        context,
        **common,
        decision=values["decision"],
        to_tenant_id=int(target) if target.isdigit() else None,
        note=values["note"],
    )
    if leg.status == ForwardingStatus.RETURNED:
        return "已同意退回：来信由本机关继续办理"
    if leg.status == ForwardingStatus.REASSIGNED:
        return f"已改派{names.get(int(target), '其他信箱')}办理"
    return f"已驳回异议：由{names.get(leg.to_tenant_id, '受理机关')}继续办理"


async def act(request: Request) -> Response:
    verb = request.path_params["verb"]
    if verb not in VERBS:
        raise HTTPException(404)
    staff = await require_staff(request, Action.URGE if verb == "urge" else Action.FORWARD)
    leg = await _leg(request, staff)
    context = app_context(request)
    form = await request.form()
    values = {name: str(form.get(name, "")) for name in _STEP_FIELDS}
    common = {"tenant": staff.tenant, "forwarding_id": leg.id, "actor": staff_actor(request, staff)}
    try:
        done = await _take_step(context, verb, common, values, await tenant_names(request))
    except ForwardingNotFound:
        raise HTTPException(404) from None
    except ForwardingError as exc:
        # The leg as it is now (a colleague may have moved it meanwhile).
        leg = await _leg(request, staff)
        return await _detail_page(
            request, staff, leg, values=values, errors={verb: exc.message}, status_code=422
        )
    flash(request, done)
    return back_to(request, f"/forwarding/{leg.id}")


routes = [
    Route("/forwarding", overview, methods=["GET"]),
    Route("/forwarding", create, methods=["POST"]),
    Route("/forwarding/new", new_form, methods=["GET"]),
    Route("/forwarding/{forwarding_id:int}", detail, methods=["GET"]),
    Route("/forwarding/{forwarding_id:int}/{verb:str}", act, methods=["POST"]),
]
