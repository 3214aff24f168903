"""The 办理过程 a citizen reads: each event once.

A transition that the law makes staff tell the writer about (受理, 补充材料,
答复, ...) writes two public events a moment apart: the transition itself
("请补充烧烤店的营业执照照片") and the statutory notice's full text ("尊敬的来信
人：……特此告知。", :mod:`letters.notices`). Shown as they are, every such step
appeared twice. Here the notice joins the transition it belongs to, as text
the page can fold away; a notice issued on its own (延期告知) is one entry::

    entries = citizen_timeline(view.events)
    entries[0].message, entries[0].notice_label, entries[0].notice_text
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import datetime

from leadermail.platform.letters.models import LetterEvent
from leadermail.platform.letters.notices import NOTICE_LABELS, TRANSITION_NOTICES

_NOTICE_PREFIX = "notice_"


@dataclass(frozen=True)
class TimelineEntry:
    at: datetime
    message: str
    #: The notice sent about this step ("受理告知") and its full text, if any.
    notice_label: str | None = None
    notice_text: str | None = None


def citizen_timeline(events: Sequence[LetterEvent]) -> list[TimelineEntry]:
    """``events`` (public, oldest first) as entries, each notice with its step."""
    entries: list[TimelineEntry] = []
    #: notice kind -> index of the latest entry of its transition still without one
    waiting: dict[str, int] = {}
    for event in events:
        if event.kind.startswith(_NOTICE_PREFIX):
            kind = event.kind[len(_NOTICE_PREFIX) :]
            label = NOTICE_LABELS.get(kind, "告知")
            index = waiting.pop(kind, None)
            if index is not None:
                entries[index] = replace(
                    entries[index], notice_label=label, notice_text=event.message
                )
            else:
                entries.append(TimelineEntry(event.created_at, label, label, event.message))
            continue
        entries.append(TimelineEntry(event.created_at, event.message or ""))
        notice_kind = TRANSITION_NOTICES.get(event.kind)
        if notice_kind is not None:
            waiting[notice_kind] = len(entries) - 1
    return entries
