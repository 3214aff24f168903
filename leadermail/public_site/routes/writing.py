"""写信: the letter form, inline field checks, and the receipt.

The form posts as a normal multipart form (works without JavaScript); htmx
only adds inline checks of single fields (``/write/check/<field>``). On an
error the whole form comes back with every value kept, a message next to each
bad field and a summary at the top; files that passed the checks are kept in
the staging area under the form's submission key and listed as kept.
"""

from __future__ import annotations

import hmac
import secrets
from typing import Any

from sqlalchemy import bindparam, select
from starlette.datastructures import FormData, UploadFile
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from leadermail.platform.audit.writer import Actor
from leadermail.platform.deadlines.schedule import load_calendar
from leadermail.platform.letters.figures import cached
from leadermail.platform.letters.models import LETTER_TYPE_LABELS, Letter
from leadermail.platform.letters.publication import filter_choices
from leadermail.platform.letters.receipt_seal import seal_password, unseal_password
from leadermail.platform.letters.staging import Staging, valid_submission_key
from leadermail.platform.letters.submission import submit_letter
from leadermail.platform.letters.tracking import format_tracking_code
from leadermail.platform.letters.validation import FIELD_NAMES, validate_field, validate_letter
from leadermail.platform.uploads import MAX_ATTACHMENTS, UploadRejected, check_upload
from leadermail.platform.web.requests import client_ip, tenant_url
from leadermail.public_site.challenge import Challenges
from leadermail.public_site.views import (
    body_too_large,
    limit,
    not_found,
    now,
    redirect,
    render,
    site,
)
from leadermail.tenants.session import tenant_session

TEXT_FIELDS = ("letter_type", "category", "title", "body", "region", "name", "phone", "email",
               "id_number")  # fmt: skip
RECEIPT_SESSION_KEY = "letter_receipt"
RECEIPT_SECONDS = 30 * 60
#: The letter this browser sent last: the write form mentions it for half an
#: hour, and the same text sent again in that time gets its receipt back.
RECENT_SESSION_KEY = "recent_letter"
RECENT_SECONDS = 30 * 60
#: Form attempts per IP (typos included) and letters per IP, per tenant.
ATTEMPTS_PER_IP = (30, "10 minutes")
LETTERS_PER_IP = (10, "hour")
HONEYPOT = "website"
#: The letter a form made, if it was sent before (built once: see first_row).
_LETTER_BY_SUBMISSION_KEY = select(Letter.id, Letter.tracking_code).where(
    Letter.submission_key == bindparam("key")
)
#: What the receipt shows of the letter (and prints: title and time give context).
_RECEIPT_BY_SUBMISSION_KEY = select(
    Letter.tracking_code,
    Letter.title,
    Letter.submitted_at,
    Letter.writer_phone.is_not(None),
    Letter.writer_email.is_not(None),
).where(Letter.submission_key == bindparam("key"))


def _content_digest(secret_key: str, values: dict[str, str]) -> str:
    """What makes two submissions "the same letter" (title, text, phone).

    Kept in the signed session cookie, which the browser can read: an HMAC,
    not the text or a plain hash of it.
    """
    text = "\x1f".join(
        (values.get("title", "").strip(), values.get("body", "").strip(),
         "".join(ch for ch in values.get("phone", "") if ch.isdigit()))
    )  # fmt: skip
    digest = hmac.new(secret_key.encode(), b"leadermail.recent-letter." + text.encode(), "sha256")
    return digest.hexdigest()[:32]


def _recent_letter(request: Request) -> dict[str, Any] | None:
    """The letter this browser sent in the last half hour, if any."""
    recent: dict[str, Any] | None = request.session.get(RECENT_SESSION_KEY)
    if not recent or now() - float(recent.get("at", 0)) >= RECENT_SECONDS:
        return None
    return recent


def _challenges(request: Request) -> Challenges:
    context, _ = site(request)
    return Challenges(context.settings, context.redis)


async def _form_context(
    request: Request,
    *,
    values: dict[str, str] | None = None,
    errors: dict[str, str] | None = None,
    submission_key: str | None = None,
    staged: list[Any] | None = None,
    challenge_passed: bool = False,
) -> dict[str, Any]:
    context, tenant = site(request)
    async with tenant_session(context.database, tenant) as session:
        choices = await filter_choices(session, tenant)
    challenges = _challenges(request)
    return {
        "values": values or {},
        "errors": errors or {},
        "letter_types": list(LETTER_TYPE_LABELS.items()),
        "categories": choices["categories"],
        "submission_key": submission_key or secrets.token_urlsafe(24),
        "staged": staged or [],
        "max_attachments": MAX_ATTACHMENTS,
        "challenge_passed": challenge_passed,
        "pow_challenge": None if challenge_passed else challenges.new_pow(),
        "question": None if challenge_passed else challenges.new_question(),
        "recent": None,
    }


async def write_form(request: Request) -> Response:
    site(request)
    ctx = await _form_context(request)
    recent = _recent_letter(request)
    if recent is not None:
        # Back from the receipt shows the form the browser filled in: say
        # that the letter was sent, before it goes a second time.
        ctx["recent"] = {"code": format_tracking_code(recent["code"]), "key": recent["key"]}
    return render(request, "letters/write.html", ctx, no_store=True)


async def check_field(request: Request) -> Response:
    """htmx: the message for one field as the citizen leaves it."""
    site(request)
    name = request.path_params["field"]
    if name not in FIELD_NAMES:
        return Response(status_code=404)
    form = await request.form()
    value = form.get(name)
    message = validate_field(name, value if isinstance(value, str) else None)
    return render(request, "_partials/field_error.html", {"name": name, "message": message})


async def _read_uploads(form: FormData, staging: Staging, errors: dict[str, str]) -> None:
    kept = {str(v) for v in form.getlist("keep_file")}
    if form.get("staged_listed"):
        staging.keep_only(kept)
    problems: list[str] = []
    for item in form.getlist("attachments"):
        if not isinstance(item, UploadFile) or not item.filename:
            continue
        data = await item.read()
        try:
            check = check_upload(item.filename, data)
        except UploadRejected as rejected:
            problems.append(rejected.message)
            continue
        if not staging.add(check, data):
            problems.append(
                f"每封信最多上传 {MAX_ATTACHMENTS} 个附件，「{check.safe_filename}」未能保留"
            )
    if problems:
        errors["attachments"] = "；".join(problems)


async def write_letter(request: Request) -> Response:
    context, tenant = site(request)
    if body_too_large(request):
        return render(
            request,
            "letters/write.html",
            await _form_context(request, errors={"form": "提交的内容过大：附件总计不能超过 50 MB"}),
            status_code=413,
        )
    ip = client_ip(request)
    limiter = context.rate_limiter
    allowed = await limiter.hit("write-ip", f"{tenant.id}:{ip}", limit(context, *ATTEMPTS_PER_IP))
    async with request.form(max_files=MAX_ATTACHMENTS + 5, max_fields=60) as form:
        values = {name: str(form.get(name) or "") for name in TEXT_FIELDS}
        values["do_not_publish"] = "1" if form.get("do_not_publish") else ""
        values["agree_terms"] = "1" if form.get("agree_terms") else ""
        key = str(form.get("submission_key") or "")
        if not valid_submission_key(key):
            key = secrets.token_urlsafe(24)
        staging = Staging(context.settings.upload_dir, tenant.id, key)
        if form.get(HONEYPOT):
            # A field people cannot see was filled in: a robot. Say little.
            return render(
                request,
                "letters/write.html",
                await _form_context(request, errors={"form": "提交失败，请稍后重试。"}),
                status_code=400,
            )
        if not allowed:
            errors = {"form": "提交过于频繁，请稍后再试。您填写的内容已保留。"}
            return render(
                request,
                "letters/write.html",
                await _form_context(
                    request,
                    values=values,
                    errors=errors,
                    submission_key=key,
                    staged=staging.files(),
                ),
                status_code=429,
            )
        recent = _recent_letter(request)
        if recent is not None and recent.get("digest") == _content_digest(
            context.settings.secret_key, values
        ):
            # Back from the receipt: the browser refetched the form (no-store)
            # with a new submission key and filled in what was typed, so the
            # key cannot tell. The same text from this browser within half an
            # hour is the letter it already sent: its receipt, not a second one.
            return redirect(request, f"/write/receipt/{recent['key']}")
        challenges = _challenges(request)
        challenge_ok = await challenges.verify(form, submission_key=key)
        async with tenant_session(context.database, tenant, transaction=False) as session:
            # The same form again (a resent POST, Back and send): its challenge
            # was used up by the letter it made, so only then is the key
            # looked up (a double click racing the first is caught by the
            # submission key's constraint instead): that letter's receipt.
            if not challenge_ok and await session.first_row(
                _LETTER_BY_SUBMISSION_KEY, {"key": key}
            ):
                return redirect(request, f"/write/receipt/{key}")
            choices = await filter_choices(session, tenant)  # cached
        category_ids = {cid for cid, _ in choices["categories"]}
        clean, errors = validate_letter(values, categories=category_ids)
        await _read_uploads(form, staging, errors)
        if not challenge_ok:
            errors["challenge"] = challenges.refusal(form)
    if errors or clean is None:
        ctx = await _form_context(
            request,
            values=values,
            errors=errors,
            submission_key=key,
            staged=staging.files(),
            challenge_passed=challenge_ok,
        )
        return render(request, "letters/write.html", ctx, status_code=422, no_store=True)
    if not await limiter.hit("write-letters", f"{tenant.id}:{ip}", limit(context, *LETTERS_PER_IP)):
        errors = {"form": "您本小时内提交的来信过多，请稍后再试。您填写的内容已保留。"}
        ctx = await _form_context(
            request,
            values=values,
            errors=errors,
            submission_key=key,
            staged=staging.files(),
            challenge_passed=True,
        )
        return render(request, "letters/write.html", ctx, status_code=429, no_store=True)

    stored = staging.commit()
    # The holiday calendar changes a few times a year: load it once a minute.
    calendar = await cached(("work-calendar",), lambda: load_calendar(context.database))
    async with tenant_session(context.database, tenant) as session:
        result = await submit_letter(
            session,
            tenant,
            clean,
            secret_key=context.settings.secret_key,
            submission_key=key,
            attachments=stored,
            calendar=calendar,
            actor=Actor(user_id=None, label="来信人", ip_address=ip),
        )
        await session.commit()
    staging.clear()
    await challenges.forget(key)
    request.session[RECENT_SESSION_KEY] = {
        "key": key,
        "code": result.tracking_code,
        "at": now(),
        "digest": _content_digest(context.settings.secret_key, values),
    }
    if result.password is not None:
        request.session[RECEIPT_SESSION_KEY] = {
            "key": key,
            "code": result.tracking_code,
            # Sealed: the session cookie is signed, not encrypted, and the
            # password must not be readable from it (proxy logs, a shared PC).
            "password": seal_password(result.password, context.settings.secret_key),
            "at": now(),
            "phone": bool(clean.phone),
            "email": bool(clean.email),
        }
    return redirect(request, f"/write/receipt/{key}")


async def receipt(request: Request) -> Response:
    """The tracking code and, the first time only, the query password; with
    the mailbox, its address, the letter's title and when it was sent, so a
    printed receipt says what it is a receipt of."""
    context, tenant = site(request)
    key = request.path_params["key"]
    if not valid_submission_key(key):
        return not_found(request)
    async with tenant_session(context.database, tenant, transaction=False) as session:
        letter = await session.first_row(_RECEIPT_BY_SUBMISSION_KEY, {"key": key})
    if letter is None:
        return not_found(request)
    code, title, submitted_at, has_phone, has_email = letter
    password = None
    shown: dict[str, Any] | None = request.session.get(RECEIPT_SESSION_KEY)
    if shown and shown.get("key") == key and now() - float(shown.get("at", 0)) < RECEIPT_SECONDS:
        request.session.pop(RECEIPT_SESSION_KEY, None)
        password = unseal_password(str(shown.get("password", "")), context.settings.secret_key)
    ctx = {
        "code": format_tracking_code(code),
        "password": password,
        "title": title,
        "submitted_at": submitted_at,
        "site_address": f"{request.url.scheme}://{request.url.netloc}{tenant_url(request, '/')}",
        "sent_by": [n for n, on in (("短信", has_phone), ("电子邮件", has_email)) if on],
    }
    return render(request, "letters/receipt.html", ctx, no_store=True)


routes = [
    Route("/write", write_form, methods=["GET"], name="write"),
    Route("/write", write_letter, methods=["POST"]),
    Route("/write/check/{field}", check_field, methods=["POST"]),
    Route("/write/receipt/{key}", receipt, methods=["GET"]),
]
