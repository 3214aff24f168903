"""One statement that files a new letter: the letter row, its province-wide
locator, the public "submitted" event, its attachments and its jobs::

    filing = Filing(row, lexemes=..., tenant_id=tenant.id, event=event, jobs=jobs)
    letter_id = await filing.run(session)   # None: submission key or code taken

Why one statement: written as ORM objects with a savepoint round it, a letter
took nine round trips and most of a web write's CPU (measured: 75% of ~7 ms
per letter in the unit of work and the driver). Here PostgreSQL runs the
inserts as data-modifying CTEs, each fed by the one before, in one round trip.
The statement is built once per shape (which columns, with or without files)
and then only gets new parameters: building and compiling it anew for every
letter cost more than running it.

Conflicts are not errors, so the caller's transaction stays usable without a
savepoint: the letter insert does nothing when its submission key or tracking
code exists (no row comes back), and
the locator insert does nothing when another tenant holds the code (the letter
comes back without ``located``; everything else hangs off the locator, so only
the letter row is left to remove, which :meth:`Filing.run` does).
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, NamedTuple

from sqlalchemy import (
    BigInteger,
    Insert,
    Select,
    Table,
    Text,
    bindparam,
    delete,
    func,
    literal,
    select,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.sql import column
from sqlalchemy.sql.selectable import CTE

from leadermail.platform.audit.writer import Actor
from leadermail.platform.clock import utcnow
from leadermail.platform.jobs.outbox import LetterJob, letter_jobs_insert, letter_jobs_parameters
from leadermail.platform.letters.models import Attachment, Letter, LetterLocator
from leadermail.platform.letters.workflow import timeline_event_insert, timeline_event_parameters
from leadermail.platform.search import lexeme_vector


class TimelineEvent(NamedTuple):
    kind: str
    actor: Actor
    message: str
    public: bool
    data: dict[str, Any]


@dataclass(frozen=True)
class Filing:
    """A new letter and everything written with it."""

    #: Letter columns (without ``search_vector``); the model's Python-side
    #: defaults fill the rest.
    row: dict[str, Any]
    #: The search index's lexemes, space-separated (``search.lexeme_vector``).
    lexemes: str
    tenant_id: int
    located_at: datetime
    event: TimelineEvent
    jobs: Sequence[LetterJob]
    #: Attachment columns: filename, content_type, size_bytes, sha256, storage_key.
    attachments: Sequence[dict[str, Any]] = ()

    async def run(self, session: AsyncSession) -> int | None:
        """Write it in ``session``'s transaction; the letter's id, or None if
        its submission key or its tracking code was taken (nothing written)."""
        row = _with_defaults(Letter.__table__, self.row)
        statement = _statement(tuple(row), bool(self.attachments))
        parameters = {f"letter_{name}": value for name, value in row.items()}
        parameters |= {
            "letter_lexemes": self.lexemes,
            "locator_tenant_id": self.tenant_id,
            "locator_created_at": self.located_at,
        }
        if self.attachments:
            parameters |= {
                "files": [{name: item[name] for name in _FILE_FIELDS} for item in self.attachments],
                "files_tenant_id": self.tenant_id,
                "files_created_at": utcnow(),
            }
        event = self.event
        parameters |= timeline_event_parameters(
            self.tenant_id,
            event.kind,
            event.actor,
            message=event.message,
            public=event.public,
            data=event.data,
        )
        parameters |= letter_jobs_parameters(self.tenant_id, self.jobs)
        found = (await session.execute(statement, parameters)).one_or_none()
        if found is None:
            return None
        if found.located is None:
            # The code is another tenant's: nothing but the letter row was written.
            await session.execute(delete(Letter).where(Letter.id == found.letter_id))
            return None
        return int(found.letter_id)


@functools.cache
def _statement(columns: tuple[str, ...], with_attachments: bool) -> Select[Any]:
    letters = Letter.__table__
    values: dict[str, Any] = {
        name: bindparam(f"letter_{name}", type_=letters.c[name].type) for name in columns
    }
    values["search_vector"] = lexeme_vector(bindparam("letter_lexemes", type_=Text))
    new_letter = (
        pg_insert(letters)
        .values(values)
        .on_conflict_do_nothing()
        .returning(letters.c.id.label("letter_id"), letters.c.tracking_code)
        .cte("new_letter")
    )
    locators = LetterLocator.__table__
    tenant_id = bindparam("locator_tenant_id", type_=BigInteger)
    located = (
        pg_insert(locators)
        .from_select(
            [
                "tracking_code",
                "origin_tenant_id",
                "origin_letter_id",
                "current_tenant_id",
                "created_at",
            ],
            select(
                new_letter.c.tracking_code,
                tenant_id,
                new_letter.c.letter_id,
                tenant_id,
                bindparam("locator_created_at", type_=locators.c.created_at.type),
            ),
            include_defaults=False,
        )
        .on_conflict_do_nothing()
        .returning(locators.c.origin_letter_id.label("letter_id"))
        .cte("located")
    )
    dependents = [
        timeline_event_insert(located).cte("new_event"),
        letter_jobs_insert(located).cte("new_jobs"),
    ]
    if with_attachments:
        dependents.append(_attachments_insert(located).cte("new_files"))
    return select(
        new_letter.c.letter_id,
        select(located.c.letter_id).scalar_subquery().label("located"),
    ).add_cte(*dependents)


def _with_defaults(table: Table, row: dict[str, Any]) -> dict[str, Any]:
    """``row`` with the model's Python-side defaults of the columns it lacks:
    SQLAlchemy fills those in only for an INSERT that is the statement itself,
    not one inside a CTE (it would send NULL)."""
    complete = dict(row)
    for col in table.columns:
        default = col.default
        if col.name in complete or default is None:
            continue
        if getattr(default, "is_scalar", False):
            complete[col.name] = default.arg  # type: ignore[attr-defined]
        elif getattr(default, "is_callable", False):
            complete[col.name] = default.arg(None)  # type: ignore[attr-defined]
    return complete


_FILE_FIELDS = ("filename", "content_type", "size_bytes", "sha256", "storage_key")


def _attachments_insert(located: CTE) -> Insert:
    table = Attachment.__table__
    # The files travel as one JSONB parameter (see outbox.letter_jobs_insert).
    files = (
        func.jsonb_to_recordset(bindparam("files", type_=JSONB))
        .table_valued(*(column(name, table.c[name].type) for name in _FILE_FIELDS))
        .render_derived(name="file", with_types=True)
    )
    rows = select(
        bindparam("files_tenant_id", type_=BigInteger),
        located.c.letter_id,
        *(files.c[name] for name in _FILE_FIELDS),
        literal("citizen"),
        literal(False),
        bindparam("files_created_at", type_=table.c.created_at.type),
    ).select_from(located.join(files, literal(True)))
    return pg_insert(table).from_select(
        ["tenant_id", "letter_id", *_FILE_FIELDS, "uploaded_by", "is_public", "created_at"],
        rows,
        include_defaults=False,
    )
