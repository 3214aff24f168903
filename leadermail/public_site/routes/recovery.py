"""找回查询码或密码: the form, and the same answer for every number.

    GET  /track/recover?code=K7QMX-3XPD9   the form (the code filled in from the
                                           lock-out message or a link)
    POST /track/recover                    phone (+ code) → SMS, then the answer

What is found and sent is decided in :mod:`leadermail.platform.letters.recovery`;
this module checks the form, applies the limits, and answers the same way
(same page, same status, no sooner than ``ANSWER_FLOOR_SECONDS``) whether or
not the number wrote any letter here.
"""

from __future__ import annotations

import asyncio
import time

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from leadermail.platform.audit.writer import Actor
from leadermail.platform.letters.citizen_access import clear_lockout
from leadermail.platform.letters.recovery import recover_tracking
from leadermail.platform.letters.tracking import normalize_tracking_code
from leadermail.platform.letters.validation import normalize_mobile
from leadermail.platform.privacy import mask_phone
from leadermail.platform.web.ratelimit import Step
from leadermail.platform.web.requests import client_ip
from leadermail.public_site.views import limit, render, site
from leadermail.tenants.session import tenant_session

TEMPLATE = "letters/recover.html"
#: Requests from one address, on the whole platform.
IP_LIMIT = ("recover-ip", 10, "hour")
#: Requests for one number, on the whole platform: at most this many SMS a
#: day reach a writer through this form, whoever asks.
PHONE_LIMIT = ("recover-phone", 5, "day")
BUSY_MESSAGE = "找回申请过于频繁，请稍后再试。同一手机号每天最多申请 5 次。"
#: Finding letters and setting passwords takes longer than finding none; the
#: answer waits until this much time has passed so its timing says nothing.
ANSWER_FLOOR_SECONDS = 0.4
NEEDS = ("password", "code")


def _form(
    request: Request, values: dict[str, str], errors: dict[str, str], status: int = 200
) -> Response:
    return render(
        request,
        TEMPLATE,
        {"values": values, "errors": errors, "sent_to": None},
        status_code=status,
        no_store=True,
    )


async def recover_form(request: Request) -> Response:
    site(request)
    code = request.query_params.get("code", "")[:40]
    need = request.query_params.get("need", "password")
    values = {"phone": "", "code": code, "need": need if need in NEEDS else "password"}
    return _form(request, values, {})


def _clean(form: dict[str, str]) -> tuple[dict[str, str], dict[str, str], str | None, str | None]:
    """(values as typed, errors, phone, canonical code or None)."""
    values = {
        "phone": form.get("phone", "").strip()[:30],
        "code": form.get("code", "").strip()[:40],
        "need": form.get("need", "password"),
    }
    if values["need"] not in NEEDS:
        values["need"] = "password"
    errors: dict[str, str] = {}
    phone = normalize_mobile(values["phone"]) if values["phone"] else None
    if not values["phone"]:
        errors["phone"] = "请填写写信时留的手机号码"
    elif phone is None:
        errors["phone"] = "请填写有效的手机号码（11 位数字）"
    code = normalize_tracking_code(values["code"]) if values["code"] else None
    if values["code"] and code is None:
        errors["code"] = "查询码是 10 位字母和数字，如 K7QMX-3XPD9；不记得可以不填"
    return values, errors, phone, code


async def recover_submit(request: Request) -> Response:
    started = time.monotonic()
    context, tenant = site(request)
    form = await request.form()
    values, errors, phone, code = _clean({k: str(v) for k, v in form.items()})
    if errors or phone is None:
        return _form(request, values, errors, status=422)
    ip_address = client_ip(request)
    over = await context.rate_limiter.check(
        Step.hit(IP_LIMIT[0], ip_address, limit(context, IP_LIMIT[1], IP_LIMIT[2])),
        Step.hit(PHONE_LIMIT[0], phone, limit(context, PHONE_LIMIT[1], PHONE_LIMIT[2])),
    )
    if over is not None:
        return _form(request, values, {"form": BUSY_MESSAGE}, status=429)
    actor = Actor(user_id=None, label="来信人", ip_address=ip_address)
    async with tenant_session(context.database, tenant) as session:
        outcome = await recover_tracking(
            session,
            tenant,
            phone=phone,
            code=code,
            new_password=values["need"] == "password",
            actor=actor,
            secret_key=context.settings.secret_key,
        )
        await session.commit()
    for reset in outcome.reset_codes:
        await clear_lockout(context, tenant, reset, ip_address=ip_address)
    await asyncio.sleep(max(0.0, ANSWER_FLOOR_SECONDS - (time.monotonic() - started)))
    return render(
        request,
        TEMPLATE,
        {"values": values, "errors": {}, "sent_to": mask_phone(phone)},
        no_store=True,
    )


# Listed before the tracking module's "/track/{code}" in ROUTE_MODULES
# ("RECOVER" could never be a code: it has an O and is too short).
routes = [
    Route("/track/recover", recover_form, methods=["GET"], name="track_recover"),
    Route("/track/recover", recover_submit, methods=["POST"]),
]
