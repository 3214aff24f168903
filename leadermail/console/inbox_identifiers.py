"""What a staff member may type into the inbox search to find one letter
exactly, besides words of its title or body::

    identifier_condition("83zbe hex83")     # Letter.tracking_code == "83ZBEHEX83"
    identifier_condition("138 1234 5678")   # Letter.writer_phone == "13812345678"
    identifier_condition("张三")             # Letter.writer_name == "张三"

A citizen on the phone reads out their 查询码 in whatever case and grouping;
it is normalised the way the tracking page does it. The writer's mobile
number matches only in full (normalised like the letter form does): a
prefix would let anyone with the inbox fish through writers' numbers. The
name matches exactly, as the form stored it (one line, trimmed). A code
never looks like a mobile number (it has no 1), and neither is taken for a
name, so each query is one equality on one index: the tracking code's
unique constraint, ``ix_letters_writer_phone``, or ``ix_letters_writer_name``
(whose trailing ``reply_due_at, id`` hand a common name's letters over in
the inbox's order).

The condition only narrows: the caller adds it to the inbox's own
conditions (tenant, a handler's unit, the filters), so it finds nothing a
staff member could not list anyway.
"""

from __future__ import annotations

from sqlalchemy import ColumnElement

from leadermail.platform.letters.models import Letter
from leadermail.platform.letters.tracking import normalize_tracking_code
from leadermail.platform.letters.validation import NAME_MAX, normalize_mobile


def identifier_condition(text: str) -> ColumnElement[bool] | None:
    """Letters whose tracking code, writer's mobile number or writer's name
    is ``text``; None when ``text`` cannot be any of them."""
    code = normalize_tracking_code(text)
    if code is not None:
        return Letter.tracking_code == code
    phone = normalize_mobile(text)
    if phone is not None:
        return Letter.writer_phone == phone
    name = " ".join(text.split())
    if name and len(name) <= NAME_MAX:
        return Letter.writer_name == name
    return None
