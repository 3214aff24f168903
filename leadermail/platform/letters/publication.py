"""Published letters (信件公开): the list, search, filters, and one letter's page.

    filters = PublishedFilters.from_query(request.query_params)
    page = await published_page(session, tenant, filters)      # items, total, pages
    letter = await published_letter(session, tenant, letter_id)  # or None

Only letters with ``is_published`` *and* ``publish_consent`` are ever read
here: a letter whose writer chose "do not publish" cannot appear, whatever a
staff member did. What leaves this module is already redacted
(:func:`leadermail.platform.privacy.redact` with the writer's name), or the
text staff reviewed and corrected (``letters.public_text``): the writer's
name, phone, e-mail and ID number are never part of the result, so a
template cannot show them by mistake, and 所在地区 only to the district or
county (:func:`residences.public_region`). The search index holds that same text
(see ``submission.letter_search_vector``); public searches never match words
staff took out of it (``query_terms(q, public=True)``).

A letter the writer asked to have handled again (不满意, 重新办理) says so
and keeps its earlier reply on the page until the new one is sent *and*
staff publish it (a reply sent on a published letter is held until its
public text is reviewed: ``public_text.held_replies``); then the new reply
is the answer and the earlier ones stay below it as history. A held reply is
nowhere here: not on the page, not in its dates, not in the home page's
latest answers (the search index holds only the letter's title and text).
The home page keeps such a letter among its latest answers all along, with
the date of the reply its page shows (``recent_published``)::

    letter.rehandling        # True from the request until the new reply is public
    letter.reply_held        # the new reply was sent and waits for 公示
    letter.current_reply     # the answer in force, or None while re-handled
    letter.earlier_replies   # replied before, superseded after 不满意
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Select, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from leadermail.platform.letters.figures import cached
from leadermail.platform.letters.models import (
    LETTER_TYPE_LABELS,
    Category,
    Letter,
    Reply,
    Unit,
)
from leadermail.platform.letters.public_text import (
    held_replies,
    public_body,
    public_reply_html,
    public_title,
)
from leadermail.platform.residences import public_region
from leadermail.platform.search import matches, query_terms
from leadermail.platform.web.templating import SHANGHAI
from leadermail.tenants.registry import TenantRef

PAGE_SIZE = 20
SNIPPET_CHARS = 90
MAX_PAGE = 10_000


def _int(value: str | None, low: int = 1, high: int = 10**12) -> int | None:
    if value is None or not value.strip().isdigit():
        return None
    number = int(value.strip())
    return number if low <= number <= high else None


@dataclass(frozen=True)
class PublishedFilters:
    q: str = ""
    letter_type: str = ""
    category_id: int | None = None
    unit_id: int | None = None
    year: int | None = None
    page: int = 1

    @classmethod
    def from_query(cls, params: Mapping[str, str]) -> PublishedFilters:
        letter_type = (params.get("type") or "").strip()
        return cls(
            q=(params.get("q") or "").strip()[:100],
            letter_type=letter_type if letter_type in LETTER_TYPE_LABELS else "",
            category_id=_int(params.get("category")),
            unit_id=_int(params.get("unit")),
            year=_int(params.get("year"), 2000, 2100),
            page=_int(params.get("page"), 1, MAX_PAGE) or 1,
        )

    def query_string(self, **overrides: object) -> str:
        """Query string for links (pagination keeps the filters)."""
        from urllib.parse import urlencode

        values = replace(self, **overrides)  # type: ignore[arg-type]
        pairs = {
            "q": values.q,
            "type": values.letter_type,
            "category": values.category_id or "",
            "unit": values.unit_id or "",
            "year": values.year or "",
            "page": values.page if values.page != 1 else "",
        }
        return urlencode({k: v for k, v in pairs.items() if v})

    @property
    def is_filtered(self) -> bool:
        return bool(self.q or self.letter_type or self.category_id or self.unit_id or self.year)


@dataclass(frozen=True)
class PublishedItem:
    id: int
    title: str
    snippet: str
    type_label: str
    category: str | None
    unit: str | None
    submitted_at: datetime
    replied_at: datetime | None
    #: The writer was not satisfied and the letter is being handled again
    #: (or its new reply is not published yet).
    rehandling: bool = False
    #: A new reply was sent and waits for staff to publish it.
    reply_held: bool = False


@dataclass(frozen=True)
class PublishedPage:
    items: list[PublishedItem]
    total: int
    page: int
    page_size: int = PAGE_SIZE

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.page_size))


@dataclass(frozen=True)
class PublishedReply:
    unit: str | None
    html: str  # safe: redacted or staff-edited plain text, sanitised
    sent_at: datetime | None


@dataclass(frozen=True)
class PublishedLetter:
    item: PublishedItem
    body: str
    region: str | None
    channel: str
    replies: list[PublishedReply]  # oldest first

    @property
    def rehandling(self) -> bool:
        return self.item.rehandling

    @property
    def reply_held(self) -> bool:
        return self.item.reply_held

    @property
    def current_reply(self) -> PublishedReply | None:
        """The answer in force: the newest reply, unless the letter is being
        handled again (then every reply so far is an earlier one)."""
        return None if self.rehandling or not self.replies else self.replies[-1]

    @property
    def earlier_replies(self) -> list[PublishedReply]:
        """Replies the writer was not satisfied with, newest first."""
        earlier = self.replies if self.rehandling else self.replies[:-1]
        return earlier[::-1]


def _published() -> Select:
    # Both conditions, always: consent is the citizen's, publication is staff's.
    return select(Letter).where(Letter.is_published.is_(True), Letter.publish_consent.is_(True))


def _filtered(statement: Select, filters: PublishedFilters) -> Select:
    terms = query_terms(filters.q, public=True)
    if terms is not None:
        statement = statement.where(matches(Letter.search_vector, terms))
    if filters.letter_type:
        statement = statement.where(Letter.letter_type == filters.letter_type)
    if filters.category_id:
        statement = statement.where(Letter.category_id == filters.category_id)
    if filters.unit_id:
        statement = statement.where(Letter.unit_id == filters.unit_id)
    if filters.year:
        start = datetime(filters.year, 1, 1, tzinfo=SHANGHAI).astimezone(UTC)
        end = datetime(filters.year + 1, 1, 1, tzinfo=SHANGHAI).astimezone(UTC)
        statement = statement.where(Letter.submitted_at >= start, Letter.submitted_at < end)
    return statement


def _is_rehandling(row: Any, held: frozenset[int]) -> bool:
    # 重新办理 clears replied_at; the new reply sets it again, and is public
    # once staff publish it.
    return bool(held) or (bool(row.rehandle_count) and row.replied_at is None)


def _item(row: Any) -> PublishedItem:
    # The start of the text, redacted with the names written anywhere in it.
    body = public_body(row.body[: SNIPPET_CHARS * 3], row.writer_name, row.extra, body=row.body)
    snippet = " ".join(body.split())[:SNIPPET_CHARS]
    held = held_replies(row.extra)
    return PublishedItem(
        id=row.id,
        title=public_title(row.title, row.writer_name, row.extra, body=row.body),
        snippet=snippet + ("…" if len(body) > SNIPPET_CHARS else ""),
        type_label=LETTER_TYPE_LABELS.get(row.letter_type, row.letter_type),
        category=row.category,
        unit=row.unit,
        submitted_at=row.submitted_at,
        # A held reply's date would announce an answer the page does not show.
        replied_at=None if held else row.replied_at,
        rehandling=_is_rehandling(row, held),
        # Handled again once more since, it is simply "being handled again".
        reply_held=bool(held) and row.replied_at is not None,
    )


_COLUMNS = (
    Letter.id,
    Letter.title,
    Letter.body,
    Letter.writer_name,
    Letter.letter_type,
    Letter.submitted_at,
    Letter.replied_at,
    Letter.region,
    Letter.channel,
    Letter.rehandle_count,
    Letter.extra,
    Category.name.label("category"),
    Unit.name.label("unit"),
)


def _with_columns(statement: Select) -> Select:
    return (
        statement.with_only_columns(*_COLUMNS)
        .outerjoin(Category, Category.id == Letter.category_id)
        .outerjoin(Unit, Unit.id == Letter.unit_id)
    )


async def published_count(
    session: AsyncSession, tenant: TenantRef, filters: PublishedFilters
) -> int:
    async def load() -> int:
        statement = _filtered(_published(), filters).with_only_columns(func.count())
        return int(await session.scalar(statement) or 0)

    key = ("published-count", tenant.id, replace(filters, page=1))
    return await cached(key, load, ttl=30.0)


#: Published pages change when staff publish; a few seconds' delay is fine and
#: repeated views (page 1, popular searches) then cost no query at all.
PAGE_CACHE_SECONDS = 15.0


async def published_page(
    session: AsyncSession, tenant: TenantRef, filters: PublishedFilters
) -> PublishedPage:
    return await cached(
        ("published-page", tenant.id, filters),
        lambda: _published_page(session, tenant, filters),
        ttl=PAGE_CACHE_SECONDS,
    )


async def _published_page(
    session: AsyncSession, tenant: TenantRef, filters: PublishedFilters
) -> PublishedPage:
    total = await published_count(session, tenant, filters)
    statement = (
        _with_columns(_filtered(_published(), filters))
        .order_by(Letter.published_at.desc(), Letter.id.desc())
        .offset((filters.page - 1) * PAGE_SIZE)
        .limit(PAGE_SIZE)
    )
    rows = (await session.execute(statement)).all()
    return PublishedPage([_item(row) for row in rows], total, filters.page)


async def recent_published(
    session: AsyncSession, tenant: TenantRef, limit: int = 6
) -> list[PublishedItem]:
    """The home page's 最新答复: the latest published letters with an answer.

    A letter handled again stays listed (citizens saw it there, and its page
    still shows the reply): ``rehandling`` (and ``reply_held``) say so, and
    ``replied_at`` is the date of the newest reply the public can read.
    """
    # 重新办理 clears replied_at: a letter handled again answered before.
    answered = _published().where(
        or_(Letter.replied_at.is_not(None), Letter.rehandle_count > 0)
    )
    statement = (
        _with_columns(answered)
        .order_by(Letter.published_at.desc(), Letter.id.desc())
        .limit(limit)
    )
    rows = (await session.execute(statement)).all()
    items = [_item(row) for row in rows]
    # Handled again, or its new reply held: no answer date of its own.
    waiting = {
        row.id: held_replies(row.extra)
        for row, item in zip(rows, items, strict=True)
        if item.replied_at is None
    }
    if not waiting:
        return items
    shown = await _newest_public_replies(session, waiting)
    return [
        replace(item, replied_at=shown[item.id]) if item.id in waiting else item
        for item in items
        # One without a reply the public can read is no 最新答复.
        if item.id not in waiting or item.id in shown
    ]


async def _newest_public_replies(
    session: AsyncSession, held: Mapping[int, frozenset[int]]
) -> dict[int, datetime]:
    """Letter id → when its newest sent reply, other than those ``held``, went out."""
    rows = await session.execute(
        select(Reply.letter_id, Reply.id, Reply.sent_at).where(
            Reply.letter_id.in_(list(held)),
            Reply.status == "sent",
            Reply.sent_at.is_not(None),
        )
    )
    newest: dict[int, datetime] = {}
    for letter_id, reply_id, sent_at in rows:
        if reply_id in held[letter_id]:
            continue
        if letter_id not in newest or sent_at > newest[letter_id]:
            newest[letter_id] = sent_at
    return newest


async def published_letter(
    session: AsyncSession, tenant: TenantRef, letter_id: int
) -> PublishedLetter | None:
    return await cached(
        ("published-letter", tenant.id, letter_id),
        lambda: _published_letter(session, letter_id),
        ttl=PAGE_CACHE_SECONDS,
    )


async def _published_letter(session: AsyncSession, letter_id: int) -> PublishedLetter | None:
    row = (
        await session.execute(_with_columns(_published().where(Letter.id == letter_id)))
    ).one_or_none()
    if row is None:
        return None
    held = held_replies(row.extra)
    replies = (
        await session.execute(
            select(Reply.id, Unit.name, Reply.body_html, Reply.sent_at)
            .outerjoin(Unit, Unit.id == Reply.unit_id)
            .where(Reply.letter_id == letter_id, Reply.status == "sent")
            .order_by(Reply.sent_at, Reply.id)
        )
    ).all()
    return PublishedLetter(
        item=_item(row),
        body=public_body(row.body, row.writer_name, row.extra),
        region=public_region(row.region),
        channel=row.channel,
        replies=[
            PublishedReply(
                unit,
                public_reply_html(reply_id, html, row.writer_name, row.extra, body=row.body),
                sent,
            )
            for reply_id, unit, html, sent in replies
            if reply_id not in held
        ],
    )


async def filter_choices(
    session: AsyncSession, tenant: TenantRef
) -> dict[str, list[tuple[int, str]]]:
    """Categories and units for the filter form (cached with the figures)."""

    async def load() -> dict[str, list[tuple[int, str]]]:
        categories = (
            await session.execute(
                select(Category.id, Category.name)
                .where(Category.is_active.is_(True))
                .order_by(Category.position, Category.id)
            )
        ).all()
        units = (
            await session.execute(
                select(Unit.id, Unit.name).where(Unit.is_active.is_(True)).order_by(Unit.id)
            )
        ).all()
        return {"categories": [tuple(c) for c in categories], "units": [tuple(u) for u in units]}

    return await cached(("filter-choices", tenant.id), load)
