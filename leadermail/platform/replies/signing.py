"""Replies signed with the tenant's Ed25519 key, verifiable by anyone.

    key = await ensure_signing_key(session, tenant_id, secret)
    signature = await sign_reply(session, key, secret, reply, kind="public",
                                 text=public_text, signer_name="张局长", tracking_code=...)
    verify(key.public_key_pem, signature.payload, signature.signature)   # True

The signed payload is canonical JSON (sorted keys, no spaces, UTF-8) holding
the exact text, the signer, the letter's tracking code, the time and the key
fingerprint; the public key is published on the tenant's key page, so a
citizen or journalist can check a published reply with any Ed25519 tool
(e.g. ``openssl pkeyutl -verify -rawin``).

The private key is kept in the tenant schema encrypted with a password
derived from the deployment secret: a stolen database dump alone cannot sign.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from leadermail.platform.db import utcnow
from leadermail.platform.letters.models import Reply
from leadermail.platform.replies.models import ReplySignature, SigningKey


def _password(secret: str, tenant_id: int) -> bytes:
    return hmac.new(secret.encode(), f"reply-signing:{tenant_id}".encode(), hashlib.sha256).digest()


def fingerprint_of(public_key: Ed25519PublicKey) -> str:
    raw = public_key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return hashlib.sha256(raw).hexdigest()


async def active_signing_key(session: AsyncSession, tenant_id: int) -> SigningKey | None:
    return (
        await session.execute(
            select(SigningKey)
            .where(SigningKey.tenant_id == tenant_id, SigningKey.is_active.is_(True))
            .order_by(SigningKey.id.desc())
            .limit(1)
        )
    ).scalar_one_or_none()


async def ensure_signing_key(session: AsyncSession, tenant_id: int, secret: str) -> SigningKey:
    """The tenant's active key, created on first use."""
    key = await active_signing_key(session, tenant_id)
    if key is not None:
        return key
    private_key = Ed25519PrivateKey.generate()
    public_key = private_key.public_key()
    key = SigningKey(
        tenant_id=tenant_id,
        private_key_pem=private_key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.BestAvailableEncryption(_password(secret, tenant_id)),
        ).decode(),
        public_key_pem=public_key.public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
        ).decode(),
        fingerprint=fingerprint_of(public_key),
    )
    session.add(key)
    await session.flush()
    return key


def canonical_payload(fields: dict[str, Any]) -> str:
    return json.dumps(fields, ensure_ascii=False, sort_keys=True, separators=(",", ":"))


async def sign_reply(
    session: AsyncSession,
    key: SigningKey,
    secret: str,
    reply: Reply,
    *,
    kind: str,
    text: str,
    signer_name: str,
    tracking_code: str,
) -> ReplySignature:
    private_key = serialization.load_pem_private_key(
        key.private_key_pem.encode(), password=_password(secret, key.tenant_id)
    )
    assert isinstance(private_key, Ed25519PrivateKey)
    payload = canonical_payload(
        {
            "kind": kind,
            "key": key.fingerprint,
            "letter": tracking_code,
            "reply": reply.id,
            "signed_at": utcnow().isoformat(timespec="seconds"),
            "signer": signer_name,
            "text": text,
        }
    )
    signature = ReplySignature(
        tenant_id=reply.tenant_id,
        reply_id=reply.id,
        signing_key_id=key.id,
        kind=kind,
        signer_name=signer_name,
        payload=payload,
        signature=base64.b64encode(private_key.sign(payload.encode())).decode(),
    )
    session.add(signature)
    await session.flush()
    return signature


def verify(public_key_pem: str, payload: str, signature_b64: str) -> bool:
    """Does ``signature_b64`` sign ``payload`` under this public key?"""
    public_key = serialization.load_pem_public_key(public_key_pem.encode())
    if not isinstance(public_key, Ed25519PublicKey):
        return False
    try:
        public_key.verify(base64.b64decode(signature_b64, validate=True), payload.encode())
    except (InvalidSignature, ValueError):
        return False
    return True
