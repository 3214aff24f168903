"""The one call other code makes when a letter changed (kept import-light so
the letter workflow can use it without an import cycle)::

    enqueue_fact_refresh(session, letter.tenant_id, letter.id)
    await session.commit()   # the refresh job exists now, durably
"""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from leadermail.platform.jobs.outbox import enqueue

REFRESH_JOB = "refresh_letter_facts"


def enqueue_fact_refresh(session: AsyncSession, tenant_id: int, letter_id: int) -> None:
    """Ask for ``letter_id``'s supervision fact to be rebuilt after this transaction
    commits (outbox row in the same transaction; safe to call several times)."""
    enqueue(session, REFRESH_JOB, tenant_id=tenant_id, letter_id=letter_id)
