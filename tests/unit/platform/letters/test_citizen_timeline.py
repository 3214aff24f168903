"""The citizen's 办理过程: a notice joins the step it tells of; one on its own stays."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from leadermail.platform.letters.citizen_timeline import citizen_timeline
from leadermail.platform.letters.models import LetterEvent

START = datetime(2026, 3, 2, 8, 0, tzinfo=UTC)


def event(minute: int, kind: str, message: str) -> LetterEvent:
    return LetterEvent(kind=kind, message=message, created_at=START + timedelta(minutes=minute))


def test_notices_join_their_steps_and_a_notice_alone_is_one_entry() -> None:
    entries = citizen_timeline(
        [
            event(0, "submitted", "来信已提交"),
            event(5, "accept", "来信已受理"),
            event(5, "notice_acceptance", "尊敬的来信人：……已于今日受理。特此告知。"),
            event(9, "request_material", "请补充烧烤店的位置"),
            event(9, "notice_material_request", "尊敬的来信人：……需要您补充材料。特此告知。"),
            event(30, "notice_extension", "尊敬的来信人：……答复期限延长至……特此告知。"),
            event(40, "receive_material", "已收到补充材料"),
        ]
    )
    assert [e.message for e in entries] == [
        "来信已提交",
        "来信已受理",
        "请补充烧烤店的位置",
        "延期告知",
        "已收到补充材料",
    ]
    assert entries[0].notice_text is None
    assert entries[1].notice_label == "受理告知" and "受理。特此告知" in entries[1].notice_text
    assert entries[2].notice_label == "补充材料告知"
    assert entries[3].notice_label == "延期告知" and "延长" in entries[3].notice_text


def test_a_second_request_pairs_with_its_own_notice() -> None:
    entries = citizen_timeline(
        [
            event(0, "request_material", "第一次：请补充照片"),
            event(0, "notice_material_request", "告知一"),
            event(9, "receive_material", "已收到补充材料"),
            event(20, "request_material", "第二次：请补充合同"),
            event(20, "notice_material_request", "告知二"),
        ]
    )
    assert [(e.message, e.notice_text) for e in entries] == [
        ("第一次：请补充照片", "告知一"),
        ("已收到补充材料", None),
        ("第二次：请补充合同", "告知二"),
    ]
