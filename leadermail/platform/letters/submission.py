"""Submitting a letter: the one verb every channel uses (web form, staff
registering a phone call or a posted letter, the demo seeder)::

    clean, errors = validate_letter(form, categories=category_ids)
    result = await submit_letter(session, tenant, clean, secret_key=settings.secret_key,
                                 submission_key=form["submission_key"],
                                 attachments=[StoredFile(...), ...])
    await session.commit()
    result.tracking_code, result.password   # show once; password is None on a repeat

In the caller's transaction, in one statement (``letters.filing``), it writes
the letter (deadlines computed from the tenant's policy and China's
working-day calendar, the search vector), its attachments, the public
"submitted" timeline event, the province-wide :class:`LetterLocator`, and the
outbox jobs: the receipt by SMS or e-mail, routing, the duplicate and art. 19
checks. A second submit with the same ``submission_key`` (double click, back
and resubmit) returns the first letter instead of creating another. Callers
that go on working on the letter load it: ``await result.load(session)``.

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
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.sql.elements import ColumnElement

from leadermail.platform.audit.writer import Actor
from leadermail.platform.clock import utcnow
from leadermail.platform.deadlines.calendar import WorkCalendar
from leadermail.platform.deadlines.models import HolidayDay
from leadermail.platform.deadlines.policies import policy_for
from leadermail.platform.deadlines.rules import compute_due
from leadermail.platform.deadlines.schedule import calendar_from_rows
from leadermail.platform.forwarding.matter_events import REFRESH_JOB as MATTER_REFRESH_JOB
from leadermail.platform.jobs.outbox import LetterJob
from leadermail.platform.letters.filing import Filing, TimelineEvent
from leadermail.platform.letters.models import Channel, Letter
from leadermail.platform.letters.public_text import is_edited, public_body, public_title
from leadermail.platform.letters.receipt_seal import seal_password
from leadermail.platform.letters.tracking import (
    hash_query_password,
    new_query_password,
    new_tracking_code,
)
from leadermail.platform.letters.validation import CleanLetter
from leadermail.platform.routing.jobs import ARRIVAL_JOBS
from leadermail.platform.search import index_lexemes, lexeme_vector, search_vector
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
    letter_id: int
    tracking_code: str
    #: The query password, shown once; None when ``submission_key`` matched an
    #: earlier letter (its password exists only as a keyed hash).
    password: str | None

    @property
    def is_repeat(self) -> bool:
        return self.password is None

    async def load(self, session: AsyncSession) -> Letter:
        """The letter as an ORM object, for callers that go on working on it."""
        letter = await session.get(Letter, self.letter_id)
        assert letter is not None, "the letter was written in this transaction"
        return letter


def letter_search_vector(letter: Letter) -> ColumnElement[Any]:
    """What the search index holds: title and body *with personal data removed*,
    so a search for someone's phone number on the public site finds nothing.

    Once staff edited the published text (公示文本), the public search finds
    the letter by that text only; the words they took out stay findable by
    staff (``search.search_vector``'s ``staff_only``)."""
    if not is_edited(letter.extra):
        return lexeme_vector(unedited_lexemes(letter.title, letter.body, letter.writer_name))
    title = public_title(letter.title, letter.writer_name, None, body=letter.body)
    body = public_body(letter.body, letter.writer_name, None)
    return search_vector(
        public_title(letter.title, letter.writer_name, letter.extra, body=letter.body),
        public_body(letter.body, letter.writer_name, letter.extra),
        staff_only=(title, body),
    )


def unedited_lexemes(title: str, body: str, writer_name: str | None) -> str:
    """What :func:`letter_search_vector` indexes of a letter whose public text
    staff never edited (every new one), as space-separated lexemes."""
    return " ".join(
        index_lexemes(
            public_title(title, writer_name, None, body=body),
            public_body(body, writer_name, None),
        )
    )


async def _calendar(session: AsyncSession) -> WorkCalendar:
    rows = await session.execute(
        select(HolidayDay.day, HolidayDay.kind, HolidayDay.name, HolidayDay.year)
    )
    return calendar_from_rows(rows.all())


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
    jobs: list[LetterJob] = []
    if clean.phone or clean.email:
        sealed = seal_password(password, secret_key)
        jobs.append(LetterJob(RECEIPT_JOB, {"sealed_password": sealed}))
    # Routing rules, duplicate detection and the art. 19 "same matter already
    # in hand below" check, then the shared index of open matters, which upper
    # tenants' art. 19 check reads.
    jobs += [LetterJob(name) for name in ARRIVAL_JOBS]
    jobs.append(LetterJob(MATTER_REFRESH_JOB))
    event = TimelineEvent(
        kind="submitted",
        actor=actor or Actor(user_id=None, label="来信人"),
        message="来信已提交",
        public=True,
        data={"channel": str(channel), "attachments": len(attachments)},
    )
    row = {
        "tenant_id": tenant.id,
        "query_password_hash": hash_query_password(password, secret_key),
        "letter_type": str(clean.letter_type),
        "category_id": clean.category_id,
        "title": clean.title,
        "body": clean.body,
        "region": clean.region,
        "writer_name": clean.name,
        "writer_phone": clean.phone,
        "writer_email": clean.email,
        "writer_id_number": clean.id_number,
        "publish_consent": clean.publish_consent,
        "channel": str(channel),
        "state": "submitted",
        "submitted_at": moment,
        "received_at": moment,
        "acceptance_due_at": acceptance.due_at,
        "reply_due_at": reply.due_at,
        "deadline_provisional": acceptance.provisional or reply.provisional,
        "submission_key": submission_key,
        "extra": {},
        "created_at": moment,
        "updated_at": moment,
    }
    files = [
        {
            "filename": stored.filename,
            "content_type": stored.content_type,
            "size_bytes": stored.size,
            "sha256": stored.sha256,
            "storage_key": stored.storage_key,
        }
        for stored in attachments
    ]
    # No look-ups before the insert (they cost round trips per letter): the
    # unique constraints decide, inside the one statement (see filing.py). A
    # form sent twice finds its submission key taken and gets the first
    # letter back; a tracking code already drawn anywhere on the platform
    # (about 2^-49 per draw) is drawn again.
    lexemes = unedited_lexemes(clean.title, clean.body, clean.name)
    for _ in range(_CODE_ATTEMPTS):
        code = new_tracking_code()
        filing = Filing(
            {**row, "tracking_code": code},
            lexemes=lexemes,
            tenant_id=tenant.id,
            located_at=moment,
            event=event,
            jobs=jobs,
            attachments=files,
        )
        letter_id = await filing.run(session)
        if letter_id is not None:
            return SubmittedLetter(letter_id, code, password)
        if submission_key:
            earlier = await session.execute(
                select(Letter.id, Letter.tracking_code).where(
                    Letter.submission_key == submission_key
                )
            )
            first = earlier.one_or_none()
            if first is not None:
                return SubmittedLetter(first.id, first.tracking_code, None)
        # Otherwise the code was taken, here or in another tenant: draw again.
    raise RuntimeError("could not draw an unused tracking code")
