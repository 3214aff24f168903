"""The platform clock: wall time, or the moment a ``clock_at`` block gives."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta, timezone

import pytest

from leadermail.platform.clock import clock_at, utcnow


def test_utcnow_is_aware_wall_time_outside_any_block() -> None:
    before = datetime.now(UTC)
    now = utcnow()
    assert now.tzinfo is not None
    assert before <= now <= datetime.now(UTC)


def test_clock_at_gives_its_moment_in_utc_and_restores_on_exit() -> None:
    beijing = timezone(timedelta(hours=8))
    moment = datetime(2026, 3, 2, 9, 30, tzinfo=beijing)
    with clock_at(moment):
        assert utcnow() == moment
        assert utcnow().utcoffset() == timedelta(0)
        with clock_at(moment + timedelta(days=1)):
            assert utcnow() == moment + timedelta(days=1)
        assert utcnow() == moment
    assert utcnow() - datetime.now(UTC) < timedelta(seconds=5)


def test_clock_at_is_restored_when_the_block_raises() -> None:
    moment = datetime(2026, 3, 2, tzinfo=UTC)
    with pytest.raises(RuntimeError), clock_at(moment):
        raise RuntimeError("boom")
    assert utcnow() != moment


def test_clock_at_refuses_a_naive_moment() -> None:
    with pytest.raises(ValueError, match="aware"), clock_at(datetime(2026, 3, 2)):
        pass


async def test_tasks_see_the_moment_of_the_block_they_were_started_in() -> None:
    moment = datetime(2026, 3, 2, tzinfo=UTC)
    seen: list[datetime] = []

    async def stamp() -> None:
        await asyncio.sleep(0)
        seen.append(utcnow())

    with clock_at(moment):
        task = asyncio.create_task(stamp())
    await task
    assert seen == [moment]
