"""The Chinese names of audit action codes: the one place that names them.

    action_label("letter.urge")          # "催办"
    action_label("letter.something")     # "letter.something" (unknown: the code itself)
    object_label("letter")               # "来信"

Records keep the English code (it is part of each record's hash); pages show
these names. The groups give the 审计日志 filter its ``<optgroup>``s, one set
per chain: ``TENANT_GROUPS`` for a tenant's ``audit_log``, ``PLATFORM_GROUPS``
for ``core.platform_audit_log``. Codes built with f-strings are spelt out
here one by one (``letter.<transition>``, ``letter.notice_<kind>``,
``forwarding.objection_<decision>``, ``tenant.<status>``,
``mail_problem.<status>``); tests/unit/platform/audit/test_labels.py checks
that every code written anywhere has a name.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class ActionGroup:
    """A heading of the filter and the codes under it (code → name)."""

    label: str
    actions: dict[str, str]


TENANT_GROUPS: tuple[ActionGroup, ...] = (
    ActionGroup(
        "来信办理",
        {
            # letter.<transition>: workflow.TRANSITIONS
            "letter.register": "登记来信",
            "letter.register_channel": "登记其他渠道来信",
            "letter.accept": "受理来信",
            "letter.reject": "不予受理",
            "letter.classify": "调整来信分类",
            "letter.assign": "分办来信",
            "letter.assign_refused": "拒绝分办给被举报单位",
            "letter.assignment_deadline": "调整办理时限",
            "letter.route": "按规则自动分办",
            "letter.route_refused": "规则分办被拒（被举报单位）",
            "letter.request_material": "请来信人补充材料",
            "letter.receive_material": "收到补充材料",
            "letter.urge": "催办",
            "letter.instruct": "领导批示",
            "letter.note": "添加内部备注",
            "letter.read_report": "查阅举报来信",
            "letter.send_reply": "来信转为已答复",
            "letter.evaluate": "来信人评价",
            "letter.query_password_reset": "来信人重置查询密码",
            "letter.rehandle": "重新办理",
            "letter.close": "办结",
            "letter.archive": "归档",
            "letter.merge": "合并重复来信",
            "letter.link_duplicate": "标记为重复来信",
            "letter.dismiss_duplicate": "排除重复来信",
            "letter.matter_flagged": "识别出同一事项的来信",
            "letter.matter_linked": "按同一事项并入办理",
            "letter.publish": "公示来信",
            "letter.unpublish": "撤销公示",
            "letter.public_text": "修改公示文本",
            "letter.public_resign": "按新的隐去规则重新签署公示答复",
        },
    ),
    ActionGroup(
        "延期与告知",
        {
            "letter.extension_request": "申请延期",
            "letter.extension_approve": "批准延期",
            "letter.extension_reject": "不批准延期",
            # letter.notice_<kind>: notices.NOTICE_LABELS
            "letter.notice_acceptance": "发出受理告知",
            "letter.notice_non_acceptance": "发出不予受理告知",
            "letter.notice_forwarded": "发出转送告知",
            "letter.notice_extension": "发出延期告知",
            "letter.notice_material_request": "发出补充材料告知",
            "letter.notice_replied": "发出答复告知",
        },
    ),
    ActionGroup(
        "答复",
        {
            "reply.draft": "起草答复",
            "reply.edit": "修改答复",
            "reply.autosave": "自动保存答复草稿",
            "reply.approve": "审核通过答复",
            "reply.return": "退回答复修改",
            "reply.send": "发送答复",
            "reply.attachment_add": "添加答复附件",
            "reply.attachment_remove": "删除答复附件",
            "reply.attachment_public": "答复附件设为公开",
            "reply.attachment_private": "答复附件设为不公开",
            "canned_reply.add": "添加常用语",
        },
    ),
    ActionGroup(
        "转办与复查",
        {
            "letter.forward": "转办来信",
            "letter.complete_forwarded": "转办来信办结",
            "forwarding.received": "收到转办来信",
            "forwarding.accepted": "签收转办",
            "forwarding.objected": "对转办提出异议",
            # forwarding.objection_<decision>: forwarding.services.decide_objection
            "forwarding.objection_return": "异议成立，退回来信",
            "forwarding.objection_reassign": "异议成立，改派来信",
            "forwarding.objection_dismiss": "异议不成立",
            "forwarding.reassigned": "改派转办来信",
            "forwarding.urged": "催办转办来信",
            "forwarding.completed": "报送办结报告",
            "forwarding.completion_received": "收到办结报告",
            "matter.linked": "同一事项的新来信并入本件",
            "matter.linked_from_above": "其他机关收到同一事项来信",
            "appeal.requested": "来信人申请复查复核",
            "appeal.received": "收到复查复核申请",
            "appeal.answered": "出具复查复核意见",
        },
    ),
    ActionGroup(
        "设置与值班",
        {
            "routing_rule.create": "新建分办规则",
            "routing_rule.update": "修改分办规则",
            "routing_rule.delete": "删除分办规则",
            "routing_rule.reorder": "调整分办规则顺序",
            "unit.create": "新建单位",
            "duty.rota_saved": "保存值班表",
            "duty.handover": "值班交接",
            "mailbox.configure": "设置收信邮箱",
            # mail_problem.<status>: console.routes.channels.dismiss_problem
            "mail_problem.registered": "问题邮件已登记",
            "mail_problem.dismissed": "忽略问题邮件",
        },
    ),
    ActionGroup(
        "账号与安全",
        {
            "auth.certificate_sign_in": "数字证书登录",
            "auth.certificate_refused": "数字证书登录被拒",
            "certificate.register": "登记数字证书",
            "certificate.revoke": "吊销数字证书",
            "staff.totp_reset": "重置动态口令",
            "audit.verify": "校验审计链",
        },
    ),
)

PLATFORM_GROUPS: tuple[ActionGroup, ...] = (
    ActionGroup(
        "信箱开通",
        {
            "application.submit": "提交开通申请",
            "application.approve": "批准开通申请",
            "application.reject": "驳回开通申请",
            "tenant.provision_requested": "发起开通信箱",
            "tenant.provision_retried": "重试开通任务（或重发邀请邮件）",
            "tenant.provisioned": "信箱开通完成",
            "tenant.admin_invited": "邀请信箱管理员",
            "tenant.update": "修改信箱信息",
            # tenant.<status>: console.routes.province_tenants
            "tenant.disabled": "停用信箱",
            "tenant.active": "启用信箱",
        },
    ),
    ActionGroup(
        "账号与安全",
        {
            "staff.sign_in": "工作人员登录",
            "staff.totp_enrolled": "绑定动态口令",
            "staff.totp_reset": "重置动态口令",
            "staff.oidc_linked": "绑定统一身份认证账号",
            "staff.password_changed": "修改密码",
            "staff.password_reset_requested": "申请重置密码（忘记密码）",
            "staff.password_reset": "通过邮件链接重置密码",
            "staff.invitation_accepted": "通过邀请链接设置密码",
        },
    ),
    ActionGroup("平台设置", {"holidays.load": "导入节假日安排"}),
)

ACTION_LABELS: dict[str, str] = {
    code: label
    for group in TENANT_GROUPS + PLATFORM_GROUPS
    for code, label in group.actions.items()
}

OBJECT_LABELS: dict[str, str] = {
    "letter": "来信",
    "reply": "答复",
    "attachment": "附件",
    "appeal": "复查复核",
    "canned_reply": "常用语",
    "certificate": "数字证书",
    "duty_rota": "值班表",
    "duty_shift": "值班班次",
    "holiday_schedule": "节假日安排",
    "mail_problem": "问题邮件",
    "mailbox": "收信邮箱",
    "provisioning_run": "开通任务",
    "routing_rule": "分办规则",
    "tenant": "信箱",
    "tenant_application": "开通申请",
    "unit": "单位",
    "user": "用户",
}


def action_label(code: str) -> str:
    """The name of ``code``; an unknown code is shown as it is."""
    return ACTION_LABELS.get(code, code)


def object_label(object_type: str | None) -> str:
    """The name of an object type ("" for none; unknown: the type itself)."""
    if not object_type:
        return ""
    return OBJECT_LABELS.get(object_type, object_type)
