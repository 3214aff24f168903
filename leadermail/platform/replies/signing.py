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

Payload versions: v1 (no ``"v"`` field) covers the text only; v2 (``"v": 2``)
also lists the reply's files as ``{"filename", "sha256"}`` sorted by hash then
name — all of them for a "sent" signature, those marked public for a "public"
one. Checking a v2 signature compares that list with the files as they are
now, so a swapped, added or removed file fails; a v1 signature, made before
files were covered, is still checked on its text::

    check = await verify_reply_signature(session, signature, key)
    check.valid, check.version, check.problem     # True, 2, None

The private key is kept in the tenant schema encrypted with a password
derived from the deployment secret: a stolen database dump alone cannot sign.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from leadermail.platform.clock import utcnow
from leadermail.platform.letters.models import Attachment, Reply
from leadermail.platform.replies.models import ReplySignature, SigningKey

#: The payload version new signatures get (see the module docstring).
PAYLOAD_VERSION = 2


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


def signed_files(attachments: Sequence[Attachment]) -> list[dict[str, str]]:
    """The files as a v2 payload lists them: stable whatever order the rows come in."""
    files = [{"filename": a.filename, "sha256": a.sha256} for a in attachments]
    return sorted(files, key=lambda f: (f["sha256"], f["filename"]))


async def covered_attachments(session: AsyncSession, reply: Reply, kind: str) -> list[Attachment]:
    """The files a signature of ``kind`` covers: all of the reply's for "sent"
    (what the citizen received), the ones marked public for "public"."""
    query = select(Attachment).where(
        Attachment.tenant_id == reply.tenant_id,
        Attachment.letter_id == reply.letter_id,
        Attachment.reply_id == reply.id,
        Attachment.uploaded_by == "staff",
    )
    if kind == "public":
        query = query.where(Attachment.is_public.is_(True))
    return list(await session.scalars(query.order_by(Attachment.id)))


def load_private_key(key: SigningKey, secret: str) -> Ed25519PrivateKey:
    private_key = serialization.load_pem_private_key(
        key.private_key_pem.encode(), password=_password(secret, key.tenant_id)
    )
    assert isinstance(private_key, Ed25519PrivateKey)
    return private_key


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
    attachments: Sequence[Attachment],
) -> ReplySignature:
    """Sign ``text`` and ``attachments`` (a v2 payload) as this reply's ``kind`` signature."""
    private_key = load_private_key(key, secret)
    payload = canonical_payload(
        {
            "v": PAYLOAD_VERSION,
            "kind": kind,
            "key": key.fingerprint,
            "letter": tracking_code,
            "reply": reply.id,
            "signed_at": utcnow().isoformat(timespec="seconds"),
            "signer": signer_name,
            "text": text,
            "attachments": signed_files(attachments),
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


@dataclass(frozen=True)
class SignatureCheck:
    """The outcome of checking one stored signature."""

    valid: bool
    #: Payload version (1: text only; 2: text and files); 0 if unreadable.
    version: int
    #: Why it is not valid, in Chinese for the page; None when valid.
    problem: str | None = None


def check_signature(
    public_key_pem: str,
    payload: str,
    signature_b64: str,
    *,
    reply_id: int,
    attachments: Sequence[Attachment],
) -> SignatureCheck:
    """Is this a valid signature of reply ``reply_id`` with these files now?"""
    try:
        fields = json.loads(payload)
        version = int(fields.get("v", 1)) if isinstance(fields, dict) else 0
    except (ValueError, TypeError):
        return SignatureCheck(False, 0, "签名内容无法读取")
    if not verify(public_key_pem, payload, signature_b64):
        return SignatureCheck(False, version, "签名与签名内容不符：内容在签名后被改动")
    if fields.get("reply") != reply_id:
        return SignatureCheck(False, version, "签名内容属于另一份答复")
    if version == 1:
        return SignatureCheck(True, 1)  # made before files were signed: the text only
    if version != PAYLOAD_VERSION:
        return SignatureCheck(False, version, f"未知的签名格式版本 {version}")
    if fields.get("attachments") != signed_files(attachments):
        return SignatureCheck(False, version, "答复附件与签名时不一致：附件被更换、增加或删除")
    return SignatureCheck(True, version)


async def verify_reply_signature(
    session: AsyncSession, signature: ReplySignature, key: SigningKey
) -> SignatureCheck:
    """Check a stored signature against its key and the reply's files as they are now."""
    reply = await session.get(Reply, signature.reply_id)
    if reply is None:
        return SignatureCheck(False, 0, "答复不存在")
    return check_signature(
        key.public_key_pem,
        signature.payload,
        signature.signature,
        reply_id=reply.id,
        attachments=await covered_attachments(session, reply, signature.kind),
    )
