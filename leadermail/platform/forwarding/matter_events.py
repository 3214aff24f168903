"""The one call the letter code makes to keep the art. 19 index in step
(kept import-light so ``letters.workflow`` and ``letters.submission`` can use
it without an import cycle)::

    enqueue_matter_refresh(session, letter.tenant_id, letter.id)
    await session.commit()   # the job exists now, durably

The job (``forwarding.matter_index.refresh_open_matter``) reads the letter as
it is when it runs, so it is safe to run twice or out of order.
"""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from leadermail.platform.jobs.outbox import enqueue

REFRESH_JOB = "refresh_open_matter"


def enqueue_matter_refresh(session: AsyncSession, tenant_id: int, letter_id: int) -> None:
    """Ask for ``letter_id``'s row in ``core.open_matters`` to be added, updated
    or removed after this transaction commits."""
    enqueue(session, REFRESH_JOB, tenant_id=tenant_id, letter_id=letter_id)
