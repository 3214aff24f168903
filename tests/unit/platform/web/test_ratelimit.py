"""The Redis rate limiter (real Redis): sliding window, order of steps, clear."""

from __future__ import annotations

import secrets

import pytest

from leadermail.platform.web.ratelimit import RateLimiter, Step, parse_limit


@pytest.fixture
def limiter(context) -> RateLimiter:  # noqa: ANN001
    return RateLimiter(context.redis)


def _key() -> str:
    return secrets.token_hex(6)


def test_limits_are_parsed_or_refused() -> None:
    assert parse_limit("5/hour") == (5, 3600)
    assert parse_limit("30/10 minutes") == (30, 600)
    assert parse_limit("100/15 minutes") == (100, 900)
    assert parse_limit("2/second") == (2, 1)
    for bad in ("5 per hour", "/hour", "5/fortnight", ""):
        with pytest.raises(ValueError, match="not a rate limit"):
            parse_limit(bad)


async def test_hits_are_allowed_up_to_the_limit_then_refused(limiter) -> None:  # noqa: ANN001
    key = _key()
    results = [await limiter.hit("unit", key, "3/hour") for _ in range(5)]
    assert results == [True, True, True, False, False]
    # Another key is not affected.
    assert await limiter.hit("unit", _key(), "3/hour")


async def test_test_counts_nothing(limiter) -> None:  # noqa: ANN001
    key = _key()
    for _ in range(5):
        assert await limiter.test("unit", key, "1/hour")
    assert await limiter.hit("unit", key, "1/hour")
    assert not await limiter.test("unit", key, "1/hour")


async def test_the_previous_window_weighs_by_its_overlap(limiter) -> None:  # noqa: ANN001
    key = _key()
    start = 1_800_000_000.0 - (1_800_000_000.0 % 60)  # a window boundary
    for _ in range(10):
        assert await limiter.check(Step.hit("unit", key, "10/minute"), now=start + 1) is None
    full = Step.hit("unit", key, "10/minute")
    assert await limiter.check(full, now=start + 59) is full
    # 15 s into the next window, 75% of the old one still counts: 7.5 + 0 + 1 > 10? no.
    assert await limiter.check(full, now=start + 75) is None
    assert await limiter.check(full, now=start + 75) is None
    # 7.5 + 2 + 1 > 10: refused until more of the old window slides out.
    assert await limiter.check(full, now=start + 75) is full
    assert await limiter.check(full, now=start + 110) is None


async def test_steps_run_in_order_and_stop_at_the_first_refusal(limiter) -> None:  # noqa: ANN001
    ip, code = _key(), _key()
    lock = Step.test("lock", code, "1/hour")
    first = Step.hit("ip", ip, "10/hour")
    third = Step.hit("code", code, "10/hour")
    assert await limiter.check(first, lock, third) is None
    await limiter.hit("lock", code, "1/hour")  # now locked
    assert await limiter.check(first, lock, third) is lock
    # The step before the refusal counted, the one after did not.
    assert [await limiter.test("ip", ip, f"{n}/hour") for n in (2, 3)] == [False, True]
    assert await limiter.test("code", code, "2/hour")


async def test_clear_forgets_the_counts(limiter) -> None:  # noqa: ANN001
    key = _key()
    assert await limiter.hit("unit", key, "1/hour")
    assert not await limiter.hit("unit", key, "1/hour")
    await limiter.clear("unit", key, "1/hour")
    assert await limiter.hit("unit", key, "1/hour")
