"""公示文本: what the citizen site shows of a letter and its replies.

By default that is the automatic redaction (:func:`privacy.redact` with the
writer's name; a reply as ``part="reply"``, which keeps the office's own
landlines). Staff may review and correct it; what they changed is kept
in ``letter.extra["public_text"]``, one entry per part they changed, and
every other part stays automatic::

    public_title(letter.title, letter.writer_name, letter.extra, body=letter.body)
    public_body(letter.body, letter.writer_name, letter.extra)
    public_reply_text(reply.id, reply.body_html, letter.writer_name, letter.extra,
                      body=letter.body)                                  # signed
    public_reply_html(reply.id, reply.body_html, letter.writer_name, letter.extra,
                      body=letter.body)                                  # shown
    automatic_reply_editor_text(reply.body_html, letter.writer_name, body=letter.body)

A reply sent on a letter that is already published (handled again after
不满意) is *held*: the public page, its files and its signature page leave
it out until staff review its public text and publish it (the 公示 flow,
``replies.publishing``)::

    held_replies(letter.extra)                 # frozenset of reply ids
    letter.extra = with_held(letter.extra, {reply.id})
    select(...).where(~reply_is_held(Letter.extra, Reply.id))

``body`` is the letter's text: the names written in it ("我叫邓桂秋",
"举报人：刘况", the signature) are removed from the title and the replies
too, where the reply greets "刘况同志". A list's snippet redacts the start of
the text with the names of all of it (``public_body(start, ..., body=whole)``).

The functions take plain values (not a Letter) because the public list reads
columns, not ORM objects. An edited reply is plain text, as in the reply
editor: shown through ``plain_text_to_html``, never as HTML.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

import nh3
from sqlalchemy import ColumnElement, func

from leadermail.platform.privacy import find_personal_data, redact
from leadermail.platform.replies.sanitize import (
    html_to_editor_text,
    html_to_text,
    plain_text_to_html,
)
from leadermail.platform.written_names import Part, written_names

#: The key of ``Letter.extra`` holding the parts staff edited.
EXTRA_KEY = "public_text"
#: In ``extra["public_text"]``: the ids of the replies not shown yet (a list).
#: Held, not published, is what is recorded: every letter published before
#: this rule, and every letter never handled again, has all its sent replies
#: public, and an empty set keeps that true without rewriting a single row
#: (no migration, no "absent means all" reading). It sits next to the staff's
#: edits because it is the same question, what the public page shows of this
#: letter that differs from "every sent reply, redacted", and is settled on
#: the same 公示文本 page. A public signature is not the switch: it proves a
#: text, and is made again whenever that text changes.
HELD_KEY = "held_replies"


def letter_names(writer_name: str | None, body: str = "") -> list[str]:
    """The names to remove from every part of a letter's public text: the
    writer's (the 姓名 field) and those written in the letter's text."""
    names = [writer_name] if writer_name else []
    return names + written_names(body) if body else names


def personal_data_problem(
    label: str, text: str, names: list[str], part: Part, *, then: str = "保存"
) -> str | None:
    """What the redaction's own detectors still find in a public text, as the
    message shown next to it ("答复中仍有个人信息：电话号码（138****5678）…"),
    or None. One check for the 公示文本 editor and for 公示 itself."""
    found = find_personal_data(text, names=names, part=part)
    if not found:
        return None
    listed = "、".join(dict.fromkeys(f"{item.kind}（{item.sample}）" for item in found))
    return f"{label}中仍有个人信息：{listed}。请删除或改为 ***，再{then}"


def edits_of(extra: Mapping[str, Any] | None) -> dict[str, Any]:
    """The edited parts: {"title": …, "body": …, "replies": {"<reply id>": …}}."""
    stored = (extra or {}).get(EXTRA_KEY)
    return stored if isinstance(stored, dict) else {}


def held_replies(extra: Mapping[str, Any] | None) -> frozenset[int]:
    """The sent replies that wait for staff to publish them."""
    stored = edits_of(extra).get(HELD_KEY)
    if not isinstance(stored, list):
        return frozenset()
    return frozenset(item for item in stored if isinstance(item, int))


def with_held(extra: Mapping[str, Any] | None, reply_ids: Iterable[int]) -> dict[str, Any]:
    """A copy of ``extra`` whose held replies are ``reply_ids`` (none: the key
    goes, so a letter with nothing held reads as before). A new dict, so the
    ORM sees the change of the JSONB column."""
    result = dict(extra or {})
    stored = dict(edits_of(result))
    held = sorted(set(reply_ids))
    if held:
        stored[HELD_KEY] = held
    else:
        stored.pop(HELD_KEY, None)
    if stored:
        result[EXTRA_KEY] = stored
    else:
        result.pop(EXTRA_KEY, None)
    return result


def reply_is_held(extra: ColumnElement[Any], reply_id: ColumnElement[Any]) -> ColumnElement[bool]:
    """SQL: the reply ``reply_id`` is held on the letter whose extra is ``extra``
    (``extra @> {"public_text": {"held_replies": [id]}}``; never NULL)."""
    wanted = func.jsonb_build_object(
        EXTRA_KEY, func.jsonb_build_object(HELD_KEY, func.jsonb_build_array(reply_id))
    )
    return extra.contains(wanted)


def _edited_reply(reply_id: int, extra: Mapping[str, Any] | None) -> str | None:
    text = (edits_of(extra).get("replies") or {}).get(str(reply_id))
    return text if isinstance(text, str) else None


def is_edited(extra: Mapping[str, Any] | None) -> bool:
    edits = edits_of(extra)
    return bool(edits.get("title") or edits.get("body") or edits.get("replies"))


def public_title(
    title: str, writer_name: str | None, extra: Mapping[str, Any] | None, *, body: str = ""
) -> str:
    return edits_of(extra).get("title") or redact(title, names=letter_names(writer_name, body))


def public_body(
    text: str, writer_name: str | None, extra: Mapping[str, Any] | None, *, body: str = ""
) -> str:
    """The letter's public text; ``text`` may be the start of ``body`` (a snippet)."""
    edited = edits_of(extra).get("body")
    if edited:
        return edited
    if not body or body == text:
        # redact finds the names written in the text itself.
        return redact(text, names=letter_names(writer_name))
    return redact(text, names=letter_names(writer_name, body))


def public_reply_text(
    reply_id: int,
    body_html: str,
    writer_name: str | None,
    extra: Mapping[str, Any] | None,
    *,
    body: str = "",
) -> str:
    """The reply as plain text, as the public signature covers it."""
    edited = _edited_reply(reply_id, extra)
    if edited is not None:
        return edited
    return redact(html_to_text(body_html), names=letter_names(writer_name, body), part="reply")


def public_reply_html(
    reply_id: int,
    body_html: str,
    writer_name: str | None,
    extra: Mapping[str, Any] | None,
    *,
    body: str = "",
) -> str:
    """The reply as the public page shows it (safe HTML)."""
    edited = _edited_reply(reply_id, extra)
    if edited is not None:
        return plain_text_to_html(edited)
    # Personal data removed, then sanitised again.
    return nh3.clean(redact(body_html, names=letter_names(writer_name, body), part="reply"))


def automatic_reply_editor_text(body_html: str, writer_name: str | None, *, body: str = "") -> str:
    """The automatic redaction of a reply as the editor shows it (paragraphs
    split by a blank line), the starting point of the staff's review."""
    return redact(
        html_to_editor_text(body_html), names=letter_names(writer_name, body), part="reply"
    )


def reply_editor_text(
    reply_id: int,
    body_html: str,
    writer_name: str | None,
    extra: Mapping[str, Any] | None,
    *,
    body: str = "",
) -> str:
    edited = _edited_reply(reply_id, extra)
    if edited is not None:
        return edited
    return automatic_reply_editor_text(body_html, writer_name, body=body)
