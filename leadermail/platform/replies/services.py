"""Reply verbs, one import for callers: draft, approve, send, publish, 常用语.

    reply = await save_draft(session, staff, letter, actor, form["body"])
    await approve_reply(session, staff, letter, actor, reply)          # leader
    await send_reply(session, staff, letter, actor, reply, secret)     # signs, 已答复
    await set_publication(session, staff, letter, actor, True, secret) # only with consent
    await mark_attachment_public(session, staff, letter, actor, file_id, True, secret)

A reply goes draft → approved → sent. Each step lives in its own module,
which documents it: ``drafting`` (the editor, which reply is which),
``approval`` (审核通过 / 退回修改), ``sending`` (signing, 答复告知),
``publishing`` (公示 and its signed public text) and ``canned`` (常用语);
``public_version`` reviews and corrects the 公示文本 (its own import).
"""

from __future__ import annotations

from leadermail.platform.replies.approval import (
    MAX_RETURN_COMMENT_CHARS,
    RETURNED_EVENT,
    approve_reply,
    return_reply,
)
from leadermail.platform.replies.canned import (
    add_canned_reply,
    canned_replies,
    canned_reply_by_id,
    canned_text,
    insert_canned,
)
from leadermail.platform.replies.drafting import (
    DRAFTABLE_STATES,
    WORKING_STATUSES,
    current_reply,
    letter_replies,
    save_draft,
    sent_replies,
    working_reply,
)
from leadermail.platform.replies.publishing import (
    PublicPreview,
    mark_attachment_public,
    public_preview,
    set_publication,
)
from leadermail.platform.replies.sending import send_reply

__all__ = [
    "DRAFTABLE_STATES",
    "MAX_RETURN_COMMENT_CHARS",
    "RETURNED_EVENT",
    "WORKING_STATUSES",
    "PublicPreview",
    "add_canned_reply",
    "approve_reply",
    "canned_replies",
    "canned_reply_by_id",
    "canned_text",
    "current_reply",
    "insert_canned",
    "letter_replies",
    "mark_attachment_public",
    "public_preview",
    "return_reply",
    "save_draft",
    "send_reply",
    "sent_replies",
    "set_publication",
    "working_reply",
]
