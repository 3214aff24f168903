"""The e-mail that tells a staff member their password was set, one wording per way."""

from __future__ import annotations

from datetime import UTC, datetime

from leadermail.platform.accounts.password_changes import NOTICE_KINDS
from leadermail.platform.audit.labels import ACTION_LABELS
from leadermail.platform.notifications.account_jobs import notice_email

AT = datetime(2026, 11, 25, 2, 30, tzinfo=UTC)


def test_each_way_of_setting_a_password_has_its_audit_name_and_its_own_words() -> None:
    subjects = set()
    for action, kind in NOTICE_KINDS.items():
        assert action in ACTION_LABELS
        subject, body = notice_email(kind, "王登记", "长沙市市长信箱", AT, "10.0.0.7")
        assert "其他设备或浏览器上的登录均已失效" in body and "10.0.0.7" in body
        subjects.add(subject)
    assert len(subjects) == len(NOTICE_KINDS)


def test_the_invitation_notice_says_the_link_set_it() -> None:
    subject, body = notice_email("invitation", "王登记", "长沙市市长信箱", AT, None)
    assert "邀请邮件中的链接" in subject and "如非本人操作，请立即联系本单位管理员" in body
