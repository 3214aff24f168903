"""Keeping citizens' personal data out of places that do not need it.

Publishing a letter (redact the text)::

    redact("张三反映：电话 138-1234-5678，人民路12号3栋2单元501室门口积水。张先生很着急。",
           names=["张三"])
    # -> "某某反映：电话 ***，人民路**号3栋2单元***室门口积水。某先生很着急。"
    redact("我叫邓桂秋，我住在岳麓区望月湖街道桃花苑小区3栋2单元501室。", names=[])
    # -> "我叫某某，我住在岳麓区望月湖街道***。"
    redact("如有疑问请致电0731-88888888或12345。", names=[], part="reply")
    # -> unchanged: the office's own numbers, written for the public

What is removed: the writer's name(s) given by the caller, and the names
written in the text after 我叫 / 本人 / 投诉人： / 举报人： … or as the signature
(:mod:`leadermail.platform.written_names`), also as surname + 先生/女士/…;
the writer's home below the street level (:mod:`leadermail.platform.residences`);
mainland mobile numbers; landline numbers (0xxx-xxxxxxx); ID numbers and
other 15-19 digit runs (old IDs, bank cards); e-mail addresses; QQ/微信
accounts; and the house-number part of street addresses (the road, estate or
village name and the building number stay, because they are usually what
the letter is about; the flat number goes).

A reply (``part="reply"``) is written by the office for the public: its
landlines and service numbers (0731-88888888, 12345, 96xxx) stay, while
mobile numbers and ID numbers are removed (they may be the citizen's), and
of the written names only those after 来信人 / 投诉人 / 举报人 … (the office's
联系人 and signature stay). The writer's home is a letter's matter only.
It is a safety net under the staff member who reviews a letter before
publishing it, not a replacement.

Checking a text staff edited for publication (the same patterns, reported
instead of replaced, so staff can find and remove what they typed back in)::

    [(f.kind, f.sample) for f in find_personal_data("请拨打13812345678", names=["张三"])]
    # -> [("手机号码", "138****5678")]
    [(f.kind, f.sample) for f in find_personal_data("投诉人：廖飞荣", names=["张三"])]
    # -> [("姓名", "廖**")]

Masking for staff roles that need to recognise, not read, the data::

    mask_phone("13812345678")          # "138****5678"
    mask_id_number("43010519900101123X")  # "430***********123X"
    mask_email("zhangsan@example.com") # "z***@example.com"
    mask_name("张三丰")                 # "张**"
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from leadermail.platform.residences import mask_residence, residences
from leadermail.platform.written_names import COMPOUND_SURNAMES, Part, written_names

NAME_PLACEHOLDER = "某某"
SURNAME_PLACEHOLDER = "某"
NUMBER_PLACEHOLDER = "***"

# Forms of address that follow a surname: 张先生, 李女士, 王阿姨.
_TITLES = (
    "先生", "女士", "小姐", "老师", "师傅", "同志", "大爷", "大妈", "大姐", "大哥",
    "阿姨", "叔叔", "奶奶", "爷爷", "某",
)  # fmt: skip
# Not 老人/姐/哥: with a common surname-character such as 于 they turn 关于老人
# into 关某老人.

_NOT_DIGIT_AFTER = r"(?![0-9])"


def _alone(first: str) -> str:
    """``first`` (one character or class) not preceded by a letter or digit.

    The look-behind comes after the first character, not before it: a pattern
    that starts with a look-behind keeps the regex engine from skipping ahead
    to its first character, and tries every position of the text. Written
    this way the patterns below match exactly as before (compared on 2,649
    real letters and 300,000 random strings) and run 2-8x faster; redacting
    an 800-character letter costs ~110 µs less (measured).
    """
    return f"{first}(?<![0-9A-Za-z]{first})"


# Order matters: longer, more specific patterns first, so a mobile number
# inside an ID number is never half-replaced.
# The look-behind starts a match only at the start of a local part: without it
# a 5,000-character run of letters costs a quadratic number of retries.
_EMAIL = re.compile(
    r"[A-Za-z0-9._%+\-](?<![A-Za-z0-9._%+\-][A-Za-z0-9._%+\-])[A-Za-z0-9._%+\-]*"
    r"@[A-Za-z0-9\-]+(?:\.[A-Za-z0-9\-]+)+"
)
_LONG_NUMBER = re.compile(
    _alone(r"\d") + r"(?:\d{16}[\dXx](?![0-9A-Za-z])|\d{14,18}" + _NOT_DIGIT_AFTER + ")"
)
# An optional +86 / 0086 / 86 before 1[3-9]..., written out per first character.
_MOBILE = re.compile(
    r"(?:" + _alone(r"\+") + r"86[\s\-]?1"
    r"|" + _alone("0") + r"086[\s\-]?1"
    r"|" + _alone("8") + r"6[\s\-]?1"
    r"|" + _alone("1") + r")"
    r"[3-9]\d(?:[\s\-]?\d{4}){2}" + _NOT_DIGIT_AFTER
)
_LANDLINE = re.compile(
    r"(?:" + _alone("[(（]") + r"0\d{2,3}[)）]\s?|" + _alone("0") + r"\d{2,3}[\s\-]?)"
    r"[2-9]\d{2,3}[\s\-]?\d{4}"
    r"(?:\s?(?:转|-|ext\.?)\s?\d{1,6})?" + _NOT_DIGIT_AFTER
)
_ACCOUNT = re.compile(
    r"(?P<label>(?:QQ|qq|微信|WeChat|wechat)\s*(?:号码|号)?\s*[:：]?\s*)"
    r"(?P<value>[A-Za-z0-9_\-]{5,20})"
)
# 电话：84567890 — a labelled number, even one too short for the patterns above.
_LABELLED_PHONE = re.compile(
    r"(?P<label>(?:联系电话|联系方式|电话|手机|座机|Tel|TEL|tel)\s*(?:号码|号)?\s*[:：为是]?\s*)"
    r"(?P<value>\+?\d(?:[ \-]?\d){6,17})"
)


def _mask_labelled_phone(match: re.Match[str]) -> str:
    # 12345 and 0731-12345 are public service lines, not someone's phone.
    if len(re.split(r"[ \-]", match["value"])[-1]) <= 5:
        return match[0]
    return match["label"] + NUMBER_PLACEHOLDER


# 人民路12号, 人民路12-3号, 3组15号, 88号院 — keep the road, hide the number.
_STREET_NUMBER = re.compile(
    r"(?P<road>路|街|大道|道|巷|弄|里|胡同|组|村)\s*(?P<number>\d+(?:[-－]\d+)?)\s*(?=号(?!线))"
)
# The flat is what identifies a household; the building (3栋) and the
# entrance (2单元) are shared by dozens of them and are often what the letter
# is about ("3栋和5栋之间的绿地"), so they stay. Flats: 501室, 602房,
# 16栋1号, and the bare 10栋602 that people write.
_FLAT_NUMBER = re.compile(
    r"(?P<before>(?:栋(?<!楼栋)|幢|座|单元|号楼)\s*)\d{1,4}(?=\s*(?:室|房|号(?!楼)))"
    r"|(?P<bare>(?:栋(?<!楼栋)|幢|座|单元|号楼)\s*)\d{3,4}(?![\d层楼米mM㎡平户型万元多余个套])"
    r"|" + _alone(r"\d") + r"\d{2,4}(?=\s*室)"
)
# 幸福小区5-2-1201: building-unit-flat written with dashes after an estate name.
_ESTATE_FLAT = re.compile(
    r"(?P<estate>小区|花园|公寓|大厦|家园|苑|园|村)\s*(?P<number>\d{1,3}(?:[-－]\d{1,4}){1,2})"
    + _NOT_DIGIT_AFTER
)


def _surname(name: str) -> str:
    return name[:2] if len(name) >= 3 and name[:2] in COMPOUND_SURNAMES else name[:1]


def _is_cjk(text: str) -> bool:
    return all("\u3400" <= char <= "\u9fff" for char in text)


def _name_forms(names: Iterable[str]) -> tuple[set[str], set[str]]:
    """(the full names as they may be written, their surnames)."""
    full_names: set[str] = set()
    surnames: set[str] = set()
    for raw in names:
        name = re.sub(r"\s+", " ", raw or "").strip()
        if _is_cjk(name.replace(" ", "")):
            name = name.replace(" ", "")  # 张 三 -> 张三
        if not name:
            continue
        full_names.add(name)
        # 阿卜杜·热合曼 is also written without the dot.
        full_names.add(name.replace("·", "").replace("•", ""))
        if _is_cjk(name.replace("·", "")) and len(name) >= 2:
            surnames.add(_surname(name))
    return {name for name in full_names if len(name) >= 2}, surnames


def _full_name_pattern(full_names: Iterable[str]) -> re.Pattern[str] | None:
    alternatives = [
        # Latin names only as whole words, so "Li" leaves "Lily" alone.
        rf"(?<![A-Za-z]){re.escape(name)}(?![A-Za-z])".replace(r"\ ", r"\s+")
        if name.isascii()
        else re.escape(name)
        for name in sorted(full_names, key=len, reverse=True)
    ]
    return re.compile("|".join(alternatives), flags=re.IGNORECASE) if alternatives else None


def _surname_pattern(surnames: Iterable[str]) -> re.Pattern[str] | None:
    by_length = sorted(surnames, key=lambda surname: (-len(surname), surname))
    if not by_length:
        return None
    titles = "|".join(sorted(_TITLES, key=len, reverse=True))
    # The same few hundred surnames come back: re's cache keeps the compiled
    # pattern of each set (sorted, so each set has one pattern string).
    return re.compile(f"(?:{'|'.join(map(re.escape, by_length))})(?=(?:{titles}))")


def _name_patterns(names: Iterable[str]) -> tuple[re.Pattern[str] | None, re.Pattern[str] | None]:
    """(the full names, a surname before 先生/女士/…), or None where there is none."""
    full_names, surnames = _name_forms(names)
    return _full_name_pattern(full_names), _surname_pattern(surnames)


def _redact_names(text: str, names: Iterable[str]) -> str:
    full_names, surnames = _name_forms(names)
    # Chinese names by plain replacement, longest first: compiling a pattern
    # of each letter's names cost more than the rest of the redaction.
    cjk = sorted((name for name in full_names if _is_cjk(name)), key=len, reverse=True)
    for name in cjk:
        text = text.replace(name, NAME_PLACEHOLDER)
    full = _full_name_pattern(full_names.difference(cjk))
    if full is not None:
        text = full.sub(NAME_PLACEHOLDER, text)
    surname = _surname_pattern(surnames)
    if surname is not None:
        text = surname.sub(SURNAME_PLACEHOLDER, text)
    return text


def redact(text: str, *, names: Iterable[str], part: Part = "letter") -> str:
    """The text with personal data replaced by placeholders (see module doc).

    ``part`` is "letter" (the citizen's title and text) or "reply" (the
    office's answer)."""
    text = _redact_names(text, [*names, *written_names(text, part=part)])
    if part == "letter":
        text = mask_residence(text)
    # Each pattern runs only if a character it needs is in the text: a
    # substring test costs nanoseconds, a scan microseconds.
    if "@" in text:
        text = _EMAIL.sub(NUMBER_PLACEHOLDER, text)
    if _may_hold_account(text):
        text = _ACCOUNT.sub(lambda m: m["label"] + NUMBER_PLACEHOLDER, text)
    text = _LONG_NUMBER.sub(NUMBER_PLACEHOLDER, text)
    text = _MOBILE.sub(NUMBER_PLACEHOLDER, text)
    if part == "letter":
        text = _LANDLINE.sub(NUMBER_PLACEHOLDER, text)
        text = _LABELLED_PHONE.sub(_mask_labelled_phone, text)
    if "-" in text or "－" in text:
        text = _ESTATE_FLAT.sub(lambda m: m["estate"] + NUMBER_PLACEHOLDER, text)
    if "号" in text:
        text = _STREET_NUMBER.sub(lambda m: m["road"] + "**", text)
    if any(word in text for word in _FLAT_WORDS):
        text = _FLAT_NUMBER.sub(
            lambda m: (m["before"] or m["bare"] or "") + NUMBER_PLACEHOLDER, text
        )
    return text


# What _ACCOUNT and _FLAT_NUMBER cannot match without.
_ACCOUNT_WORDS = ("qq", "微信", "wechat")
_FLAT_WORDS = ("栋", "幢", "座", "单元", "号楼", "室")


def _may_hold_account(text: str) -> bool:
    lowered = text.lower()
    return any(word in lowered for word in _ACCOUNT_WORDS)


# --- finding ------------------------------------------------------------------


@dataclass(frozen=True)
class PersonalData:
    """One piece of personal data found in a text: what it is, and a masked
    sample that lets staff find it without the message repeating it."""

    kind: str
    sample: str


def _masked(kind: str, value: str) -> str:
    if kind == "电子邮箱":
        return mask_email(value)
    if kind in ("来信人姓名", "姓名"):
        return mask_name(value)
    if kind == "住址":
        return value[:2] + NUMBER_PLACEHOLDER
    if kind == "身份证号或银行卡号":
        return mask_id_number(value)
    if kind == "QQ/微信号":
        return value[:1] + NUMBER_PLACEHOLDER
    return mask_phone(value)


#: (kind, pattern, value group) in the order :func:`redact` applies them; each
#: match is blanked before the next pattern runs, as redaction replaces it.
_FINDERS: tuple[tuple[str, re.Pattern[str], str | int], ...] = (
    ("电子邮箱", _EMAIL, 0),
    ("QQ/微信号", _ACCOUNT, "value"),
    ("身份证号或银行卡号", _LONG_NUMBER, 0),
    ("手机号码", _MOBILE, 0),
    ("电话号码", _LANDLINE, 0),
    ("电话号码", _LABELLED_PHONE, "value"),
)


#: Of those, what a reply may keep: the office's landlines and service lines.
_REPLY_KEEPS = (_LANDLINE, _LABELLED_PHONE)


def find_personal_data(
    text: str, *, names: Iterable[str] = (), part: Part = "letter"
) -> list[PersonalData]:
    """The personal data :func:`redact` would remove from ``text``, apart from
    house numbers: the writer's full name(s), names written after 我叫 /
    投诉人： … or as a signature, the writer's home below the street (in a
    letter), e-mail addresses, QQ/微信 accounts, ID and card numbers, mobile
    and other phone numbers (service lines such as 12345 stay allowed, as in
    redaction, and in a reply every landline)."""
    found: list[PersonalData] = []
    writer_names = {re.sub(r"\s+", "", name or "") for name in names}
    written = [name for name in written_names(text, part=part) if name not in writer_names]
    home = residences(text) if part == "letter" else []

    def record(kind: str, group: str | int) -> Callable[[re.Match[str]], str]:
        def replace(match: re.Match[str]) -> str:
            if kind == "电话号码" and group == "value" and match[0] == _mask_labelled_phone(match):
                return match[0]  # a short service line, left alone by redaction too
            value = match[group]
            found.append(PersonalData(kind, _masked(kind, value)))
            return match[0].replace(value, NUMBER_PLACEHOLDER)

        return replace

    # The full names only: "张老师" in a reply is as likely someone else.
    full_names, _ = _name_patterns(names)
    if full_names is not None:
        text = full_names.sub(record("来信人姓名", 0), text)
    other_names, _ = _name_patterns(written)
    if other_names is not None:
        text = other_names.sub(record("姓名", 0), text)
    found += [PersonalData("住址", _masked("住址", value)) for value in home]
    for kind, pattern, group in _FINDERS:
        if part == "reply" and pattern in _REPLY_KEEPS:
            continue
        text = pattern.sub(record(kind, group), text)
    return found


# --- masking ------------------------------------------------------------------


def _digits(value: str) -> str:
    return re.sub(r"\D", "", unicodedata.normalize("NFKC", value))


def mask_phone(phone: str) -> str:
    """First 3 and last 4 digits of a mobile number: ``"138****5678"``.

    Any other number keeps only its last 4 digits (``"********1234"``): that is
    what a caller is asked to confirm ("请报一下手机号后四位").
    """
    digits = _digits(phone)
    if digits.startswith("86") and len(digits) == 13:
        digits = digits[2:]
    if re.fullmatch(r"1[3-9]\d{9}", digits):
        return f"{digits[:3]}****{digits[-4:]}"
    if len(digits) <= 4:
        return "*" * len(digits)
    return "*" * (len(digits) - 4) + digits[-4:]


def mask_id_number(id_number: str) -> str:
    """First 3 and last 4 characters: ``"430***********123X"``.

    The first 3 name the province and city, the last 4 are what people are
    asked to confirm; the birth date and county stay hidden.
    """
    value = re.sub(r"\s", "", unicodedata.normalize("NFKC", id_number)).upper()
    if len(value) <= 7:
        return "*" * len(value)
    return value[:3] + "*" * (len(value) - 7) + value[-4:]


def mask_email(email: str) -> str:
    """First character of the local part and the domain: ``"z***@example.com"``.

    Always three stars, so the mask does not give away the length.
    """
    local, at, domain = email.strip().rpartition("@")
    if not at:
        return NUMBER_PLACEHOLDER
    shown = local[:1] if len(local) >= 2 else ""
    return f"{shown}***@{domain}"


def mask_name(name: str) -> str:
    """Surname and one star per remaining character: ``"张三丰" -> "张**"``.

    Two-character surnames stay whole (``"欧阳娜娜" -> "欧阳**"``); a name of
    one character becomes ``"*"``.
    """
    value = re.sub(r"\s+", "", name)
    if len(value) <= 1:
        return "*" * len(value)
    keep = _surname(value) if _is_cjk(value) else value[:1]
    return keep + "*" * (len(value) - len(keep))
