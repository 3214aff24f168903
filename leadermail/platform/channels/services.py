"""Registering letters that came by phone, post, a visit or e-mail.

    result = await register_channel_letter(
        session, tenant, form_data, scans, channel="post", received_at=when,
        upload_dir=settings.upload_dir, secret_key=settings.secret_key, actor=actor)
    result.tracking_code, result.password     # told to the citizen (SMS job, or the printed slip)

The letter then goes through ``submit_letter`` exactly like a web letter
(deadlines from the date received, locator, receipt by SMS/e-mail when the
citizen gave a number or address), plus an audit record of who registered it.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import replace
from datetime import datetime, timedelta
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from leadermail.platform.audit.writer import Actor, record_audit
from leadermail.platform.clock import utcnow
from leadermail.platform.letters.models import Category, Channel
from leadermail.platform.letters.submission import StoredFile, SubmittedLetter, submit_letter
from leadermail.platform.letters.validation import validate_letter
from leadermail.platform.uploads import UploadRejected, check_uploads, store_upload
from leadermail.tenants.registry import TenantRef

#: Channels staff register by hand (web letters arrive by themselves).
STAFF_CHANNELS = (Channel.PHONE, Channel.POST, Channel.VISIT, Channel.EMAIL)
#: A phone number that passes the mobile check while the real one is absent
#: (a posted letter may give only an address); replaced by None afterwards.
_NO_PHONE = "13000000000"


class ChannelLetterRefused(ValueError):
    """The form is not acceptable; ``errors`` maps field → Chinese message."""

    def __init__(self, errors: dict[str, str]) -> None:
        super().__init__("；".join(errors.values()))
        self.errors = errors


async def category_ids(session: AsyncSession) -> list[int]:
    return list(
        (await session.execute(select(Category.id).where(Category.is_active.is_(True)))).scalars()
    )


def store_scans(
    upload_dir: Path, tenant_id: int, scans: Sequence[tuple[str, bytes]]
) -> list[StoredFile]:
    """Check (by content) and store the scans; :class:`UploadRejected` on a bad file."""
    checks = check_uploads(scans)
    return [
        StoredFile(
            check.safe_filename,
            check.content_type,
            check.size,
            check.sha256,
            store_upload(upload_dir, tenant_id, data),
        )
        for check, (_, data) in zip(checks, scans, strict=True)
    ]


async def register_channel_letter(
    session: AsyncSession,
    tenant: TenantRef,
    data: Mapping[str, str],
    scans: Sequence[tuple[str, bytes]],
    *,
    channel: str,
    received_at: datetime,
    upload_dir: Path,
    secret_key: str,
    actor: Actor,
    submission_key: str | None = None,
) -> SubmittedLetter:
    errors: dict[str, str] = {}
    if channel not in STAFF_CHANNELS:
        errors["channel"] = "请选择来信渠道"
    now = utcnow()
    if received_at > now + timedelta(minutes=5):
        errors["received_at"] = "收到日期不能晚于现在"
    elif received_at < now - timedelta(days=366):
        errors["received_at"] = "收到日期不能早于一年前"
    phone_given = bool((data.get("phone") or "").strip())
    values = {**data, "agree_terms": "1"}
    if not phone_given:
        values["phone"] = _NO_PHONE
    clean, field_errors = validate_letter(values, await category_ids(session))
    errors.update(field_errors)
    stored: list[StoredFile] = []
    if not errors:
        try:
            stored = store_scans(upload_dir, tenant.id, scans)
        except UploadRejected as rejected:
            errors["scans"] = rejected.message
    if errors or clean is None:
        raise ChannelLetterRefused(errors)
    if not phone_given:
        clean = replace(clean, phone=None)  # type: ignore[arg-type]
    result = await submit_letter(
        session,
        tenant,
        clean,
        secret_key=secret_key,
        channel=channel,
        submitted_at=received_at,
        attachments=stored,
        submission_key=submission_key,
        actor=actor,
    )
    if not result.is_repeat:
        await record_audit(
            session,
            tenant_id=tenant.id,
            actor=actor,
            action="letter.register_channel",
            object_type="letter",
            object_id=result.letter_id,
            data={"channel": channel, "received_at": received_at.isoformat(), "scans": len(stored)},
        )
    return result
