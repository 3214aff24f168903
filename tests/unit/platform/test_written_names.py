from __future__ import annotations

import csv
from pathlib import Path

import pytest

from leadermail.platform.written_names import written_names

LETTERS_DIR = Path("/work/shared/data/letters")


def _rows(name: str) -> list[dict[str, str]]:
    with (LETTERS_DIR / name).open(encoding="utf-8", newline="") as file:
        return list(csv.DictReader(file))


@pytest.mark.parametrize(
    ("text", "names"),
    [
        # After each marker, as written in real letters (泰迪杯 2020).
        ("尊敬的领导您好，我叫邓桂秋，D12市官岭镇人", ["邓桂秋"]),
        ("我叫杨柳来自农村，我于2017年", ["杨柳"]),
        ("我叫黄娇国出生于1966年", ["黄娇国"]),
        ("大家好，我的名字叫卢欢玉。需要赡养90岁的母亲", ["卢欢玉"]),
        ("接待我们的销售顾问名叫王纳。", ["王纳"]),
        ("本人刘海利，男，中共党员", ["刘海利"]),
        ("本人赵阳林于2015年12月", ["赵阳林"]),
        ("本人姓名，罗粲，身份证号***", ["罗粲"]),
        ("我叫周捷（户主：周根芳）是K2区人", ["周捷", "周根芳"]),
        ("我是流沙河镇扶冲村石马组村民王初阳，我的房屋于去年", ["王初阳"]),
        ("投诉人：K4县井头圩镇廖家村村民廖飞荣\n被投诉人：某公司\n投诉人：廖飞荣", ["廖飞荣"]),
        ("举报人：A市轴承厂\xa0刘况", ["刘况"]),
        ("举报人： 王术2018年7月1日", ["王术"]),
        ("反映人：李鸣联系方式：****", ["李鸣"]),
        ("该公司的联系人龙钢跃电话号码0000", ["龙钢跃"]),
        ("来信人：陈平旺", ["陈平旺"]),
        ("申请人：刘香桂2018年4月1日", ["刘香桂"]),
        ("举报人：余中华、王才茂、张庆国", ["余中华", "王才茂", "张庆国"]),
        ("锦绣家园业主高红晓（联系电话：0000）", ["高红晓"]),
        # The signature at the end.
        ("请尽快处理。\n此致\n敬礼！\n张三\n2024年5月1日", ["张三"]),
        ("请尽快处理。此致敬礼 张三 2024年5月1日", ["张三"]),
        ("望领导解决。肖昱2019年11月2日", ["肖昱"]),
        ("请督促加以解决。 \xa0 \xa0凌君艳 \xa02018年9月28日", ["凌君艳"]),
    ],
)
def test_names_after_markers_and_signatures(text: str, names: list[str]) -> None:
    assert written_names(text) == names


@pytest.mark.parametrize(
    "text",
    [
        "关于王府井的问题，我是张家界市民。",
        "我是李白诗歌的爱好者，方向盘厂职工。",
        "职工高兴，厂领导高兴。",
        "严重损害群众利益。业主权益受损，村民利益受损。",
        "我是个残疾人，本人于去年3月、本人于五月、本人于二〇一八年来到此地。",
        "我是居住在A5区的居民，我是全体业主的代表，我是幸福的。",
        "村民向市长反映，本人向你们反映，职工明显不满。",
        "投诉人：业主内容如下：1．金盛",
        "被举报人：张国强，被投诉人：李国华",
        "请尽快处理，谢谢！",
        "此致敬礼",
        "张局长、王老师、刘先生都来过。我是李老师的学生。",
    ],
)
def test_ordinary_text_has_no_names(text: str) -> None:
    assert written_names(text) == []


def test_a_reply_names_only_the_citizen() -> None:
    reply = "经调查核实，举报人刘英正反映属实。联系人：王科长。我叫张伟，是经办人。\n张伟"
    assert written_names(reply, part="reply") == ["刘英正"]


# Every name found in the 2,649 real letters, each read in its sentence:
# all are people's names (writers, co-signers, a few third parties named the
# same way such as "名叫吴成梓的人"). A change in what is found is a change to
# review: read the new ones in their letters before updating this list.
REVIEWED_LETTER_NAMES = set(
    "丁玲跃 万珠宝 严军拥 何文小 何桥 余中华 冯辉金 凌君艳 刘健三 刘元柏 刘军建 刘况 刘平积 "
    "刘旷 刘桂楚 刘海利 刘生文 刘香桂 卢欢玉 卢理映 吴德应 吴成梓 吴金燕 周成治 周捷 周根芳 "
    "周洪义 周鱼家 唐威 唐文金 唐铁有 夏明志 姚燕小 姚香菊 孙琛 康晴 廖博 廖飞荣 张庆国 张茜茜 "
    "张萍湖 彭雍 戴宇作 文凌 易侠 曹珍贵 曾照雄 李晟 李杰 李驹铭 李鸣 杨义云 杨彪虎 杨柳 杨楚裕 "
    "杨章裕 涂愈 熊龙木 王初阳 王才茂 王斌运 王术 王林红 王纳 秦中秋 章安吉 符东晓 罗乔云 罗粲 "
    "肖昱 胡旺启 苏波 蔡泉楚 解永 谭燕 贺山立 赵阳林 邓桂秋 邓辉光 邱林松 郑俭勤 郭大 阳范术 "
    "陈云 陈平旺 陈改平 陈立小 陈红扬 陶娟静 高红晓 黄军建 黄威楚 黄娇国 黄斌始 黄新立 黄盼 "
    "龙钢跃 龚勇纯".split()
)
REVIEWED_REPLY_NAMES = {"刘英正", "易建光"}  # 举报人刘英正, 当事人易建光


def test_what_is_found_in_the_real_letters_was_read() -> None:
    letters = [
        row["留言详情"].replace("_x000D_", "\n")
        for name in ("teddycup2020_replies.csv", "teddycup2020_labeled_messages.csv")
        for row in _rows(name)
    ]
    found = [name for text in letters for name in written_names(text)]
    assert set(found) == REVIEWED_LETTER_NAMES
    assert len(found) == 99  # in 82 of the 2,649 letters
    replies = [row["答复意见"] for row in _rows("teddycup2020_replies.csv")]
    assert {name for text in replies for name in written_names(text, part="reply")} == (
        REVIEWED_REPLY_NAMES
    )
