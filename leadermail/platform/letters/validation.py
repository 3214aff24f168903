"""Validating the citizen's letter form.

The whole form::

    letter, errors = validate_letter(await request.form(), categories={3, 4, 7})
    if errors:            # {"title": "标题需为 5–50 个字，当前 3 个字", ...}
        return render(request, "letters/new.html", {"errors": errors, ...})
    letter.phone          # "13812345678", whatever spacing or +86 the citizen typed

One field, for htmx inline validation as the citizen leaves it::

    validate_field("phone", "138 1234 567")   # -> "请填写有效的手机号码"
    validate_field("phone", "+86 138-1234-5678")  # -> None

Both go through the same per-field cleaners, so a field never gets one message
inline and another one on submit. Messages are shown next to the field, so they
say what to do, not what went wrong in the code.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any

from leadermail.platform.letters.models import LETTER_TYPE_LABELS, LetterType

TITLE_MIN, TITLE_MAX = 5, 50
BODY_MIN, BODY_MAX = 10, 5000
REGION_MAX = 100
NAME_MAX = 50
EMAIL_MAX = 254

#: Form field names, in the order the form shows them. Views should only pass
#: these to :func:`validate_field` (it raises ``ValueError`` for anything else).
FIELD_NAMES: tuple[str, ...] = (
    "letter_type",
    "category",
    "title",
    "body",
    "region",
    "name",
    "phone",
    "email",
    "id_number",
    "do_not_publish",
    "agree_terms",
)


@dataclass(frozen=True)
class CleanLetter:
    """What a valid form becomes: normalised values ready for ``submit_letter``."""

    letter_type: LetterType
    category_id: int
    title: str
    body: str
    region: str | None
    name: str
    phone: str
    email: str | None
    id_number: str | None
    #: False when the citizen ticked "do not publish my letter" (不公开我的信件).
    publish_consent: bool


class _Invalid(Exception):
    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


# --- text helpers -------------------------------------------------------------

# C0/C1 controls other than tab and newline, plus NUL which PostgreSQL text
# refuses outright. Zero-width and bidi controls are dropped too: they hide
# text from reviewers and break matching of names and phone numbers.
_INVISIBLE = re.compile(
    r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u200b-\u200f\u202a-\u202e\u2060-\u2064\ufeff]"
)


def _text(value: Any) -> str:
    """Strip, unify line endings and drop invisible characters."""
    text = "" if value is None else str(value)
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    return _INVISIBLE.sub("", text).strip()


def _one_line(value: Any) -> str:
    return re.sub(r"\s+", " ", _text(value))


def _is_checked(value: Any) -> bool:
    """An HTML checkbox is absent when unticked; any value other than "" counts."""
    text = _text(value).lower()
    return text not in ("", "0", "false", "off", "no")


# --- mobile phone numbers -----------------------------------------------------

_PHONE_SEPARATORS = re.compile(r"[\s\-–—.()（）]")
_MOBILE = re.compile(r"1[3-9]\d{9}")


def normalize_mobile(value: str) -> str | None:
    """Return the 11-digit mainland mobile number, or None.

    Accepts full-width digits, spaces, dashes, brackets and a +86 / 86 / 0086
    prefix: ``normalize_mobile("+86 138-1234-5678") == "13812345678"``.
    """
    text = _PHONE_SEPARATORS.sub("", unicodedata.normalize("NFKC", value))
    for prefix in ("+86", "0086", "86"):
        if text.startswith(prefix) and len(text) == len(prefix) + 11:
            text = text[len(prefix) :]
            break
    return text if _MOBILE.fullmatch(text) else None


# --- resident identity card numbers (GB 11643-1999) -------------------------

_ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_ID_CHECK_CHARS = "10X98765432"
# First two digits (GB/T 2260 provinces), plus 81/82/83 for the residence
# permits of Hong Kong, Macao and Taiwan residents.
_ID_PROVINCES = frozenset(
    "11 12 13 14 15 21 22 23 31 32 33 34 35 36 37 41 42 43 44 45 46 "
    "50 51 52 53 54 61 62 63 64 65 71 81 82 83".split()
)
_ID_SHAPE = re.compile(r"\d{17}[\dX]")


def id_number_check_char(first17: str) -> str:
    """The 18th character GB 11643 derives from the first 17 digits."""
    total = sum(int(digit) * weight for digit, weight in zip(first17, _ID_WEIGHTS, strict=True))
    return _ID_CHECK_CHARS[total % 11]


def _clean_id_number(value: str, today: date | None = None) -> str:
    number = re.sub(r"\s", "", unicodedata.normalize("NFKC", value)).upper()
    if not _ID_SHAPE.fullmatch(number):
        raise _Invalid("请填写 18 位身份证号码（最后一位可以是 X）")
    if number[:2] not in _ID_PROVINCES:
        raise _Invalid("身份证号码的地区代码不正确")
    try:
        born = date(int(number[6:10]), int(number[10:12]), int(number[12:14]))
    except ValueError:
        raise _Invalid("身份证号码中的出生日期不正确") from None
    if born.year < 1900 or born > (today or date.today()):
        raise _Invalid("身份证号码中的出生日期不正确")
    if id_number_check_char(number[:17]) != number[17]:
        raise _Invalid("身份证号码校验不正确，请核对后重新填写")
    return number


def is_valid_id_number(value: str, *, today: date | None = None) -> bool:
    """18-character resident ID: region, real birth date and GB 11643 check char.

    >>> is_valid_id_number("11010519491231002X")
    True
    """
    try:
        _clean_id_number(value, today)
    except _Invalid:
        return False
    return True


# --- e-mail --------------------------------------------------------------------

# Deliberately plain: dot-atom local part and a dotted host name with a letter
# TLD. Quoted local parts and IP-literal domains are legal but nobody writing
# to a mailbox has one, and they are how injection into mail headers starts.
_EMAIL = re.compile(
    r"(?P<local>[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+(?:\.[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+)*)"
    r"@(?P<domain>(?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)+[A-Za-z]{2,63})"
)


def normalize_email(value: str) -> str | None:
    """Return the address with a lower-cased domain, or None if it is not one."""
    text = unicodedata.normalize("NFKC", value).strip()
    match = _EMAIL.fullmatch(text)
    if match is None or len(text) > EMAIL_MAX or len(match["local"]) > 64:
        return None
    return f"{match['local']}@{match['domain'].lower()}"


# --- the field cleaners -------------------------------------------------------
# Each takes the raw form value and returns the clean value or raises _Invalid.


def _clean_letter_type(value: Any) -> LetterType:
    text = _text(value)
    if not text:
        raise _Invalid("请选择信件类型")
    try:
        return LetterType(text)
    except ValueError:
        labels = "、".join(LETTER_TYPE_LABELS.values())
        raise _Invalid(f"请在{labels}中选择信件类型") from None


def _category_cleaner(categories: Collection[int] | None) -> Callable[[Any], int]:
    def clean(value: Any) -> int:
        text = _text(value)
        if not text:
            raise _Invalid("请选择问题分类")
        if not text.isascii() or not text.isdigit():
            raise _Invalid("请从列表中选择问题分类")
        category_id = int(text)
        if categories is not None and category_id not in categories:
            raise _Invalid("请从列表中选择问题分类")
        return category_id

    return clean


def _length_cleaner(label: str, low: int, high: int, *, one_line: bool) -> Callable[[Any], str]:
    def clean(value: Any) -> str:
        text = _one_line(value) if one_line else _text(value)
        if not text:
            raise _Invalid(f"请填写{label}")
        if not low <= len(text) <= high:
            raise _Invalid(f"{label}需为 {low}–{high} 个字，当前 {len(text)} 个字")
        return text

    return clean


def _clean_region(value: Any) -> str | None:
    text = _one_line(value)
    if len(text) > REGION_MAX:
        raise _Invalid(f"所在地区不能超过 {REGION_MAX} 个字")
    return text or None


def _clean_name(value: Any) -> str:
    text = _one_line(value)
    if not text:
        raise _Invalid("请填写姓名")
    if len(text) > NAME_MAX:
        raise _Invalid(f"姓名不能超过 {NAME_MAX} 个字")
    return text


def _clean_phone(value: Any) -> str:
    text = _text(value)
    if not text:
        raise _Invalid("请填写手机号码")
    phone = normalize_mobile(text)
    if phone is None:
        raise _Invalid("请填写有效的手机号码（11 位数字）")
    return phone


def _clean_email(value: Any) -> str | None:
    text = _text(value)
    if not text:
        return None
    email = normalize_email(text)
    if email is None:
        raise _Invalid("请填写有效的电子邮箱地址，例如 name@example.com")
    return email


def _clean_optional_id_number(value: Any) -> str | None:
    text = _text(value)
    return _clean_id_number(text) if text else None


def _clean_publish_consent(value: Any) -> bool:
    # The form's checkbox is "do not publish my letter" (不公开我的信件).
    return not _is_checked(value)


def _clean_agree_terms(value: Any) -> bool:
    if not _is_checked(value):
        raise _Invalid("请阅读并同意《写信须知》后再提交")
    return True


def _cleaners(categories: Collection[int] | None) -> dict[str, Callable[[Any], Any]]:
    return {
        "letter_type": _clean_letter_type,
        "category": _category_cleaner(categories),
        "title": _length_cleaner("标题", TITLE_MIN, TITLE_MAX, one_line=True),
        "body": _length_cleaner("信件内容", BODY_MIN, BODY_MAX, one_line=False),
        "region": _clean_region,
        "name": _clean_name,
        "phone": _clean_phone,
        "email": _clean_email,
        "id_number": _clean_optional_id_number,
        "do_not_publish": _clean_publish_consent,
        "agree_terms": _clean_agree_terms,
    }


def validate_field(
    name: str, value: str | None, *, categories: Collection[int] | None = None
) -> str | None:
    """The error message for one field, or None when the value is fine.

    ``categories`` is only used for ``category``; without it any id passes
    the inline check and ``validate_letter`` has the last word on submit.
    """
    cleaners = _cleaners(categories)
    if name not in cleaners:
        raise ValueError(f"unknown letter form field: {name!r}")
    try:
        cleaners[name](value)
    except _Invalid as invalid:
        return invalid.message
    return None


def validate_letter(
    data: Mapping[str, str], categories: Collection[int]
) -> tuple[CleanLetter | None, dict[str, str]]:
    """Clean the whole form: ``(letter, {})`` or ``(None, {field: message})``."""
    values: dict[str, Any] = {}
    errors: dict[str, str] = {}
    for name, clean in _cleaners(categories).items():
        try:
            values[name] = clean(data.get(name))
        except _Invalid as invalid:
            errors[name] = invalid.message
    if errors:
        return None, errors
    letter = CleanLetter(
        letter_type=values["letter_type"],
        category_id=values["category"],
        title=values["title"],
        body=values["body"],
        region=values["region"],
        name=values["name"],
        phone=values["phone"],
        email=values["email"],
        id_number=values["id_number"],
        publish_consent=values["do_not_publish"],
    )
    return letter, {}
