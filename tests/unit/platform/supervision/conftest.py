from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from sqlalchemy import delete

from leadermail.platform.jobs.models import OutboxJob

SUPERVISION_JOBS = ("refresh_letter_facts", "generate_supervision_report")


@pytest.fixture(autouse=True)
async def _no_supervision_jobs_left_behind(context) -> AsyncIterator[None]:  # noqa: ANN001
    """These tests move many letters; their refresh jobs must not flood the
    outbox that other tests (the relay's) count."""
    yield
    async with context.database.core_session() as session:
        await session.execute(
            delete(OutboxJob).where(
                OutboxJob.job_name.in_(SUPERVISION_JOBS), OutboxJob.sent_at.is_(None)
            )
        )
        await session.commit()
