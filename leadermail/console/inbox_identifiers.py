"""What a staff member may type into the inbox search to find one letter
exactly, besides words of its title or body::

    identifier_condition("83zbe hex83")     # the letter with 查询码 83ZBEHEX83, or
                                            # the forwarded copy whose writer holds it
    identifier_condition("F000000000000012")  # a forwarded copy by its own code
    identifier_condition("138 1234 5678")   # Letter.writer_phone == "13812345678"
    identifier_condition("张三")             # Letter.writer_name == "张三"

A citizen on the phone reads out their 查询码 in whatever case and grouping;
it is normalised the way the tracking page does it. A letter forwarded here
from another mailbox is a copy with a code of its own (F0…), while the
writer keeps the code of the mailbox they wrote to: the copy's
``forwarded_copies`` row holds that code, so the 查询码 finds the letter
written here *or* the copy (a union of two equalities: the tracking code's
unique constraint and ``ix_forwarded_copies_writer_tracking_code``, then
the letters' primary key: under 0.1 ms on a tenant of 200,000 letters; an
OR with a sub-select would make PostgreSQL walk the inbox instead).

The writer's mobile number matches only in full (normalised like the letter
form does): a prefix would let anyone with the inbox fish through writers'
numbers. The name matches exactly, as the form stored it (one line,
trimmed). A code never looks like a mobile number (it has no 1), and neither
is taken for a name, so each query is equalities on indexes:
``ix_letters_writer_phone``, or ``ix_letters_writer_name`` (whose trailing
``reply_due_at, id`` hand a common name's letters over in the inbox's order).

The condition only narrows: the caller adds it to the inbox's own
conditions (tenant, a handler's unit, the filters), so it finds nothing a
staff member could not list anyway; ``forwarded_copies`` lives in the
tenant's own schema, beside the copies it describes.
"""

from __future__ import annotations

import re
import unicodedata

from sqlalchemy import ColumnElement, select, union_all
from sqlalchemy.orm import aliased

from leadermail.platform.forwarding.copies import ForwardedCopy
from leadermail.platform.forwarding.crossings import COPY_CODE_PREFIX
from leadermail.platform.letters.models import Letter
from leadermail.platform.letters.tracking import normalize_tracking_code
from leadermail.platform.letters.validation import NAME_MAX, normalize_mobile

#: A forwarded copy's own code (``crossings.copy_tracking_code``), as staff
#: copy it off the letter page.
_COPY_CODE = re.compile(re.escape(COPY_CODE_PREFIX) + r"\d{14}")
_SEPARATORS = re.compile(r"[\s\-_.·—–]")


def identifier_condition(text: str) -> ColumnElement[bool] | None:
    """Letters whose tracking code (or, for a forwarded copy, its writer's
    code), writer's mobile number or writer's name is ``text``; None when
    ``text`` cannot be any of them."""
    code = normalize_tracking_code(text)
    if code is not None:
        return _code_condition(code)
    copy_code = _SEPARATORS.sub("", unicodedata.normalize("NFKC", text)).upper()
    if _COPY_CODE.fullmatch(copy_code):
        return Letter.tracking_code == copy_code
    phone = normalize_mobile(text)
    if phone is not None:
        return Letter.writer_phone == phone
    name = " ".join(text.split())
    if name and len(name) <= NAME_MAX:
        return Letter.writer_name == name
    return None


def _code_condition(code: str) -> ColumnElement[bool]:
    # The inner letters are an alias: the outer query's Letter would otherwise
    # be correlated away from the sub-select.
    written_here = aliased(Letter)
    return Letter.id.in_(
        union_all(
            select(written_here.id).where(written_here.tracking_code == code),
            select(ForwardedCopy.letter_id).where(ForwardedCopy.writer_tracking_code == code),
        )
    )
