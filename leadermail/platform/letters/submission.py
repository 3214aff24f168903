"""Submitting a letter: the one verb every channel uses (web form, staff
registering a phone call or a posted letter, the demo seeder)::

    clean, errors = validate_letter(form, categories=category_ids)
    result = await submit_letter(session, tenant, clean, secret_key=settings.secret_key,
                                 submission_key=form["submission_key"],
                                 attachments=[StoredFile(...), ...])
    await session.commit()
    result.tracking_code, result.password   # show once; password is None on a repeat

In the caller's transaction it writes the letter (deadlines computed from the
tenant's policy and China's working-day calendar, the search vector), its
attachments, the public "submitted" timeline event, the province-wide
:class:`LetterLocator`, and the outbox job that sends the receipt by SMS or
e-mail. A second submit with the same ``submission_key`` (double click, back
and resubmit) returns the first letter instead of creating another.

No audit record is written here: the public "submitted" event is the record of
a citizen's own action, and the tenant's hash-chained audit trail serialises
its writers, which would make every citizen's letter wait for the others.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.sql.elements import ColumnElement

from leadermail.platform.audit.writer import Actor
from leadermail.platform.clock import utcnow
from leadermail.platform.deadlines.calendar import WorkCalendar
from leadermail.platform.deadlines.models import HolidayDay
from leadermail.platform.deadlines.policies import policy_for
from leadermail.platform.deadlines.rules import compute_due
from leadermail.platform.deadlines.schedule import calendar_from_rows
from leadermail.platform.forwarding.matter_events import enqueue_matter_refresh
from leadermail.platform.jobs.outbox import enqueue
from leadermail.platform.letters.models import Attachment, Channel, Letter, LetterLocator
from leadermail.platform.letters.public_text import is_edited, public_body, public_title
from leadermail.platform.letters.receipt_seal import seal_password
from leadermail.platform.letters.tracking import (
    hash_query_password,
    new_query_password,
    new_tracking_code,
)
from leadermail.platform.letters.validation import CleanLetter
from leadermail.platform.letters.workflow import add_timeline_event
from leadermail.platform.routing.jobs import enqueue_arrival_jobs
from leadermail.platform.search import search_vector
from leadermail.tenants.registry import TenantRef

RECEIPT_JOB = "send_letter_receipt"
_CODE_ATTEMPTS = 5


@dataclass(frozen=True)
class StoredFile:
    """An attachment already written by ``uploads.store_upload``."""

    filename: str
    content_type: str
    size: int
    sha256: str
    storage_key: str


@dataclass(frozen=True)
class SubmittedLetter:
    letter: Letter
    tracking_code: str
    #: The query password, shown once; None when ``submission_key`` matched an
    #: earlier letter (its password exists only as a keyed hash).
    password: str | None

    @property
    def is_repeat(self) -> bool:
        return self.password is None


def letter_search_vector(letter: Letter) -> ColumnElement[Any]:
    """What the search index holds: title and body *with personal data removed*,
    so a search for someone's phone number on the public site finds nothing.

    Once staff edited the published text (公示文本), the public search finds
    the letter by that text only; the words they took out stay findable by
    staff (``search.search_vector``'s ``staff_only``)."""
    title = public_title(letter.title, letter.writer_name, None, body=letter.body)
    body = public_body(letter.body, letter.writer_name, None)
    if not is_edited(letter.extra):
        return search_vector(title, body)
    return search_vector(
        public_title(letter.title, letter.writer_name, letter.extra, body=letter.body),
        public_body(letter.body, letter.writer_name, letter.extra),
        staff_only=(title, body),
    )


async def _calendar(session: AsyncSession) -> WorkCalendar:
    rows = await session.execute(
        select(HolidayDay.day, HolidayDay.kind, HolidayDay.name, HolidayDay.year)
    )
    return calendar_from_rows(rows.all())


def _violated_constraint(error: IntegrityError) -> str | None:
    diag = getattr(error.orig, "diag", None)
    return getattr(diag, "constraint_name", None)


async def _existing(session: AsyncSession, submission_key: str) -> Letter | None:
    return await session.scalar(select(Letter).where(Letter.submission_key == submission_key))


async def submit_letter(
    session: AsyncSession,
    tenant: TenantRef,
    clean: CleanLetter,
    *,
    secret_key: str,
    channel: str = Channel.WEB,
    submitted_at: datetime | None = None,
    attachments: Sequence[StoredFile] = (),
    submission_key: str | None = None,
    calendar: WorkCalendar | None = None,
    actor: Actor | None = None,
) -> SubmittedLetter:
    """Create the letter in ``session`` (a tenant session of ``tenant``); the caller commits."""
    if session.info.get("tenant_id") != tenant.id:
        raise ValueError("submit_letter needs a tenant session of the same tenant")
    moment = submitted_at or utcnow()
    policy = policy_for(tenant.settings, clean.letter_type)
    work_calendar = calendar if calendar is not None else await _calendar(session)
    acceptance = compute_due(moment, policy.acceptance, work_calendar)
    reply = compute_due(moment, policy.reply, work_calendar)
    password = new_query_password()
    password_hash = hash_query_password(password, secret_key)
    # No look-ups before the insert (they cost two round trips per letter):
    # the unique constraints decide. A form sent twice hits the submission key
    # and gets the first letter back; a tracking code already drawn anywhere
    # on the platform (about 2^-49 per draw) hits the locator and is redrawn.
    # The savepoint keeps the caller's transaction usable either way.
    for _ in range(_CODE_ATTEMPTS):
        code = new_tracking_code()
        letter = Letter(
            tenant_id=tenant.id,
            tracking_code=code,
            query_password_hash=password_hash,
            letter_type=str(clean.letter_type),
            category_id=clean.category_id,
            title=clean.title,
            body=clean.body,
            region=clean.region,
            writer_name=clean.name,
            writer_phone=clean.phone,
            writer_email=clean.email,
            writer_id_number=clean.id_number,
            publish_consent=clean.publish_consent,
            channel=str(channel),
            state="submitted",
            submitted_at=moment,
            received_at=moment,
            acceptance_due_at=acceptance.due_at,
            reply_due_at=reply.due_at,
            deadline_provisional=acceptance.provisional or reply.provisional,
            submission_key=submission_key,
            extra={},
            created_at=moment,
            updated_at=moment,
        )
        letter.search_vector = letter_search_vector(letter)
        try:
            async with session.begin_nested():
                session.add(letter)
                await session.flush()
                session.add(
                    LetterLocator(
                        tracking_code=code,
                        origin_tenant_id=tenant.id,
                        origin_letter_id=letter.id,
                        current_tenant_id=tenant.id,
                        created_at=moment,
                    )
                )
                await session.flush()
            break
        except IntegrityError as error:
            constraint = _violated_constraint(error)
            if constraint == "uq_letters_submission_key" and submission_key:
                earlier = await _existing(session, submission_key)
                if earlier is not None:
                    return SubmittedLetter(earlier, earlier.tracking_code, None)
            if constraint not in ("uq_letters_tracking_code", "pk_letter_locators"):
                raise
    else:
        raise RuntimeError("could not draw an unused tracking code")
    for stored in attachments:
        session.add(
            Attachment(
                tenant_id=tenant.id,
                letter_id=letter.id,
                filename=stored.filename,
                content_type=stored.content_type,
                size_bytes=stored.size,
                sha256=stored.sha256,
                storage_key=stored.storage_key,
                uploaded_by="citizen",
            )
        )
    await add_timeline_event(
        session,
        letter,
        "submitted",
        actor or Actor(user_id=None, label="来信人"),
        message="来信已提交",
        public=True,
        data={"channel": str(channel), "attachments": len(attachments)},
    )
    if letter.writer_phone or letter.writer_email:
        enqueue(
            session,
            RECEIPT_JOB,
            tenant_id=tenant.id,
            letter_id=letter.id,
            sealed_password=seal_password(password, secret_key),
        )
    # Routing rules, duplicate detection and the art. 19 "same matter already
    # in hand below" check run as jobs, committed with the letter.
    enqueue_arrival_jobs(session, tenant.id, letter.id)
    # The shared index of open matters, which upper tenants' art. 19 check reads.
    enqueue_matter_refresh(session, tenant.id, letter.id)
    # The row was flushed with the SQL expression; read back the real vector
    # lazily only if someone asks (expire just that attribute).
    session.expire(letter, ["search_vector"])
    return SubmittedLetter(letter, code, password)
