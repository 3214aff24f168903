"""People's names that citizens write into a letter's text.

The 姓名 field is only one place a writer's name is found: letters say
"我叫邓桂秋", "投诉人：K4县井头圩镇廖家村村民廖飞荣", "举报人：A市轴承厂 刘况",
and end with a signature ("此致 敬礼！ 张三 2024年5月1日"). This module finds
names in those places, so that :mod:`leadermail.platform.privacy` removes
them from the published text and refuses them in text staff edited::

    written_names("我叫邓桂秋，D12市官岭镇人。")                 # ["邓桂秋"]
    written_names("举报人：余中华、王才茂、张庆国")              # ["余中华", "王才茂", "张庆国"]
    written_names("关于王府井的问题，我是张家界市民。")          # []
    written_names("投诉人：廖飞荣", part="reply")               # ["廖飞荣"]

A name is a common surname (one or two characters, :data:`SURNAMES`) and one
or two given-name characters, found only

- right after a marker that introduces a person: 我叫 / 我的名字叫 / 名叫 /
  本人 / 我是 / 姓名 / 户主 / 落款, and 投诉人 / 举报人 / 反映人 / 联系人 /
  来信人 / 申请人 / 当事人 / 署名 / 执笔人 … (these also with a colon and a
  description before the name: "举报人：A市轴承厂 刘况"), and the names
  listed after it with 、;
- right after what the writer is (村民 / 居民 / 业主 / 职工 / 员工 / 教师 /
  家长), where the name must then end at punctuation: "村民廖飞荣，" is a
  name, "业主利益" is not;
- or as the signature standing alone at the end of a letter, optionally
  after 此致敬礼 and before a date.

and only when it ends where a name ends: at punctuation, a space, a digit,
the end of the text, or a word that follows a self-introduction (联系电话,
身份证, 性别, 男, 家住, 来自 ...). Given-name characters exclude those that do
not occur in names (的, 是, 们, 年, 谢 ...), a surname followed by a date is
not a name (本人于五月), and neither is a common word that begins with a
surname character (利益, 高兴, 方向, 安全: ``common_words.txt``, built from
jieba's dictionary by scripts/common_words.py).

Measured on the 2,649 real letters of the 泰迪杯 2020 set: 99 names found in
82 letters, every one read by hand, all 99 people's names (mostly the writer;
a few third parties named the same way, "名叫吴成梓的人"); the test
tests/unit/platform/test_written_names.py keeps that reviewed list. Cost:
~15 µs per 800 characters.

In a reply (``part="reply"``) only the markers that name the citizen count
(来信人, 投诉人, 举报人, 反映人, 申请人, 当事人): a reply's 联系人 and its
signature are the office's, meant for the public. "被举报人" is the person
complained about, not the writer: left to the staff member who reviews the
text.
"""

from __future__ import annotations

import re
from functools import cache
from pathlib import Path
from typing import Literal

Part = Literal["letter", "reply"]

#: Common single-character surnames: the 2020 national household register's
#: most frequent ~300 (王 李 张 刘 陈 ...), the others frequent in Hunan
#: (谭 廖 邝 旷 阳 ...), and the rest of the 百家姓 that are still in use.
#: Characters that are mostly words and rarely surnames (区, 都, 那, 来, 信,
#: 由, 门) are left out; real surnames that are also words (于, 向, 高, 文)
#: stay: the marker and the end rule keep ordinary text out.
SINGLE_SURNAMES = frozenset(
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余"
    "杜叶程苏魏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付傅方白邹孟熊秦邱江尹薛闫阎段雷侯"
    "龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤常温康施文牛樊葛邢安齐易乔伍庞颜倪庄聂章"
    "鲁岳翟殷詹申欧耿关兰焦俞左柳甘祝包宁尚符舒阮柯纪梅童凌毕单季裴霍涂成苗谷盛曲翁冉"
    "骆蓝路游辛靳管柴蒙鲍华喻祁蒲房滕屈饶解牟艾尤阳时穆农司卓古吉缪简车项连芦麦褚娄窦"
    "戚岑景党宫费卜冷晏席卫米柏宗瞿桂全佟应臧闵苟邬边卞姬师仇栾隋商刁沙荣巫寇桑郎甄丛"
    "仲虞敖巩明佘池查麻苑迟邝官封谈匡鞠惠荆乐冀郁胥南班储栗燕楚鄢劳谌奚皮粟冼蔺楼盘满"
    "闻位厉伊仝郜海阚花权强帅屠豆朴盖练廉禹井祖漆巴丰支卿国狄平计索宣晋相初云容敬"
    "扈晁芮普阙浦戈伏鹿薄邸雍辜羊乌母裘亓修邰赫杭况宿鲜印逯隆茹诸战慕危玉银亢嵇"
    "湛宾戎勾茅利於居揭尉斯元束檀展阴昝智幸奉植衡富尧闭旷郦眭蹇酆"
)
#: Two-character surnames (欧阳娜娜 is 欧阳 + 娜娜, not 欧 + 阳娜娜).
COMPOUND_SURNAMES = frozenset(
    "欧阳 司马 上官 诸葛 东方 皇甫 尉迟 公孙 慕容 令狐 长孙 宇文 司徒 夏侯 轩辕 "
    "端木 独孤 南宫 西门 呼延 澹台 太史 申屠 闻人 赫连 钟离 万俟 拓跋 百里 东郭 "
    "淳于 单于 司空 公羊 宗政 濮阳 太叔 仲孙 鲜于 闾丘 亓官 司寇 颛孙 巫马 公西 "
    "漆雕 乐正 壤驷 公良 夹谷 宰父 谷梁 段干 南门 归海 羊舌 微生 梁丘 左丘 东门".split()
)
SURNAMES = SINGLE_SURNAMES | COMPOUND_SURNAMES

# Characters that are (almost) never part of a given name: function words,
# pronouns, time words, administrative and building words, and the 某 / *
# of a name already hidden. "我是个残疾人", "本人于去年3月", "村民向市长反映",
# "谢谢" at the end of a letter stop on them.
_NOT_GIVEN = (
    "的了是在与及等说到对把被从为于也都就要会能不没这那个们我你他她它其所以而且但或因此已经"
    "还又再很最太该给让将并着过吗呢吧啊哦么什怎何某市县区镇乡村组省路街号楼室单局厅处站院"
    "校社员户人年日时分去今昨前后里上下外内谢请您复求望感各每自己二六七八九十百两几多第此"
    "当即往按据礼呈产属活住"
)
# Nor is a name a surname character followed by a date: 本人于五月…, 于二〇一八年.
_NOT_A_DATE = r"(?![一二三四五六七八九十〇零两几今去明前昨本上下同当]+[年月日天号周]|[〇零])"
_CJK = "\u4e00-\u9fff\u3400-\u4dbf"
_GIVEN = rf"(?:(?![{_NOT_GIVEN}])[{_CJK}])"
_SURNAME = (
    "(?:" + "|".join(sorted(COMPOUND_SURNAMES)) + "|[" + "".join(sorted(SINGLE_SURNAMES)) + "])"
)
# 张局长, 向市长, 王老师: people named by their office or a form of address
# (张先生 as the writer is handled with the writer's name by privacy).
_TITLES = (
    "先生|女士|小姐|老师|师傅|同志|阿姨|叔叔|大爷|大妈|大姐|大哥|书记|主任|局长|县长|市长|"
    "镇长|乡长|村长|区长|省长|厅长|处长|科长|所长|站长|院长|校长|部长|主席|经理|总经理|"
    "医生|律师|警官|组长|队长|支书|会计|老板|某"
)
# Where a name may end: the end of the text or anything but a CJK character
# (punctuation, a space, a digit, a line break), or a word that follows a
# self-introduction ("李鸣联系方式", "王林红，女" , "杨柳来自农村").
_END_STRICT = rf"$|[^{_CJK}]|联系|电话|手机|身份|性别|男|女|今年|现年|年龄|出生|生于"
_END = (
    _END_STRICT + "|家住|住在|住址|现住|居住|是|现|来自|户口|户籍|因|于|反映|投诉|举报|"
    "请求|等人|和|与|及|同|户主|的"
)


def _name_then(end: str) -> str:
    # Two given characters are tried before one (廖飞荣, but 李鸣 in 李鸣联系).
    return rf"(?P<name>{_SURNAME}(?!{_TITLES}){_NOT_A_DATE}{_GIVEN}{{1,2}})(?!{_TITLES})(?={end})"


_SPACE = r"[\s\u3000\xa0]*"
_COLON = r"[：:]"


def _markers(words: list[str]) -> str:
    """A regex for any of ``words`` (2 characters or more) that starts with
    two character classes: [投举我…][诉报叫…](?:(?<=投诉)人|(?<=我)叫|…).

    Python's regex engine skips quickly through text to where a leading class
    matches, but tries every alternative at every position of a leading
    alternation: ~6 µs per 800 characters of letter instead of ~10-20 µs
    (measured on the real letters; 我 and 本 alone are frequent).
    """
    by_start: dict[str, list[str]] = {}
    for word in sorted(words, key=len, reverse=True):
        by_start.setdefault(word[:2], []).append(re.escape(word[2:]))
    firsts = "".join(sorted({word[0] for word in words}))
    seconds = "".join(sorted({word[1] for word in words}))
    rests = "|".join(
        f"(?<={re.escape(start)})(?:{'|'.join(rest)})" for start, rest in by_start.items()
    )
    return f"[{firsts}][{seconds}](?:{rests})"


# The roles whose value is the writer (or a co-signer); in a reply only
# those that are the citizen's.
_LETTER_ROLES = [
    f"{role}人"
    for role in "投诉 举报 反映 联系 来信 写信 留言 申请 当事 具名 署名 签名 执笔".split()
] + ["投诉人姓名", "举报人姓名", "反映人姓名", "来信人姓名"]
_REPLY_ROLES = [f"{role}人" for role in "投诉 举报 反映 来信 申请 当事".split()]
_SELF = [
    "我叫", "我的名字叫", "名叫", "本人", "本人叫", "本人名叫", "本人是", "我是",
    "姓名", "姓名，", "姓名,", "姓名为", "姓名是", "户主", "落款",
]  # fmt: skip
# The words for what the writer is, before the name: "…村村民廖飞荣".
_DESCRIPTIONS = ["村民", "居民", "业主", "职工", "员工", "教师", "家长"]
_AFTER_MARKER = rf"{_SPACE}(?:{_COLON}{_SPACE})?"


_ROLES = {"letter": frozenset(_LETTER_ROLES), "reply": frozenset(_REPLY_ROLES)}
_STRICT = frozenset(_DESCRIPTIONS)
# One scan finds every marker; the name is then looked for right after it.
_MARKER = {
    "letter": re.compile(_markers(_LETTER_ROLES + _SELF + _DESCRIPTIONS)),
    "reply": re.compile(_markers(_REPLY_ROLES)),
}
_NAME_AFTER = re.compile(_AFTER_MARKER + _name_then(_END))
# After a description the name must end at punctuation or a
# self-introduction word: "业主利益受损" is not someone.
_NAME_AFTER_STRICT = re.compile(_SPACE + _name_then(_END_STRICT))
# 投诉人：<description> 刘况 — the value up to the end of its clause, where the
# name may come after a description ("举报人：A市轴承厂 刘况").
_ROLE_VALUE = re.compile(rf"{_SPACE}{_COLON}(?P<value>[^，,。；;！!？?\n\r]{{2,40}})")
_IN_VALUE = re.compile(
    rf"(?:(?<=[\s\u3000\xa0、])|{'|'.join(f'(?<={word})' for word in _DESCRIPTIONS)})"
    + _name_then(_END)
)
# More names in a list: "举报人：余中华、王才茂、张庆国".
_NEXT_IN_LIST = re.compile(rf"{_SPACE}、{_SPACE}{_name_then(_END)}")
# The signature: a name alone at the end of the letter, after the last
# sentence or 此致敬礼, before an optional date.
_DATE = (
    r"(?:\d{2,4}\s*[年./\-]\s*\d{1,2}\s*(?:[月./\-]\s*\d{1,2}\s*日?)?"
    r"|[〇○零一二三四五六七八九十]{2,4}年[一二三四五六七八九十]{1,3}月(?:[一二三四五六七八九十]{1,3}日)?)"
)
_SIGNATURE = re.compile(
    rf"{_SPACE}(?:(?:来信人|写信人|签名|署名|落款){_SPACE}{_COLON}?{_SPACE})?"
    rf"(?P<name>{_SURNAME}(?!{_TITLES}){_NOT_A_DATE}{_GIVEN}{{1,2}})(?!{_TITLES}){_SPACE}"
    rf"(?:{_DATE}{_SPACE})?[。.]?{_SPACE}$"
)
# What stands before a signature: the end of the last sentence, a space, 此致敬礼.
_BEFORE_SIGNATURE = re.compile(r"[。！!？?\s\u3000\xa0]|敬礼|此致")
# Where a signature is looked for: the tail of the letter.
_SIGNATURE_TAIL = 40

_COMMON_WORDS_FILE = Path(__file__).with_name("common_words.txt")


@cache
def common_words() -> frozenset[str]:
    """Words such as 利益, 高兴, 方向 that begin with a surname character but
    are not names (built by scripts/common_words.py)."""
    lines = _COMMON_WORDS_FILE.read_text(encoding="utf-8").splitlines()
    return frozenset(line for line in lines if line and not line.startswith("#"))


def _is_name(candidate: str) -> bool:
    return candidate not in common_words()


def _with_list(text: str, match: re.Match[str]) -> list[str]:
    names = [match["name"]]
    end = match.end()
    while (following := _NEXT_IN_LIST.match(text, end)) is not None:
        names.append(following["name"])
        end = following.end()
    return names


def _signature(text: str) -> str | None:
    start = max(0, len(text) - _SIGNATURE_TAIL)
    for before in _BEFORE_SIGNATURE.finditer(text, start):
        signature = _SIGNATURE.match(text, before.end())
        if signature is not None:
            return signature["name"]
    return None


def written_names(text: str, *, part: Part = "letter") -> list[str]:
    """The names found in ``text`` (each once, in order of appearance)."""
    found: list[str] = []
    for marker in _MARKER[part].finditer(text):
        if marker.start() > 0 and text[marker.start() - 1] == "被":
            continue  # 被投诉人 / 被举报人: the person complained about
        word = marker[0]
        after = _NAME_AFTER_STRICT if word in _STRICT else _NAME_AFTER
        name = after.match(text, marker.end())
        if name is not None:
            found += _with_list(text, name)
        elif word in _ROLES[part] and (value := _ROLE_VALUE.match(text, marker.end())):
            described = value["value"]
            for match in _IN_VALUE.finditer(described):
                found += _with_list(described, match)
    if part == "letter" and (signature := _signature(text)) is not None:
        found.append(signature)
    return [name for name in dict.fromkeys(found) if _is_name(name)]
