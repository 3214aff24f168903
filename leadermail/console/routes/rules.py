"""Routing rules in the console (分办规则), for tenant admins.

    GET  /console/rules                  the ordered catalogue
    GET  /console/rules/new              form;  POST /console/rules  create
    GET  /console/rules/{id}             form;  POST /console/rules/{id}  update
    POST /console/rules/{id}/delete      POST /console/rules/{id}/move  (direction=up|down)
    POST /console/rules/preview          htmx: the draft tried on the last 500 letters

Every change is audited by the routing services; an invalid rule comes back
with every reason listed (422).
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from leadermail.console.auth import require_staff
from leadermail.console.flash import console_url
from leadermail.console.rendering import renderer_for
from leadermail.platform.accounts.policy import Action, StaffUser
from leadermail.platform.audit.writer import Actor
from leadermail.platform.letters.models import CHANNEL_LABELS, LETTER_TYPE_LABELS, Category, Unit
from leadermail.platform.routing.models import RoutingRule
from leadermail.platform.routing.preview import preview_rule
from leadermail.platform.routing.rules import (
    KEYWORD_MODES,
    PRIORITY_LABELS,
    RuleDraft,
    RuleError,
    describe_conditions,
    validate_rule,
)
from leadermail.platform.routing.services import (
    access_rule,
    create_rule,
    delete_rule,
    list_rules,
    move_rule,
    rule_context,
    update_rule,
)
from leadermail.platform.web.requests import app_context, client_ip, current_tenant
from leadermail.tenants.session import tenant_session


def _actor(request: Request, staff: StaffUser) -> Actor:
    return Actor(staff.user_id, staff.display_name, client_ip(request))


async def _other_tenants(request: Request) -> list[Any]:
    tenant = current_tenant(request)
    tenants = await app_context(request).tenants.all()
    return [t for t in tenants if t.is_active and t.id != tenant.id]


async def _choices(session: Any, request: Request) -> dict[str, Any]:
    units = (
        await session.execute(select(Unit).where(Unit.is_active.is_(True)).order_by(Unit.id))
    ).scalars().all()
    categories = (
        await session.execute(
            select(Category).where(Category.is_active.is_(True)).order_by(Category.position)
        )
    ).scalars().all()
    return {
        "units": units,
        "categories": categories,
        "tenants": await _other_tenants(request),
        "type_labels": LETTER_TYPE_LABELS,
        "channel_labels": CHANNEL_LABELS,
        "priority_labels": PRIORITY_LABELS,
        "keyword_modes": KEYWORD_MODES,
    }


def _draft_of(rule: RoutingRule) -> RuleDraft:
    conditions = rule.conditions or {}
    return RuleDraft(
        name=rule.name,
        letter_types=list(conditions.get("letter_types", [])),
        category_ids=[str(c) for c in conditions.get("category_ids", [])],
        regions=" ".join(conditions.get("regions", [])),
        channels=list(conditions.get("channels", [])),
        keywords="，".join(conditions.get("keywords", [])),
        keyword_mode=conditions.get("keyword_mode", "any"),
        assign_unit_id=str(rule.assign_unit_id or ""),
        set_priority=rule.set_priority or "",
        deadline_rule=rule.deadline_rule or "",
        forward_tenant_id=str(rule.forward_tenant_id or ""),
        is_active=rule.is_active,
    )


async def rules_page(request: Request) -> Response:
    await require_staff(request, Action.MANAGE_RULES)
    context = app_context(request)
    async with tenant_session(context.database, current_tenant(request)) as session:
        rules = await list_rules(session)
        choices = await _choices(session, request)
    categories = {c.id: c.name for c in choices["categories"]}
    units = {u.id: u.name for u in choices["units"]}
    tenants = {t.id: t.name for t in choices["tenants"]}
    rows = [
        {
            "rule": rule,
            "conditions": describe_conditions(rule.conditions, categories),
            "unit": units.get(rule.assign_unit_id) if rule.assign_unit_id else None,
            "forward": tenants.get(rule.forward_tenant_id, f"信箱 {rule.forward_tenant_id}")
            if rule.forward_tenant_id else None,
        }
        for rule in rules
    ]
    return renderer_for(context).render(
        request, "rules/list.html", {"rows": rows, "priority_labels": PRIORITY_LABELS}
    )


async def _form(
    request: Request,
    draft: RuleDraft,
    rule: RoutingRule | None,
    errors: list[str],
    status: int = 200,
) -> Response:
    context = app_context(request)
    async with tenant_session(context.database, current_tenant(request)) as session:
        choices = await _choices(session, request)
    return renderer_for(context).render(
        request, "rules/form.html", {"draft": draft, "rule": rule, "errors": errors, **choices},
        status_code=status,
    )


async def new_rule(request: Request) -> Response:
    await require_staff(request, Action.MANAGE_RULES)
    return await _form(request, RuleDraft(), None, [])


async def edit_rule(request: Request) -> Response:
    await require_staff(request, Action.MANAGE_RULES)
    context = app_context(request)
    async with tenant_session(context.database, current_tenant(request)) as session:
        rule = await _rule_or_404(session, request)
    return await _form(request, _draft_of(rule), rule, [])


async def _rule_or_404(session: Any, request: Request) -> RoutingRule:
    try:
        return await access_rule(session, int(request.path_params["rule_id"]))
    except RuleError:
        raise HTTPException(404, "没有找到这条分办规则") from None


async def _draft_from(request: Request) -> RuleDraft:
    form = await request.form()
    return RuleDraft.from_form(form, form.getlist)


async def save_rule(request: Request) -> Response:
    staff = await require_staff(request, Action.MANAGE_RULES)
    context = app_context(request)
    tenant = current_tenant(request)
    draft = await _draft_from(request)
    tenant_ids = [t.id for t in await _other_tenants(request)]
    rule: RoutingRule | None = None
    async with tenant_session(context.database, tenant) as session:
        try:
            if "rule_id" in request.path_params:
                rule = await _rule_or_404(session, request)
                await update_rule(session, tenant, rule, draft, _actor(request, staff),
                                  tenant_ids=tenant_ids)
            else:
                await create_rule(session, tenant, draft, _actor(request, staff),
                                  tenant_ids=tenant_ids)
        except RuleError as exc:
            await session.rollback()
            return await _form(request, draft, rule, exc.errors, status=422)
        await session.commit()
    return RedirectResponse(console_url(request, "/rules"), status_code=303)


async def remove_rule(request: Request) -> Response:
    staff = await require_staff(request, Action.MANAGE_RULES)
    context = app_context(request)
    tenant = current_tenant(request)
    async with tenant_session(context.database, tenant) as session:
        rule = await _rule_or_404(session, request)
        await delete_rule(session, tenant, rule, _actor(request, staff))
        await session.commit()
    return RedirectResponse(console_url(request, "/rules"), status_code=303)


async def reorder_rule(request: Request) -> Response:
    staff = await require_staff(request, Action.MANAGE_RULES)
    context = app_context(request)
    tenant = current_tenant(request)
    direction = (await request.form()).get("direction")
    if direction not in {"up", "down"}:
        raise HTTPException(400, "移动方向无效")
    async with tenant_session(context.database, tenant) as session:
        rule = await _rule_or_404(session, request)
        await move_rule(session, tenant, rule, str(direction), _actor(request, staff))
        await session.commit()
    return RedirectResponse(console_url(request, "/rules"), status_code=303)


async def preview(request: Request) -> Response:
    await require_staff(request, Action.MANAGE_RULES)
    context = app_context(request)
    tenant = current_tenant(request)
    draft = await _draft_from(request)
    tenant_ids = [t.id for t in await _other_tenants(request)]
    result, errors = None, []
    async with tenant_session(context.database, tenant) as session:
        try:
            valid = validate_rule(draft, await rule_context(session, tenant, tenant_ids))
        except RuleError as exc:
            errors = exc.errors
        else:
            result = await preview_rule(session, valid.conditions, unit_id=valid.assign_unit_id)
        choices = await _choices(session, request)
    return renderer_for(context).render(
        request, "rules/form.html",
        {"draft": draft, "rule": None, "errors": errors, "preview": result, **choices},
        fragment="rule_preview",
    )


routes = [
    Route("/rules", rules_page, methods=["GET"], name="rules"),
    Route("/rules", save_rule, methods=["POST"]),
    Route("/rules/new", new_rule, methods=["GET"]),
    Route("/rules/preview", preview, methods=["POST"]),
    Route("/rules/{rule_id:int}", edit_rule, methods=["GET"]),
    Route("/rules/{rule_id:int}", save_rule, methods=["POST"]),
    Route("/rules/{rule_id:int}/delete", remove_rule, methods=["POST"]),
    Route("/rules/{rule_id:int}/move", reorder_rule, methods=["POST"]),
]
