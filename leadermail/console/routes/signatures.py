"""Public verification of signed replies (no sign-in needed).

    GET /console/signing-key                 the tenant's public keys (PEM) and fingerprints
    GET /console/signatures/{reply_id}       a published reply's signed text and signature

Only the "public" signature of a letter that is published, of a reply not
held for 公示, is shown, so this reveals nothing that is not already on the
public site (its files are the ones marked public). The page checks the
signature and, for a v2 payload, that the reply's public files are still the
ones signed. Anyone can check it:
``base64 -d sig > sig.bin; openssl pkeyutl -verify -pubin -inkey key.pem -rawin
-in payload.json -sigfile sig.bin``.
"""

from __future__ import annotations

from sqlalchemy import select
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from leadermail.console.rendering import renderer_for
from leadermail.platform.letters.models import Letter, Reply
from leadermail.platform.letters.public_text import reply_is_held
from leadermail.platform.replies.models import ReplySignature, SigningKey
from leadermail.platform.replies.signing import verify_reply_signature
from leadermail.platform.web.requests import app_context, current_tenant
from leadermail.tenants.session import tenant_session


async def signing_key(request: Request) -> Response:
    tenant = current_tenant(request)
    context = app_context(request)
    async with tenant_session(context.database, tenant) as session:
        keys = list((await session.execute(select(SigningKey).order_by(SigningKey.id))).scalars())
    return renderer_for(context).render(request, "replies/signing_key.html", {"keys": keys})


async def reply_signature(request: Request) -> Response:
    tenant = current_tenant(request)
    context = app_context(request)
    async with tenant_session(context.database, tenant) as session:
        row = (
            await session.execute(
                select(ReplySignature, SigningKey)
                .join(SigningKey, SigningKey.id == ReplySignature.signing_key_id)
                .join(Reply, Reply.id == ReplySignature.reply_id)
                .join(Letter, Letter.id == Reply.letter_id)
                .where(
                    ReplySignature.reply_id == request.path_params["reply_id"],
                    ReplySignature.kind == "public",
                    Letter.is_published.is_(True),
                    # A reply held for 公示 has no public signature; never show one.
                    ~reply_is_held(Letter.extra, Reply.id),
                )
                .order_by(ReplySignature.id.desc())
                .limit(1)
            )
        ).first()
        if row is None:
            raise HTTPException(404)
        signature, key = row
        check = await verify_reply_signature(session, signature, key)
    ctx = {"signature": signature, "key": key, "valid": check.valid, "check": check}
    return renderer_for(context).render(request, "replies/signature.html", ctx)


routes = [
    Route("/signing-key", signing_key),
    Route("/signatures/{reply_id:int}", reply_signature),
]
