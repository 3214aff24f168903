"""Keeping citizens' personal data out of places that do not need it.

Publishing a letter (redact the text)::

    redact("我叫张三，电话 138-1234-5678，住人民路12号3栋2单元501室。张先生很着急。",
           names=["张三"])
    # -> "我叫某某，电话 ***，住人民路**号3栋2单元***室。某先生很着急。"

What is removed: the writer's name(s) given by the caller, also as surname +
先生/女士/…; mainland mobile numbers; landline numbers (0xxx-xxxxxxx); ID
numbers and other 15-19 digit runs (old IDs, bank cards); e-mail addresses;
QQ/微信 accounts; and the house-number part of street addresses (the road,
estate or village name and the building number stay, because they are usually
what the letter is about; the flat number goes).
It is a safety net under the staff member who reviews a letter before
publishing it, not a replacement.

Checking a text staff edited for publication (the same patterns, reported
instead of replaced, so staff can find and remove what they typed back in)::

    [(f.kind, f.sample) for f in find_personal_data("请拨打13812345678", names=["张三"])]
    # -> [("手机号码", "138****5678")]

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
# Two-character surnames, so 欧阳娜娜 is addressed as 欧阳女士, not 欧女士.
_COMPOUND_SURNAMES = frozenset(
    "欧阳 司马 上官 诸葛 东方 皇甫 尉迟 公孙 慕容 令狐 长孙 宇文 司徒 夏侯 轩辕 "
    "端木 独孤 南宫 西门 呼延 澹台 太史 申屠 闻人 赫连 钟离 万俟 拓跋 百里 东郭".split()
)

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
    return name[:2] if len(name) >= 3 and name[:2] in _COMPOUND_SURNAMES else name[:1]


def _is_cjk(text: str) -> bool:
    return all("\u3400" <= char <= "\u9fff" for char in text)


def _name_patterns(names: Iterable[str]) -> tuple[re.Pattern[str] | None, re.Pattern[str] | None]:
    """(the full names, a surname before 先生/女士/…), or None where there is none."""
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
    alternatives = [
        # Latin names only as whole words, so "Li" leaves "Lily" alone.
        rf"(?<![A-Za-z]){re.escape(name)}(?![A-Za-z])".replace(r"\ ", r"\s+")
        if name.isascii()
        else re.escape(name)
        for name in sorted(full_names, key=len, reverse=True)
        if len(name) >= 2
    ]
    full = re.compile("|".join(alternatives), flags=re.IGNORECASE) if alternatives else None
    surname = None
    if surnames:
        by_length = sorted(surnames, key=len, reverse=True)
        titles = "|".join(sorted(_TITLES, key=len, reverse=True))
        surname = re.compile(f"(?:{'|'.join(map(re.escape, by_length))})(?=(?:{titles}))")
    return full, surname


def _redact_names(text: str, names: Iterable[str]) -> str:
    full, surname = _name_patterns(names)
    if full is not None:
        text = full.sub(NAME_PLACEHOLDER, text)
    if surname is not None:
        text = surname.sub(SURNAME_PLACEHOLDER, text)
    return text


def redact(text: str, *, names: Iterable[str]) -> str:
    """The text with personal data replaced by placeholders (see module doc)."""
    text = _redact_names(text, names)
    text = _EMAIL.sub(NUMBER_PLACEHOLDER, text)
    text = _ACCOUNT.sub(lambda m: m["label"] + NUMBER_PLACEHOLDER, text)
    text = _LONG_NUMBER.sub(NUMBER_PLACEHOLDER, text)
    text = _MOBILE.sub(NUMBER_PLACEHOLDER, text)
    text = _LANDLINE.sub(NUMBER_PLACEHOLDER, text)
    text = _LABELLED_PHONE.sub(_mask_labelled_phone, text)
    text = _ESTATE_FLAT.sub(lambda m: m["estate"] + NUMBER_PLACEHOLDER, text)
    text = _STREET_NUMBER.sub(lambda m: m["road"] + "**", text)
    text = _FLAT_NUMBER.sub(lambda m: (m["before"] or m["bare"] or "") + NUMBER_PLACEHOLDER, text)
    return text


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
    if kind == "来信人姓名":
        return mask_name(value)
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


def find_personal_data(text: str, *, names: Iterable[str] = ()) -> list[PersonalData]:
    """The personal data :func:`redact` would remove from ``text``, apart from
    addresses: the writer's full name(s), e-mail addresses, QQ/微信 accounts,
    ID and card numbers, mobile and other phone numbers (service lines such
    as 12345 stay allowed, as in redaction)."""
    found: list[PersonalData] = []

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
    for kind, pattern, group in _FINDERS:
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
