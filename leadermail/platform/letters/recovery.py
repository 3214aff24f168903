"""找回查询码或密码: a writer who lost the receipt gets the codes of their
letters, and new query passwords, on the phone they wrote with.

    outcome = await recover_tracking(
        session, tenant, phone="13812345678", code="", new_password=True,
        actor=Actor(None, "来信人", ip), secret_key=settings.secret_key,
    )
    await session.commit()              # the job goes out with the commit
    for code in outcome.reset_codes:    # their lock-outs no longer apply
        await clear_lockout(context, tenant, code, ip_address=ip)

The page always answers the same way (see ``public_site/routes/recovery``):
whether the number wrote any letter here is said only to that phone, by SMS
(and by e-mail to the addresses the letters gave). Nothing is shown on the
page and no SMS goes to a number that wrote nothing, so the form can neither
confirm who wrote in nor be used to send texts to strangers.

A password cannot be sent again: only its keyed hash is stored
(:mod:`tracking`). "New password" draws one, stores its hash, and the old
one stops working. With a tracking code, only that letter gets a new
password; without one, every letter listed does (the writer who lost the
receipt has lost all of it). A code that is not one of the number's letters
resets nothing: the SMS then lists the right codes.

Each new password writes a private timeline event "来信人重置了查询密码" and
an audit record (actor 来信人, the address asked from), never the password.
The new passwords reach the job sealed (:mod:`receipt_seal`), as the
receipt's does, and the job scrubs them from the outbox once sent.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass, field
from datetime import timedelta

from sqlalchemy import or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from leadermail.platform.audit.writer import Actor, record_audit
from leadermail.platform.clock import utcnow
from leadermail.platform.jobs.outbox import enqueue
from leadermail.platform.letters.models import Letter
from leadermail.platform.letters.receipt_seal import seal_password
from leadermail.platform.letters.tracking import (
    hash_query_password,
    is_usable_password_hash,
    new_query_password,
)
from leadermail.platform.letters.workflow import MATTER_OPEN_STATES, add_timeline_event
from leadermail.tenants.registry import TenantRef

RECOVERY_JOB = "send_tracking_recovery"
RESET_EVENT = "query_password_reset"
RESET_ACTION = "letter.query_password_reset"
#: Letters an SMS lists at most (newest first).
MAX_LETTERS = 5
#: Closed letters older than this are not listed (open ones always are).
RECENT = timedelta(days=365)


@dataclass
class RecoveryOutcome:
    """What was done; never shown on the page (it would say who wrote in)."""

    letter_ids: list[int] = field(default_factory=list)
    #: Canonical codes of the letters that got a new password.
    reset_codes: list[str] = field(default_factory=list)
    #: A code was given that is not one of this number's letters.
    code_not_found: bool = False


async def letters_of_phone(session: AsyncSession, tenant: TenantRef, phone: str) -> list[Letter]:
    """The number's letters a writer may still track: open, or recent, newest first."""
    statement = (
        select(Letter)
        .where(Letter.tenant_id == tenant.id, Letter.writer_phone == phone)
        .where(
            or_(
                Letter.state.in_(MATTER_OPEN_STATES | {"replied"}),
                Letter.submitted_at >= utcnow() - RECENT,
            )
        )
        .order_by(Letter.submitted_at.desc(), Letter.id.desc())
        .limit(MAX_LETTERS * 2)
        .with_for_update()
    )
    letters = (await session.scalars(statement)).all()
    # Forwarded copies and appeal records have no password of their own: the
    # writer follows the original letter.
    return [letter for letter in letters if is_usable_password_hash(letter.query_password_hash)][
        :MAX_LETTERS
    ]


async def recover_tracking(
    session: AsyncSession,
    tenant: TenantRef,
    *,
    phone: str,
    code: str | None,
    new_password: bool,
    actor: Actor,
    secret_key: str,
) -> RecoveryOutcome:
    """Find the number's letters, set new passwords where asked, queue the SMS
    (the caller commits). ``phone`` and ``code`` are already normalised."""
    outcome = RecoveryOutcome()
    letters = await letters_of_phone(session, tenant, phone)
    if code and not any(letter.tracking_code == code for letter in letters):
        # An older closed letter of the same number may still be tracked.
        older = await session.scalar(
            select(Letter)
            .where(Letter.tenant_id == tenant.id, Letter.writer_phone == phone)
            .where(Letter.tracking_code == code)
            .with_for_update()
        )
        if older is not None and is_usable_password_hash(older.query_password_hash):
            letters = [older, *letters][:MAX_LETTERS]
        else:
            outcome.code_not_found = True
    if not letters:
        return outcome
    if not new_password or outcome.code_not_found:
        to_reset: list[Letter] = []
    elif code:
        to_reset = [letter for letter in letters if letter.tracking_code == code]
    else:
        to_reset = letters
    sealed: dict[str, str] = {}
    for letter in to_reset:
        password = new_query_password()
        letter.query_password_hash = hash_query_password(password, secret_key)
        sealed[str(letter.id)] = seal_password(password, secret_key)
        await add_timeline_event(
            session, letter, RESET_EVENT, actor, message="来信人重置了查询密码"
        )
        await record_audit(
            session,
            tenant_id=letter.tenant_id,
            actor=actor,
            action=RESET_ACTION,
            object_type="letter",
            object_id=letter.id,
        )
        outcome.reset_codes.append(letter.tracking_code)
    outcome.letter_ids = [letter.id for letter in letters]
    enqueue(
        session,
        RECOVERY_JOB,
        tenant_id=tenant.id,
        letter_ids=outcome.letter_ids,
        # Names the request, so a job run twice sends once.
        request_id=secrets.token_hex(8),
        sealed_passwords=sealed,
        code_not_found=outcome.code_not_found,
    )
    return outcome
