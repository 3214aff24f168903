"""转办 between tenants, and 复查/复核 received, in the console.

    GET  /console/forwarding                        sent and received legs, appeals to answer
    GET  /console/forwarding/new?letter=ID          choose the tenant, note, deadline
    POST /console/forwarding                        forward
    GET  /console/forwarding/{id}                   one leg (either side)
    POST /console/forwarding/{id}/{verb}            accept | object | decide | urge | report
    GET  /console/appeals/{id}                      an appeal received
    POST /console/appeals/{id}/answer               the written opinion
    GET  /console/forwarding/matter/{letter_id}     a letter's art. 19 flag (the letter
                                                    page pulls it in with htmx)
    POST /console/forwarding/matter/{letter_id}/link  link the letter to the matter in hand

Legs are fetched only through ``access_forwarding`` (this tenant sent or
received it; anything else is the same 404 as a missing one), letters only
through ``access_letter_by_id``.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime, time
from zoneinfo import ZoneInfo

from sqlalchemy import or_, select
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from leadermail.console.auth import require_staff
from leadermail.console.flash import flash
from leadermail.console.rendering import renderer_for
from leadermail.platform.accounts.models import Membership
from leadermail.platform.accounts.policy import Action, StaffUser, role_allows
from leadermail.platform.appeals.models import Appeal
from leadermail.platform.appeals.services import AppealError, AppealNotFound, answer_appeal
from leadermail.platform.audit.writer import Actor
from leadermail.platform.context import AppContext
from leadermail.platform.forwarding import services
from leadermail.platform.forwarding.crossings import record_crossing
from leadermail.platform.forwarding.matter_links import MatterStatus, link_to_matter, matter_status
from leadermail.platform.forwarding.models import Forwarding
from leadermail.platform.forwarding.services import ForwardingError, ForwardingNotFound
from leadermail.platform.forwarding.tracking import final_reply_below
from leadermail.platform.letters.access import LetterNotFound, access_letter_by_id
from leadermail.platform.letters.workflow import STATE_LABELS
from leadermail.platform.web.requests import app_context, client_ip, tenant_url
from leadermail.tenants.registry import TenantRef
from leadermail.tenants.session import tenant_session

SHANGHAI = ZoneInfo("Asia/Shanghai")


def _actor(request: Request, staff) -> Actor:  # noqa: ANN001
    return Actor(user_id=staff.user_id, label=staff.display_name, ip_address=client_ip(request))


def _back(request: Request, path: str) -> RedirectResponse:
    return RedirectResponse(tenant_url(request, f"/console{path}"), status_code=303)


async def _names(request: Request) -> dict[int, str]:
    return {t.id: t.name for t in await app_context(request).tenants.all()}


async def overview(request: Request) -> Response:
    staff = await require_staff(request, Action.VIEW_INBOX)
    context = app_context(request)
    async with context.database.core_session() as session:
        legs = (
            (
                await session.execute(
                    select(Forwarding)
                    .where(
                        or_(
                            Forwarding.from_tenant_id == staff.tenant.id,
                            Forwarding.to_tenant_id == staff.tenant.id,
                        )
                    )
                    .order_by(Forwarding.id.desc())
                    .limit(200)
                )
            )
            .scalars()
            .all()
        )
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
        "sent": [leg for leg in legs if leg.from_tenant_id == staff.tenant.id],
        "received": [leg for leg in legs if leg.to_tenant_id == staff.tenant.id],
        "appeals": appeals,
        "names": await _names(request),
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
                    actor=_actor(request, staff),
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
    return _back(request, f"/forwarding/{leg.id}")


async def _leg(request: Request, staff) -> Forwarding:  # noqa: ANN001
    context = app_context(request)
    async with context.database.core_session() as session:
        try:
            return await services.access_forwarding(
                session, staff.tenant, int(request.path_params["forwarding_id"])
            )
        except ForwardingNotFound:
            raise HTTPException(404) from None


async def detail(request: Request) -> Response:
    staff = await require_staff(request, Action.VIEW_INBOX)
    leg = await _leg(request, staff)
    context = app_context(request)
    ctx = {
        "leg": leg,
        "names": await _names(request),
        "state_labels": STATE_LABELS,
        # The answer the citizen got from whoever handled it below.
        "final_reply": await final_reply_below(context, leg) if leg.completed_at else None,
        "side": "sender" if leg.from_tenant_id == staff.tenant.id else "receiver",
        "targets": [
            t
            for t in await context.tenants.all()
            if t.is_active and t.id not in (staff.tenant.id, leg.to_tenant_id)
        ],
    }
    return renderer_for(context).render(request, "forwarding/detail.html", ctx)


VERBS = {"accept", "object", "decide", "urge", "report"}


async def act(request: Request) -> Response:
    verb = request.path_params["verb"]
    if verb not in VERBS:
        raise HTTPException(404)
    staff = await require_staff(request, Action.URGE if verb == "urge" else Action.FORWARD)
    leg = await _leg(request, staff)
    context = app_context(request)
    form = await request.form()
    common = {"tenant": staff.tenant, "forwarding_id": leg.id, "actor": _actor(request, staff)}
    try:
        if verb == "accept":
            await services.accept_forwarding(context, **common)
        elif verb == "object":
            await services.object_forwarding(context, **common, reason=str(form.get("reason", "")))
        elif verb == "urge":
            await services.urge_forwarding(context, **common, message=str(form.get("message", "")))
        elif verb == "report":
            await services.report_completion(context, **common, report=str(form.get("report", "")))
        else:
            target = str(form.get("to_tenant_id", ""))
            await services.decide_objection(
                context,
                **common,
                decision=str(form.get("decision", "")),
                to_tenant_id=int(target) if target.isdigit() else None,
                note=str(form.get("note", "")),
            )
        flash(request, "已办理")
    except ForwardingNotFound:
        raise HTTPException(404) from None
    except ForwardingError as exc:
        flash(request, exc.message, error=True)
    return _back(request, f"/forwarding/{leg.id}")


async def _appeal(request: Request, staff) -> Appeal:  # noqa: ANN001
    async with app_context(request).database.core_session() as session:
        appeal = await session.get(Appeal, int(request.path_params["appeal_id"]))
    if appeal is None or appeal.to_tenant_id != staff.tenant.id:
        raise HTTPException(404)
    return appeal


async def appeal_detail(request: Request) -> Response:
    staff = await require_staff(request, Action.VIEW_INBOX)
    appeal = await _appeal(request, staff)
    ctx = {"appeal": appeal, "names": await _names(request)}
    return renderer_for(app_context(request)).render(request, "forwarding/appeal.html", ctx)


async def appeal_answer(request: Request) -> Response:
    staff = await require_staff(request, Action.SEND_REPLY)
    appeal = await _appeal(request, staff)
    form = await request.form()
    try:
        await answer_appeal(
            app_context(request),
            tenant=staff.tenant,
            appeal_id=appeal.id,
            actor=_actor(request, staff),
            outcome=str(form.get("outcome", "")),
            opinion=str(form.get("opinion", "")),
        )
        flash(request, "已出具意见")
    except AppealNotFound:
        raise HTTPException(404) from None
    except AppealError as exc:
        flash(request, exc.message, error=True)
    return _back(request, f"/appeals/{appeal.id}")


async def _may_view_letters_of(context: AppContext, staff: StaffUser, tenant_id: int) -> bool:
    """Does this user also hold a role in ``tenant_id`` that may read its letters?

    Province staff see another tenant's letter only through their own
    membership there; everyone else gets the flag without a link.
    """
    if tenant_id == staff.tenant.id:
        return True
    async with context.database.core_session() as session:
        roles = (
            await session.scalars(
                select(Membership.role).where(
                    Membership.user_id == staff.user_id,
                    Membership.tenant_id == tenant_id,
                    Membership.is_active.is_(True),
                )
            )
        ).all()
    return role_allows(frozenset(roles), Action.VIEW_LETTER)


def _console_url(request: Request, tenant: TenantRef, path: str) -> str:
    """A console link into another tenant, on the kind of address in use."""
    prefix = getattr(request.state, "tenant_prefix", "")
    if not prefix and tenant.domains:
        return f"https://{tenant.domains[0]}/console{path}"
    return f"/t/{tenant.slug}/console{path}"


async def matter_flag(request: Request) -> Response:
    staff = await require_staff(request, Action.VIEW_LETTER)
    context = app_context(request)
    async with tenant_session(context.database, staff.tenant) as session:
        try:
            letter = await access_letter_by_id(
                session, staff, request.path_params["letter_id"], ip_address=client_ip(request)
            )
        except LetterNotFound:
            raise HTTPException(404) from None
        await session.commit()  # the audit record of reading a 举报
    status: MatterStatus | None = await matter_status(context, staff.tenant, letter)
    link = None
    if (
        status is not None
        and status.holder is not None
        and status.target_letter_id is not None
        and status.target_tenant_id is not None
        and await _may_view_letters_of(context, staff, status.target_tenant_id)
    ):
        link = _console_url(request, status.holder, f"/letters/{status.target_letter_id}")
        if status.target_tenant_id == staff.tenant.id:
            link = tenant_url(request, f"/console/letters/{status.target_letter_id}")
    ctx = {
        "letter": letter,
        "status": status,
        "matter_link": link,
        "may_link": role_allows(staff.roles, Action.MERGE),
    }
    return renderer_for(context).render(
        request, "forwarding/matter.html", ctx, fragment="matter_flag"
    )


async def matter_link(request: Request) -> Response:
    staff = await require_staff(request, Action.MERGE)
    context = app_context(request)
    letter_id = request.path_params["letter_id"]
    try:
        async with tenant_session(context.database, staff.tenant) as session:
            letter = await access_letter_by_id(
                session, staff, letter_id, ip_address=client_ip(request), for_update=True
            )
            crossing = await link_to_matter(
                session, context, tenant=staff.tenant, letter=letter, actor=_actor(request, staff)
            )
            await session.commit()
    except LetterNotFound:
        raise HTTPException(404) from None
    except ForwardingError as exc:
        flash(request, exc.message, error=True)
        return _back(request, f"/letters/{letter_id}")
    await record_crossing(context, **crossing)
    flash(request, "已关联至正在办理的事项，并告知来信人")
    return _back(request, f"/letters/{letter_id}")


routes = [
    Route("/forwarding", overview, methods=["GET"]),
    Route("/forwarding", create, methods=["POST"]),
    Route("/forwarding/new", new_form, methods=["GET"]),
    Route("/forwarding/{forwarding_id:int}", detail, methods=["GET"]),
    Route("/forwarding/{forwarding_id:int}/{verb:str}", act, methods=["POST"]),
    Route("/appeals/{appeal_id:int}", appeal_detail, methods=["GET"]),
    Route("/appeals/{appeal_id:int}/answer", appeal_answer, methods=["POST"]),
    Route("/forwarding/matter/{letter_id:int}", matter_flag, methods=["GET"]),
    Route("/forwarding/matter/{letter_id:int}/link", matter_link, methods=["POST"]),
]
