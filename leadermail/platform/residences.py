"""Where the writer lives: masked in a published letter, coarsened in its region.

A complaint names what it is about ("楼下的烧烤店", "小区门口的工地"); said
together with the writer's own flat, it points at one of a handful of
households. A careful publisher keeps the place the letter is about and
publishes the writer's home only down to the street (街道 / 镇 / 乡)::

    mask_residence("我住在岳麓区望月湖街道桃花苑小区3栋2单元501室，楼下烧烤店油烟大。")
    # -> "我住在岳麓区望月湖街道***，楼下烧烤店油烟大。"
    mask_residence("我是桃花苑小区3栋2单元的业主，小区门口…")
    # -> "我是桃花苑小区***的业主，小区门口…"
    mask_residence("桃花苑小区3栋和5栋之间的绿地被占")   # unchanged: the subject
    public_region("长沙市岳麓区望月湖街道")              # "长沙市岳麓区"

The rule:

- After words that introduce the writer's home (我住在 / 家住 / 住址 / 居住在 /
  现住 …), the address below the street level is replaced by ``***``: the
  estate or village, road, building, entrance and flat. The district, county
  and street before it stay ("家住B2区白关镇" is published as written). The
  estate's name elsewhere in the letter stays: it is usually what the letter
  is about, and on its own it names hundreds of households.
- "我是…3栋2单元的业主/住户": the building and entrance of the writer's own
  home go, the estate stays.
- Elsewhere buildings are kept (flat numbers and house numbers are masked
  everywhere by :func:`privacy.redact`).
- 所在地区 is published only to the district or county (区 / 县 / 县级市 /
  旗): the street is what the write form asks for, and with the letter's
  subject it narrows the writer down to a few buildings. A region with no
  recognisable district is not published at all.
"""

from __future__ import annotations

import re

PLACEHOLDER = "***"

_CJK = "\u4e00-\u9fff"
_PLACE_CHAR = rf"[A-Za-z0-9{_CJK}]"
# Words that end a place name and start the rest of the sentence.
_NOT_IN_ADDRESS = (
    "附近|旁边|对面|周边|门口|楼下|里面|"
    "[的了是在这那因为我们你他她就都也很要有把被从向对到给让着过说并但而且或]"
)
_ADDRESS_CHAR = rf"(?:(?!{_NOT_IN_ADDRESS})[A-Za-z0-9\-－#{_CJK}])"
# Administrative levels that stay: province, city, district, county.
_ADMIN = (
    rf"(?:{_PLACE_CHAR}{{1,9}}?(?:省|自治区|自治州|市|州|地区|盟|区|县|旗)"
    r"(?<!小区)(?<!社区)(?<!园区)(?<!片区)(?<!景区)(?<!校区)(?<!安置区)(?<!棚户区)(?<!居民区)"
    r"(?![镇乡村街路道组号栋场]))"
)
_STREET = rf"(?:{_PLACE_CHAR}{{1,8}}?(?:街道|镇|乡)(?!村|政府))"
# What an address below the street is made of: each part ends in one of these.
_UNITS = (
    "社区|小区|花园|家园|公寓|大厦|山庄|新城|城邦|小城|号院|单元|宿舍|大道|片区|安置区|棚户区|"
    "居民区|生活区|住宅区|村(?!民)|组(?!村)|苑|园|府|庭|湾|巷|弄|路|街(?!道)|号|栋|幢|座|"
    "楼(?![下上道梯顶])|室|户|坝|坪|冲|岭|垸|屯|寨|庄|坡|洲|铺"
)
_DETAIL = rf"(?:{_ADDRESS_CHAR}{{0,12}}?(?:{_UNITS}))+"
# Each alternative starts with a literal, which lets the regex engine skip
# quickly through text with no 家 / 住 / 居 / 现 in it.
_HOME_MARKER = (
    r"(?:家住(?<!自家住)(?:在|于)?(?![房宅户])|住址(?:是|为)?[：:]?|(?:居住|现居)(?:在|于)|现住"
    r"|住(?<=[我们人，,]住)(?:在|于)?(?![户宅房院进满了着过不得的区处址所])"
    r")"
)
_HOME = re.compile(
    rf"(?P<keep>{_HOME_MARKER}[\s\u3000]*(?:{_ADMIN})*(?:{_STREET})?)(?P<detail>{_DETAIL})"
)
# "我是桃花苑小区3栋2单元的业主": the building of the writer's own home.
_OWN_BUILDING = re.compile(
    r"(?P<keep>(?:我|本人)(?:家)?是[^，,。；;！!？?\n]{0,20}?)"
    r"(?P<detail>[A-Za-z0-9]{1,4}\s*(?:栋|幢|号楼|座)[^，,。；;！!？?\n的]{0,12}?)"
    r"(?=的?(?:业主|住户|居民|租户|户主))"
)


def _patterns(text: str) -> list[re.Pattern[str]]:
    # Substring tests first: most letters have neither, and `in` costs
    # nanoseconds where a scan costs microseconds.
    patterns = [_HOME] if "住" in text else []
    if any(word in text for word in ("栋", "幢", "座", "号楼")):
        patterns.append(_OWN_BUILDING)
    return patterns


def residences(text: str) -> list[str]:
    """The writer's home address below the street, as written in ``text``."""
    return [match["detail"] for pattern in _patterns(text) for match in pattern.finditer(text)]


def mask_residence(text: str) -> str:
    """``text`` with the writer's home address below the street replaced."""
    for pattern in _patterns(text):
        text = pattern.sub(lambda match: match["keep"] + PLACEHOLDER, text)
    return text


# 所在地区: the leading administrative levels down to the district or county.
_REGION = re.compile(rf"\s*(?P<region>(?:{_ADMIN}\s*)+)")


def public_region(region: str | None) -> str | None:
    """The part of 所在地区 that is published: down to the district or county.

    ``"长沙市岳麓区望月湖街道"`` -> ``"长沙市岳麓区"``; ``"浏阳市集里街道"`` ->
    ``"浏阳市"``; ``"望月湖街道"`` -> ``None`` (no district to publish).
    """
    if not region:
        return None
    match = _REGION.match(region)
    if match is None:
        return None
    return re.sub(r"\s+", "", match["region"]) or None
