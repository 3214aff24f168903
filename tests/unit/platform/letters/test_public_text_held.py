"""The held replies of a published letter (``extra["public_text"]["held_replies"]``)
sit beside the staff's corrections without disturbing them, and the detector
message the editor and 公示 share."""

from __future__ import annotations

from leadermail.platform.letters.public_text import (
    EXTRA_KEY,
    HELD_KEY,
    held_replies,
    is_edited,
    personal_data_problem,
    public_reply_text,
    with_held,
)


def test_nothing_is_held_on_a_letter_without_the_key():
    assert held_replies(None) == frozenset()
    assert held_replies({}) == frozenset()
    assert held_replies({EXTRA_KEY: {"title": "改过的标题"}}) == frozenset()


def test_holding_keeps_the_corrections_and_marks_nothing_edited():
    extra = {"channel_note": "电话转写", EXTRA_KEY: {"replies": {"7": "改过的答复"}}}
    held = with_held(extra, {9})
    assert held_replies(held) == {9}
    assert held[EXTRA_KEY]["replies"] == {"7": "改过的答复"}
    assert held["channel_note"] == "电话转写"
    assert extra == {"channel_note": "电话转写", EXTRA_KEY: {"replies": {"7": "改过的答复"}}}
    # Held is not a correction: the search index and "已人工修改" ignore it.
    assert not is_edited(with_held({}, {9}))
    assert public_reply_text(9, "<p>您好</p>", None, with_held({}, {9})) == "您好"


def test_releasing_the_last_held_reply_leaves_the_letter_as_before():
    assert with_held(with_held({}, {3, 4}), set()) == {}
    kept = with_held(with_held({EXTRA_KEY: {"title": "标题"}}, {3}), set())
    assert kept == {EXTRA_KEY: {"title": "标题"}}
    assert with_held({}, [5, 3, 5])[EXTRA_KEY][HELD_KEY] == [3, 5]


def test_stored_garbage_holds_nothing_it_cannot_name():
    assert held_replies({EXTRA_KEY: {HELD_KEY: "12"}}) == frozenset()
    assert held_replies({EXTRA_KEY: {HELD_KEY: [12, "13", None]}}) == {12}


def test_the_detector_message_names_what_it_found_and_what_to_do():
    problem = personal_data_problem("答复", "请拨打13812345678", [], "reply", then="公示")
    assert problem is not None
    assert problem.startswith("答复中仍有个人信息：手机号码（138****5678）")
    assert problem.endswith("再公示")
    assert personal_data_problem("答复", "请拨打 12345 市民热线", [], "reply") is None
    named = personal_data_problem("标题", "张三家门口路灯坏了", ["张三"], "letter")
    assert named is not None and "来信人姓名" in named and named.endswith("再保存")
