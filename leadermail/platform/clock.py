"""The platform's clock: what "now" is for letters, deadlines and timelines.

    from leadermail.platform.clock import utcnow

    with clock_at(accepted_at):      # history being built, e.g. the demo
        await accept_letter(...)      # timeline, accepted_at, deadlines: then

Everything that stamps a letter's history asks :func:`utcnow` (model
defaults included), so the demo province can run its letters through the
real console and citizen services as of the days they happened, and the
history it shows is the one those services would have written: received,
then accepted within the day, assigned, answered and rated in that order,
with each deadline counted from the right moment.

The audit trail does not ask this clock. It records when an action was
really taken (the demo's entries say when the demo was built), because an
audit trail that can be told another time is no audit trail.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import UTC, datetime

_moment: ContextVar[datetime | None] = ContextVar("leadermail_clock_moment", default=None)


def utcnow() -> datetime:
    """Now, in UTC; inside :func:`clock_at`, the moment it was given."""
    moment = _moment.get()
    return datetime.now(UTC) if moment is None else moment


@contextmanager
def clock_at(moment: datetime) -> Iterator[None]:
    """Within the block (and tasks it starts), :func:`utcnow` returns ``moment``."""
    if moment.tzinfo is None:
        raise ValueError("clock_at needs an aware datetime")
    token = _moment.set(moment.astimezone(UTC))
    try:
        yield
    finally:
        _moment.reset(token)
