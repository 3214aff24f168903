"""Inviting a mailbox's admin: the form's checks, each admin's state, and how
an invitation-only run shows its progress."""

from __future__ import annotations

from datetime import timedelta

import pytest

from leadermail.platform.clock import utcnow
from leadermail.tenants.admin_invitations import MailboxAdmin, invitation_problems
from leadermail.tenants.provisioning_runs import INVITATION_KEY_PREFIX, ProvisioningRun, RunStatus


@pytest.mark.parametrize(
    ("name", "email", "expected"),
    [
        ("钱管理", "qian@county.example.cn", {}),
        (
            "",
            "",
            {
                "admin_name": "请填写管理员姓名",
                "admin_email": "请填写管理员邮箱，邀请邮件将发到这里",
            },
        ),
        (
            "钱" * 51,
            "qian@county",
            {
                "admin_name": "姓名不能超过 50 个字",
                "admin_email": "邮箱格式不正确，例如 wang@county.gov.cn",
            },
        ),
        (
            "钱管理",
            "qian@county.example.cn\r\nBcc: x@evil.cn",
            {"admin_email": "邮箱格式不正确，例如 wang@county.gov.cn"},
        ),
    ],
)
def test_the_form_says_every_problem_at_once(name: str, email: str, expected: dict) -> None:
    assert invitation_problems(name, email) == expected


def admin(**changes: object) -> MailboxAdmin:
    values = {
        "user_id": 1,
        "name": "钱管理",
        "email": "qian@county.example.cn",
        "is_active": True,
        "can_sign_in": False,
        "invited_until": None,
        "invitation_used": False,
    }
    return MailboxAdmin(**{**values, **changes})


def test_an_admins_state_follows_their_password_and_newest_invitation() -> None:
    later, earlier = utcnow() + timedelta(days=3), utcnow() - timedelta(days=1)
    assert admin().state == "not_invited"
    assert admin(invited_until=later).state == "invited"
    assert admin(invited_until=earlier).state == "expired"
    assert admin(can_sign_in=True, invited_until=earlier).state == "ready"
    assert admin(is_active=False, can_sign_in=True).state == "inactive"
    assert admin(invited_until=later).state_label == "已邀请，等待设置密码"


def run(status: str, *, key: str = INVITATION_KEY_PREFIX + "7:abc") -> ProvisioningRun:
    return ProvisioningRun(
        request_key=key,
        spec={"slug": "county", "name": "某县"},
        tenant_id=7,
        admin_email="qian@county.example.cn",
        status=status,
        step="queued",
    )


def test_an_invitation_run_shows_only_the_invitation() -> None:
    assert run(RunStatus.QUEUED).invitation_only
    assert run(RunStatus.QUEUED).status_label == "等待发送"
    assert run(RunStatus.QUEUED).progress() == [
        ("收到邀请请求", "done"),
        ("向管理员发送设置密码的邀请邮件", "waiting"),
    ]
    failed = run(RunStatus.FAILED)
    assert failed.failed_step == "admin_invited" and failed.status_label == "邀请邮件发送失败"
    assert failed.progress()[1] == ("向管理员发送设置密码的邀请邮件", "failed")
    assert [state for _, state in run(RunStatus.SUCCEEDED).progress()] == ["done", "done"]
    # A run that opened a mailbox keeps its own steps and words.
    opening = run(RunStatus.QUEUED, key="console:abc")
    assert not opening.invitation_only and opening.status_label == "等待开始"
    assert opening.progress()[1][0] == "建立信箱的数据库"
