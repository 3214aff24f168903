"""Reviewing and correcting the 公示文本 before and after publication.

The automatic redaction is a safety net, not an editor: it may leave a
neighbour's name or a shop's address in, or take out a number the reader
needs. Staff who may publish read the public version (title, letter, every
sent reply), correct it as plain text, and save it::

    version = public_version(letter, sent)     # the editor's text, automatic where untouched
    changed = await save_public_text(
        session, staff, letter, actor, PublicTextForm(title, body, {reply.id: text}), secret
    )                                          # ["标题", "答复"]; [] if nothing changed
    await reset_public_text(session, staff, letter, actor, secret)   # automatic again

What is refused (``PublicTextRefused.errors``: field → message, nothing
saved): empty or too long parts, and any phone number, ID or card number,
e-mail address, QQ/微信 account, the writer's name, a name written after
我叫 / 投诉人： … and the writer's home below the street (the redaction's own
detectors, :func:`privacy.find_personal_data`; in a reply the office's
landlines and 12345 are allowed, as the redaction keeps them). A letter whose writer said
"do not publish" has no public version at all.

Saving stores only the parts that differ from the automatic text
(``letters.public_text``), writes an internal timeline entry and an audit
record with each part before and after, and builds the search vector again.
On a published letter an edited reply is signed again (its public signature
covers the text shown); the caller announces the change after the commit
(``announce_public_change``) so every worker drops its cached pages. A reply
held off the public page (sent after the letter was published) is edited
here like the others but signed only when it is published
(``publishing.set_publication``, the editor's 保存并公示).
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from leadermail.platform.accounts.policy import Action, StaffUser
from leadermail.platform.audit.writer import Actor, record_audit
from leadermail.platform.letters.models import Letter, Reply
from leadermail.platform.letters.public_text import (
    EXTRA_KEY,
    HELD_KEY,
    automatic_reply_editor_text,
    edits_of,
    held_replies,
    letter_names,
    personal_data_problem,
    public_body,
    public_title,
    reply_editor_text,
)
from leadermail.platform.letters.staff_actions import ActionRefused, require
from leadermail.platform.letters.submission import letter_search_vector
from leadermail.platform.letters.workflow import add_timeline_event
from leadermail.platform.replies.drafting import letter_replies, sent_replies
from leadermail.platform.replies.publishing import sign_public_text
from leadermail.platform.replies.sanitize import MAX_REPLY_CHARS
from leadermail.platform.replies.signing import ensure_signing_key
from leadermail.platform.written_names import Part

MAX_PUBLIC_TITLE_CHARS = 100
MAX_PUBLIC_BODY_CHARS = 10_000
#: Timeline kind of a saved correction (internal).
EDITED_EVENT = "public_text_edited"


@dataclass(frozen=True)
class ReplyPart:
    """One sent reply in the editor."""

    reply: Reply
    #: 1 for the first reply; several once the letter was handled again.
    number: int
    text: str
    automatic: str
    #: Sent after the letter was published; not on the public page yet.
    held: bool = False

    @property
    def field(self) -> str:
        return reply_field(self.reply.id)

    @property
    def edited(self) -> bool:
        return self.text != self.automatic


@dataclass(frozen=True)
class PublicVersion:
    title: str
    body: str
    replies: list[ReplyPart]
    automatic_title: str
    automatic_body: str

    @property
    def held(self) -> list[ReplyPart]:
        """The replies that wait for 公示."""
        return [part for part in self.replies if part.held]

    @property
    def edited(self) -> bool:
        return (
            self.title != self.automatic_title
            or self.body != self.automatic_body
            or any(part.edited for part in self.replies)
        )


@dataclass(frozen=True)
class PublicTextForm:
    """What the editor posted: the three kinds of part, as typed."""

    title: str
    body: str
    replies: dict[int, str] = field(default_factory=dict)

    @classmethod
    def from_form(cls, form: Mapping[str, Any], reply_ids: Sequence[int]) -> PublicTextForm:
        return cls(
            title=str(form.get("title") or ""),
            body=str(form.get("body") or ""),
            replies={
                reply_id: str(form.get(reply_field(reply_id)) or "")
                for reply_id in reply_ids
                if reply_field(reply_id) in form
            },
        )


class PublicTextRefused(Exception):
    """The typed text cannot be published; ``errors`` maps field → message."""

    def __init__(self, errors: dict[str, str]) -> None:
        super().__init__("; ".join(errors.values()))
        self.errors = errors


def reply_field(reply_id: int) -> str:
    return f"reply-{reply_id}"


def _automatic(letter: Letter) -> tuple[str, str]:
    return (
        public_title(letter.title, letter.writer_name, None, body=letter.body),
        public_body(letter.body, letter.writer_name, None),
    )


def public_version(letter: Letter, sent: Sequence[Reply]) -> PublicVersion:
    """The public text as the editor shows it: staff's corrections, and the
    automatic redaction wherever there are none."""
    automatic_title, automatic_body = _automatic(letter)
    edits = edits_of(letter.extra)
    name, extra = letter.writer_name, letter.extra
    held = held_replies(extra)
    return PublicVersion(
        title=edits.get("title") or automatic_title,
        body=edits.get("body") or automatic_body,
        replies=[
            ReplyPart(
                reply,
                number,
                reply_editor_text(reply.id, reply.body_html, name, extra, body=letter.body),
                automatic_reply_editor_text(reply.body_html, name, body=letter.body),
                reply.id in held,
            )
            for number, reply in enumerate(sent, start=1)
        ],
        automatic_title=automatic_title,
        automatic_body=automatic_body,
    )


def _one_line(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip()


def _paragraphs(text: str) -> str:
    # Trailing spaces and runs of blank lines say nothing on the public page.
    lines = [line.rstrip() for line in text.replace("\r\n", "\n").replace("\r", "\n").split("\n")]
    return re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip()


def _check(label: str, text: str, limit: int, names: list[str], part: Part) -> str | None:
    if not text:
        return f"请填写{label}"
    if len(text) > limit:
        return f"{label}不能超过 {limit} 个字，当前 {len(text)} 个字"
    return personal_data_problem(label, text, names, part)


def _part_names(version: PublicVersion) -> dict[str, str]:
    many = len(version.replies) > 1
    names = {"title": "标题", "body": "来信内容"}
    for part in version.replies:
        names[part.field] = f"第 {part.number} 次答复" if many else "答复"
    return names


async def save_public_text(
    session: AsyncSession,
    staff: StaffUser,
    letter: Letter,
    actor: Actor,
    typed: PublicTextForm,
    secret: str,
) -> list[str]:
    """Store the corrected public text; return the names of the parts that
    changed (empty: nothing did, nothing written). Raises ``ActionRefused``
    when the letter has no public version and ``PublicTextRefused`` with
    every problem of the typed text at once."""
    require(staff, Action.PUBLISH, letter)
    if not letter.publish_consent:
        raise ActionRefused("来信人不同意公开，不能公示，也没有公示文本")
    sent = sent_replies(await letter_replies(session, letter))
    if not sent:
        raise ActionRefused("答复发送后才能编辑公示文本")
    current = public_version(letter, sent)
    labels = _part_names(current)
    # The writer's name and those written in the letter, in every part.
    names = letter_names(letter.writer_name, letter.body)
    wanted = {"title": _one_line(typed.title), "body": _paragraphs(typed.body)}
    for part in current.replies:
        # A reply sent after the form was opened keeps its text.
        raw = typed.replies.get(part.reply.id)
        wanted[part.field] = part.text if raw is None else _paragraphs(raw)
    limits = {"title": MAX_PUBLIC_TITLE_CHARS, "body": MAX_PUBLIC_BODY_CHARS}
    errors = {
        key: problem
        for key, text in wanted.items()
        if (
            problem := _check(
                labels[key],
                text,
                limits.get(key, MAX_REPLY_CHARS),
                names,
                "letter" if key in limits else "reply",
            )
        )
    }
    if errors:
        raise PublicTextRefused(errors)

    # Compared as the editor would post them, so an untouched part is unchanged.
    before = {"title": _one_line(current.title), "body": _paragraphs(current.body)}
    before.update({part.field: _paragraphs(part.text) for part in current.replies})
    changed = [key for key in wanted if wanted[key] != before[key]]
    if not changed:
        return []
    edits: dict[str, Any] = {}
    if wanted["title"] != _one_line(current.automatic_title):
        edits["title"] = wanted["title"]
    if wanted["body"] != _paragraphs(current.automatic_body):
        edits["body"] = wanted["body"]
    replies = {
        str(part.reply.id): wanted[part.field]
        for part in current.replies
        if wanted[part.field] != _paragraphs(part.automatic)
    }
    if replies:
        edits["replies"] = replies
    held = held_replies(letter.extra)
    if held:
        edits[HELD_KEY] = sorted(held)  # what waits for 公示 is not an edit
    extra = dict(letter.extra or {})
    if edits:
        extra[EXTRA_KEY] = edits
    else:
        extra.pop(EXTRA_KEY, None)
    letter.extra = extra
    if "title" in changed or "body" in changed:
        letter.search_vector = letter_search_vector(letter)

    signature_ids: list[int] = []
    if letter.is_published:
        # The public signature covers the reply's text as shown; a held reply
        # is not shown, and is signed when it is published.
        key = await ensure_signing_key(session, letter.tenant_id, secret)
        for part in current.replies:
            if part.field in changed and not part.held:
                signature = await sign_public_text(
                    session, key, secret, letter, part.reply, staff.tenant.name
                )
                signature_ids.append(signature.id)
    changed_names = [labels[key] for key in changed]
    await add_timeline_event(
        session,
        letter,
        EDITED_EVENT,
        actor,
        message=f"修改公示文本：{'、'.join(changed_names)}",
        data={"parts": changed},
    )
    await record_audit(
        session,
        tenant_id=letter.tenant_id,
        actor=actor,
        action="letter.public_text",
        object_type="letter",
        object_id=letter.id,
        data={
            "published": letter.is_published,
            "changes": [
                {"part": key, "label": labels[key], "before": before[key], "after": wanted[key]}
                for key in changed
            ],
            "automatic": not (edits.keys() - {HELD_KEY}),
            "signature_ids": signature_ids,
        },
    )
    await session.flush()
    # The row holds the vector now; read it back only if someone asks.
    session.expire(letter, ["search_vector"])
    return changed_names


async def reset_public_text(
    session: AsyncSession, staff: StaffUser, letter: Letter, actor: Actor, secret: str
) -> list[str]:
    """Go back to the automatic redaction everywhere (saved like an edit)."""
    sent = sent_replies(await letter_replies(session, letter))
    title, body = _automatic(letter)
    typed = PublicTextForm(
        title,
        body,
        {
            r.id: automatic_reply_editor_text(r.body_html, letter.writer_name, body=letter.body)
            for r in sent
        },
    )
    return await save_public_text(session, staff, letter, actor, typed, secret)
