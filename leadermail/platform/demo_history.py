"""The demo letters' past: planned day by day, then played through the real
services as of those days.

    plan = plan_history(rng, now, has_reply=True, publish_consent=True)
    await play_history(session, cast, letter, plan, source_reply, rng)

A new user's first look at the console and the supervision pages should
show a mailbox as it would be after ten months of work: letters received
long ago were accepted within the day, assigned, answered (some late) and
rated, while the letters still in hand are recent and a few are overdue.
So every step runs through the same function the console or the citizen
site calls, inside :func:`~leadermail.platform.clock.clock_at` of the moment
it happened; the timeline, deadlines, assignments, signed replies and
notices come out as those services write them. Before, the seeder set
states directly: every letter was "accepted" on the day the demo was built,
some replies were dated in the future, and no assignment existed.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from leadermail.platform.accounts.policy import StaffUser
from leadermail.platform.audit.writer import Actor
from leadermail.platform.clock import clock_at
from leadermail.platform.deadlines.calendar import SHANGHAI
from leadermail.platform.jobs.models import OutboxJob
from leadermail.platform.letters.citizen_actions import evaluate_letter
from leadermail.platform.letters.models import Letter, Satisfaction
from leadermail.platform.letters.notices import NOTICE_JOB, LetterNotice
from leadermail.platform.letters.staff_actions import (
    accept_letter,
    assign_letter,
    close_letter,
    instruct_letter,
    register_letter,
    reject_letter,
    urge_letter,
)
from leadermail.platform.letters.submission import RECEIPT_JOB
from leadermail.platform.letters.workflow import OPEN_STATES
from leadermail.platform.notifications.console import StaffNotification
from leadermail.platform.replies.services import (
    approve_reply,
    save_draft,
    send_reply,
    set_publication,
)

REJECTION_REASON = "该事项已进入司法程序，依法不予受理。"
INSTRUCTIONS = (
    "请认真核实，依法依规办理，及时答复来信人。",
    "请承办单位高度重视，尽快解决群众反映的问题，办理结果报我。",
    "请实地了解情况，妥善处理，做好解释工作。",
)
URGE_MESSAGE = "请抓紧办理，按规定时限答复来信人。"

#: Messages to the letter's writer (the receipt, statutory notices). History
#: recorded after the fact does not send them: they were due months ago, to
#: invented numbers, and sending them now would stamp today's date into old
#: timelines.
WRITER_MESSAGE_JOBS = (RECEIPT_JOB, NOTICE_JOB)


@dataclass(frozen=True)
class Cast:
    """Who acts in one tenant's demo history."""

    registrar: StaffUser  # registers, accepts, assigns, sends, publishes, closes
    drafter: StaffUser  # writes the reply the unit sent in (the mailbox office)
    leader: StaffUser  # approves replies, instructs
    supervisor: StaffUser  # urges

    def actor(self, staff: StaffUser) -> Actor:
        return Actor(user_id=staff.user_id, label=staff.display_name)


def _hours(rng: random.Random, low: float, high: float) -> timedelta:
    return timedelta(hours=rng.uniform(low, high))


def at_work(rng: random.Random, moment: datetime) -> datetime:
    """``moment`` if it falls in office hours (Mon-Fri 08:30-17:30, Beijing),
    else early on the next working morning: staff act at work, citizens
    write and rate at any hour."""
    local = moment.astimezone(SHANGHAI)
    opens = local.replace(hour=8, minute=30, second=0, microsecond=0)
    closes = local.replace(hour=17, minute=30, second=0, microsecond=0)
    if local.weekday() < 5 and opens <= local <= closes:
        return moment
    day = opens if local < opens else opens + timedelta(days=1)
    while day.weekday() >= 5:
        day += timedelta(days=1)
    return (day + _hours(rng, 0, 1.5)).astimezone(moment.tzinfo)


def plan_history(
    rng: random.Random, now: datetime, *, has_reply: bool, publish_consent: bool
) -> list[tuple[datetime, str]]:
    """When each step of one letter happened, oldest first, none after ``now``.

    Letters with an answer on file are spread over the past ~ten months;
    those without one are recent (the last 25 days, a third of them the last
    day and a half), so they are the letters still in hand: some not yet
    registered or assigned, the older ones overdue and urged.
    """
    if has_reply:
        age = rng.uniform(0, 320)
    else:
        age = rng.uniform(0, 1.5) if rng.random() < 0.35 else rng.uniform(0, 25)
    submitted = now - timedelta(days=age)
    plan = [(submitted, "submit")]

    def staff(step: str, moment: datetime) -> datetime:
        moment = at_work(rng, moment)
        plan.append((moment, step))
        return moment

    moment = staff("register", submitted + _hours(rng, 0.5, 20))
    if rng.random() < 0.05:
        staff("reject", moment + _hours(rng, 0.1, 1.5))
        return [step for step in plan if step[0] <= now]
    moment = staff("accept", moment + _hours(rng, 0.1, 1.5))
    assigned = moment = staff("assign", moment + _hours(rng, 1, 30))
    if rng.random() < 0.15:
        staff("instruct", assigned + _hours(rng, 2, 30))
    answered = None
    if has_reply:
        moment = staff("draft", moment + timedelta(days=rng.uniform(1, 9)))  # the unit answers
        moment = staff("approve", moment + _hours(rng, 1, 24))
        answered = moment = staff("send", moment + _hours(rng, 0.2, 6))
        if publish_consent and rng.random() < 0.7:
            staff("publish", moment + _hours(rng, 1, 48))
        if rng.random() < 0.7:
            rated = moment + timedelta(days=rng.uniform(0.2, 7))
            plan.append((rated, "evaluate"))
            if rng.random() < 0.6:
                staff("close", rated + timedelta(days=rng.uniform(0.5, 6)))
    # Supervision urges what is still unanswered nine days on.
    urged = at_work(rng, submitted + timedelta(days=9) + _hours(rng, 0, 8))
    if assigned < urged and (answered is None or urged < answered):
        plan.append((urged, "urge"))
    plan.sort(key=lambda step: step[0])
    return [step for step in plan if step[0] <= now]


async def play_history(
    session: AsyncSession,
    cast: Cast,
    letter: Letter,
    plan: Sequence[tuple[datetime, str]],
    reply_text: str | None,
    choose_unit: Callable[[Letter], int],
    rng: random.Random,
    secret: str,
) -> None:
    """Take ``letter`` (already submitted) through the rest of ``plan``."""
    tenant = cast.registrar.tenant
    registrar = cast.actor(cast.registrar)
    reply = None
    for moment, step in plan:
        if step == "submit":
            continue
        with clock_at(moment):
            if step == "register":
                await register_letter(session, cast.registrar, letter, registrar)
            elif step == "reject":
                await reject_letter(session, cast.registrar, letter, registrar, REJECTION_REASON)
            elif step == "accept":
                await accept_letter(session, cast.registrar, letter, registrar)
            elif step == "assign":
                await assign_letter(
                    session, cast.registrar, letter, registrar, choose_unit(letter)
                )
            elif step == "instruct":
                await instruct_letter(
                    session, cast.leader, letter, cast.actor(cast.leader), rng.choice(INSTRUCTIONS)
                )
            elif step == "urge":
                await urge_letter(
                    session, cast.supervisor, letter, cast.actor(cast.supervisor), URGE_MESSAGE
                )
            elif step == "draft":
                reply = await save_draft(
                    session, cast.drafter, letter, cast.actor(cast.drafter), reply_text or ""
                )
            elif step == "approve":
                assert reply is not None
                await approve_reply(session, cast.leader, letter, cast.actor(cast.leader), reply)
            elif step == "send":
                assert reply is not None
                await send_reply(session, cast.registrar, letter, registrar, reply, secret)
            elif step == "publish":
                await set_publication(session, cast.registrar, letter, registrar, True, secret)
            elif step == "evaluate":
                satisfaction = rng.choices(list(Satisfaction), weights=[6, 3, 1])[0]
                await evaluate_letter(
                    session,
                    tenant,
                    letter,
                    Actor(user_id=None, label="来信人"),
                    satisfaction=satisfaction,
                    problem_solved=satisfaction != Satisfaction.UNSATISFIED
                    and rng.random() < 0.85,
                    comment=None,
                )
            elif step == "close":
                await close_letter(session, cast.registrar, letter, registrar)
            else:
                raise ValueError(f"unknown demo step {step!r}")
            # Flush inside the moment: column defaults (updated_at) read the clock.
            await session.flush()


async def drop_writer_messages(
    session: AsyncSession, tenant_id: int, letter_ids: Sequence[int]
) -> None:
    """Discard the queued messages to the writers of ``letter_ids`` (see above)."""
    notices = select(LetterNotice.id).where(LetterNotice.letter_id.in_(letter_ids))
    await session.execute(
        delete(OutboxJob).where(
            OutboxJob.tenant_id == tenant_id,
            OutboxJob.sent_at.is_(None),
            or_(
                (OutboxJob.job_name == RECEIPT_JOB)
                & OutboxJob.kwargs["letter_id"].as_integer().in_(letter_ids),
                (OutboxJob.job_name == NOTICE_JOB)
                & OutboxJob.kwargs["notice_id"].as_integer().in_(notices),
            ),
        )
    )


async def read_settled_notifications(session: AsyncSession, letter_ids: Sequence[int]) -> None:
    """Mark read the bell's notifications (分办, 待审核答复, ...) of those of
    ``letter_ids`` no longer in hand: their staff acted on them at the time.
    Left unread, ten months of history would bury the letters in hand."""
    settled = select(Letter.id).where(
        Letter.id.in_(letter_ids), Letter.state.not_in(OPEN_STATES)
    )
    await session.execute(
        update(StaffNotification)
        .where(StaffNotification.letter_id.in_(settled), StaffNotification.read_at.is_(None))
        .values(read_at=StaffNotification.created_at)
    )
