"""Letters from other channels: registered by staff, and read from a real IMAP mailbox."""

from __future__ import annotations

import imaplib
import io
import re
import shutil
import tempfile
from collections.abc import Iterator
from email.message import EmailMessage
from pathlib import Path

import pytest
from PIL import Image
from sqlalchemy import select

from leadermail.platform.accounts.models import Role
from leadermail.platform.audit.models import AuditRecord
from leadermail.platform.channels.jobs import poll_intake_mailboxes
from leadermail.platform.channels.mailbox import parse_mail, poll_mailbox
from leadermail.platform.channels.mailbox_passwords import (
    PASSWORD_UNREADABLE,
    read_mailbox_password,
    store_mailbox_password,
)
from leadermail.platform.channels.models import ChannelMailbox, MailProblem
from leadermail.platform.jobs.models import OutboxJob
from leadermail.platform.letters.models import Attachment, Category, Letter
from leadermail.platform.letters.tracking import normalize_tracking_code
from leadermail.tenants.session import tenant_session
from tests.functional.staff_ops.helpers import make_staff, sign_in_client
from tests.functional.staff_ops.imap_server import dovecot_available, running_dovecot

MAILBOX_USER, MAILBOX_PASSWORD = "intake@example.cn", "intake-secret"


def url(tenant, path: str) -> str:  # noqa: ANN001
    return f"/t/{tenant.slug}/console{path}"


def scan_png() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (40, 60), "white").save(buffer, "PNG")
    return buffer.getvalue()


async def _category(context, tenant) -> int:  # noqa: ANN001
    async with tenant_session(context.database, tenant) as session:
        return (await session.execute(select(Category.id).limit(1))).scalar_one()


async def test_staff_register_a_posted_letter_with_a_scan(staff_client, context, make_tenant):
    tenant = await make_tenant()
    registrar = await make_staff(context, tenant, "登记员", Role.REGISTRAR)
    sign_in_client(staff_client, registrar)
    form = await staff_client.get(url(tenant, "/channels/register"))
    assert form.status_code == 200 and "纸质来信扫描件" in form.text
    # Not published unless the clerk records the writer's consent.
    assert re.search(r'name="do_not_publish" value="1"\s+checked', form.text)
    response = await staff_client.post(
        url(tenant, "/channels/register"),
        data={
            "channel": "post",
            "received_at": "2026-03-02T09:30",
            "letter_type": "complaint",
            "category": str(await _category(context, tenant)),
            "title": "村道塌陷无人修",
            "body": "我村通往镇上的村道去年汛期塌陷，至今无人修复，学生上学要绕行五公里。",
            "name": "刘大爷",
            "phone": "",
            "submission_key": "k1",
        },
        files=[("scans", ("来信扫描.png", scan_png(), "image/png"))],
    )
    assert response.status_code == 200, response.text
    shown = re.search(r'id="tracking-code">([^<]+)<', response.text).group(1)
    assert "-" in shown  # printed as the citizen will type it: K7QMX-3XPD9
    code = normalize_tracking_code(shown)
    password = re.search(r'id="query-password">([^<]+)<', response.text).group(1)
    assert len(password) >= 6 and "打印回执" in response.text
    # The print button works under the CSP (no inline onclick) and the slip
    # leads to the letter, which waits for 登记 (it is not "已登记" yet).
    assert "onclick" not in response.text and "data-print" in response.text
    assert "print.js" in response.text and "等待登记受理" in response.text
    async with tenant_session(context.database, tenant) as session:
        letter = (
            await session.execute(select(Letter).where(Letter.tracking_code == code))
        ).scalar_one()
        assert f"/letters/{letter.id}" in response.text
        scans = (
            (await session.execute(select(Attachment).where(Attachment.letter_id == letter.id)))
            .scalars()
            .all()
        )
        audit = (await session.execute(select(AuditRecord.action))).scalars().all()
    assert letter.channel == "post" and letter.state == "submitted" and letter.writer_phone is None
    assert letter.received_at.isoformat().startswith("2026-03-02T01:30")  # 09:30 Beijing time
    assert [a.filename for a in scans] == ["来信扫描.png"]
    assert "letter.register_channel" in audit


async def test_phone_letter_gets_its_receipt_by_sms_job(staff_client, context, make_tenant):
    tenant = await make_tenant()
    registrar = await make_staff(context, tenant, "登记员", Role.REGISTRAR)
    sign_in_client(staff_client, registrar)
    response = await staff_client.post(
        url(tenant, "/channels/register"),
        data={
            "channel": "phone",
            "received_at": "2026-03-02T20:15",
            "letter_type": "consultation",
            "category": str(await _category(context, tenant)),
            "title": "社保卡补办流程",
            "body": "来电咨询社保卡丢失后如何补办，需要带哪些材料，多久能拿到新卡。",
            "name": "陈女士",
            "phone": "13912345678",
        },
    )
    assert response.status_code == 200 and "短信发送给来信人" in response.text
    async with context.database.core_session() as session:
        jobs = (
            (
                await session.execute(
                    select(OutboxJob.job_name).where(OutboxJob.tenant_id == tenant.id)
                )
            )
            .scalars()
            .all()
        )
    assert "send_letter_receipt" in jobs


async def test_bad_input_is_refused_field_by_field(staff_client, context, make_tenant):
    tenant = await make_tenant()
    registrar = await make_staff(context, tenant, "登记员", Role.REGISTRAR)
    sign_in_client(staff_client, registrar)
    response = await staff_client.post(
        url(tenant, "/channels/register"),
        data={
            "channel": "fax",
            "received_at": "2099-01-01T08:00",
            "title": "",
            "body": "",
            "name": "",
            "category": "0",
            "letter_type": "complaint",
        },
        files=[("scans", ("病毒.png", b"MZ\x90\x00fake", "image/png"))],
    )
    assert response.status_code == 400
    for message in ("请选择来信渠道", "收到日期不能晚于现在", "请填写姓名"):
        assert message in response.text
    handler = await make_staff(context, tenant, "承办人", Role.HANDLER)
    sign_in_client(staff_client, handler)
    assert (await staff_client.get(url(tenant, "/channels/register"))).status_code == 403


def test_parse_mail_reads_subject_body_sender_and_phone():
    mail = EmailMessage()
    mail["From"] = "张先生 <zhang@example.com>"
    mail["Subject"] = "反映噪音扰民问题"
    mail.set_content("小区旁边工地每天夜里施工到凌晨两点，严重影响休息。我的电话 13800138000。")
    parsed = parse_mail(mail.as_bytes())
    assert (parsed.title, parsed.sender_name, parsed.sender_email, parsed.phone) == (
        "反映噪音扰民问题",
        "张先生",
        "zhang@example.com",
        "13800138000",
    )


@pytest.fixture
def imap_port() -> Iterator[int]:
    if not dovecot_available():
        pytest.skip("dovecot is not installed (apt-get install dovecot-imapd)")
    # Not under pytest's tmp_path: dovecot's own users must be able to reach the files,
    # and pytest's base directory is private to the user running the tests.
    directory = Path(tempfile.mkdtemp(prefix="leadermail-dovecot-"))
    directory.chmod(0o755)
    try:
        with running_dovecot(directory, {MAILBOX_USER: MAILBOX_PASSWORD}) as port:
            yield port
    finally:
        shutil.rmtree(directory, ignore_errors=True)


def _deliver(port: int, *messages: bytes) -> None:
    client = imaplib.IMAP4("127.0.0.1", port)
    client.login(MAILBOX_USER, MAILBOX_PASSWORD)
    for message in messages:
        client.append("INBOX", None, None, message)
    client.logout()


def _mail(subject: str, body: str, sender: str = "李女士 <li@example.com>") -> bytes:
    mail = EmailMessage()
    mail["From"] = sender
    mail["To"] = MAILBOX_USER
    if subject:
        mail["Subject"] = subject
    mail.set_content(body)
    return mail.as_bytes()


async def test_mail_in_the_intake_mailbox_becomes_letters_or_needs_attention(
    imap_port, context, make_tenant, staff_client
):
    tenant = await make_tenant()
    async with tenant_session(context.database, tenant) as session:
        session.add(
            ChannelMailbox(
                tenant_id=tenant.id,
                address=MAILBOX_USER,
                host="127.0.0.1",
                port=imap_port,
                use_ssl=False,
                username=MAILBOX_USER,
                password=MAILBOX_PASSWORD,
                folder="INBOX",
                last_uid=0,
            )
        )
        await session.commit()
    broken = (
        b"From: x@example.com\r\nSubject: =?gb2312?B?????\r\nContent-Type: text/plain; "
        b"charset=no-such-charset\r\nContent-Transfer-Encoding: base64\r\n\r\n%%%not base64%%%\r\n"
    )
    _deliver(
        imap_port,
        _mail(
            "公交站台破损", "人民路公交站台的雨棚破了一个大洞，下雨天等车的人都淋湿了，请尽快修理。"
        ),
        _mail("", "没有标题的邮件正文内容，也应当被保留下来等待人工处理。"),
        broken,
    )
    assert await poll_mailbox(context, tenant) == (1, 2)
    # The password saved in clear before sealing is sealed by that first poll.
    async with tenant_session(context.database, tenant) as session:
        stored = (await session.execute(select(ChannelMailbox))).scalar_one()
    assert stored.password.startswith("sealed-v1:")
    assert read_mailbox_password(stored, context.settings.secret_key) == MAILBOX_PASSWORD
    # Read again (with the sealed password): nothing new, nothing doubled.
    assert await poll_mailbox(context, tenant) == (0, 0)
    _deliver(
        imap_port,
        _mail("幸福小区路灯不亮", "幸福小区三栋门口的路灯坏了两周，晚上很黑，老人出行不便。"),
    )
    assert await poll_intake_mailboxes({"app": context}) >= 1

    async with tenant_session(context.database, tenant) as session:
        letters = (await session.execute(select(Letter).order_by(Letter.id))).scalars().all()
        problems = (
            (await session.execute(select(MailProblem).order_by(MailProblem.uid))).scalars().all()
        )
    assert [(letter.title, letter.channel, letter.writer_email) for letter in letters] == [
        ("公交站台破损", "email", "li@example.com"),
        ("幸福小区路灯不亮", "email", "li@example.com"),
    ]
    assert [p.reason for p in problems] == ["邮件没有标题", problems[1].reason]
    assert problems[1].raw == broken.replace(b"\r\n", b"\r\n")  # kept byte for byte
    assert all(p.status == "open" for p in problems)

    registrar = await make_staff(context, tenant, "登记员", Role.REGISTRAR)
    sign_in_client(staff_client, registrar)
    page = await staff_client.get(url(tenant, "/channels/mail-problems"))
    assert "邮件没有标题" in page.text
    raw = await staff_client.get(url(tenant, f"/channels/mail-problems/{problems[0].id}.eml"))
    assert "没有标题的邮件正文内容" in raw.content.decode("utf-8", "replace") or raw.content
    dismissed = await staff_client.post(
        url(tenant, f"/channels/mail-problems/{problems[0].id}/dismiss")
    )
    assert dismissed.status_code == 303
    page = await staff_client.get(url(tenant, "/channels/mail-problems"))
    assert "邮件没有标题" not in page.text


async def test_a_mailbox_that_refuses_the_login_records_the_error(imap_port, context, make_tenant):
    tenant = await make_tenant()
    async with tenant_session(context.database, tenant) as session:
        session.add(
            ChannelMailbox(
                tenant_id=tenant.id,
                address=MAILBOX_USER,
                host="127.0.0.1",
                port=imap_port,
                use_ssl=False,
                username=MAILBOX_USER,
                password="wrong",
                folder="INBOX",
                last_uid=0,
            )
        )
        await session.commit()
    assert await poll_mailbox(context, tenant) == (0, 0)
    async with tenant_session(context.database, tenant) as session:
        mailbox = (await session.execute(select(ChannelMailbox))).scalar_one()
    assert mailbox.last_error and mailbox.last_uid == 0


def _mailbox_form(**changes: str) -> dict[str, str]:
    return {
        "address": "xinxiang@county.example.cn",
        "host": "imap.county.example.cn",
        "port": "993",
        "use_ssl": "1",
        "username": "xinxiang",
        "password": "",
        "folder": "INBOX",
        "is_active": "1",
        **changes,
    }


async def _stored_mailbox(context, tenant) -> ChannelMailbox:  # noqa: ANN001
    async with tenant_session(context.database, tenant) as session:
        return (await session.execute(select(ChannelMailbox))).scalar_one()


async def test_the_mailbox_password_is_sealed_and_never_shown_again(
    staff_client, context, make_tenant
):
    tenant = await make_tenant()
    admin = await make_staff(context, tenant, "管理员", Role.TENANT_ADMIN)
    sign_in_client(staff_client, admin)
    page = url(tenant, "/channels/mailbox")
    typed = "Shou-xin 2026 key"

    # Every problem at once, next to its field; what was typed stays, except the password.
    refused = await staff_client.post(
        page, data=_mailbox_form(address="", port="99999", password=typed)
    )
    assert refused.status_code == 400
    assert 'id="m-address-error">请填写公开的邮箱地址<' in refused.text
    assert 'id="m-port-error">端口应是 1 到 65535 之间的数字' in refused.text
    assert 'value="imap.county.example.cn"' in refused.text and 'value="99999"' in refused.text
    assert typed not in refused.text
    refused = await staff_client.post(page, data=_mailbox_form())
    assert 'id="m-password-error">请填写邮箱密码' in refused.text

    saved = await staff_client.post(page, data=_mailbox_form(password=typed))
    assert saved.status_code == 303
    shown = await staff_client.get(page)
    assert "已保存" in shown.text and "已加密保存，不会在页面上显示" in shown.text
    assert typed not in shown.text and 'name="password" value' not in shown.text
    mailbox = await _stored_mailbox(context, tenant)
    assert mailbox.password.startswith("sealed-v1:") and typed not in mailbox.password
    assert read_mailbox_password(mailbox, context.settings.secret_key) == typed

    # Saved again without a password: the sealed one stays as it was.
    await staff_client.post(page, data=_mailbox_form(folder="Letters"))
    again = await _stored_mailbox(context, tenant)
    assert (again.folder, again.password) == ("Letters", mailbox.password)
    async with tenant_session(context.database, tenant) as session:
        audit = (
            (
                await session.execute(
                    select(AuditRecord.data).where(AuditRecord.action == "mailbox.configure")
                )
            )
            .scalars()
            .all()
        )
    assert [entry["password_changed"] for entry in audit] == [True, False]
    assert typed not in str(audit)


async def test_a_password_that_no_longer_opens_is_asked_for_again(
    staff_client, context, make_tenant
):
    tenant = await make_tenant()
    async with tenant_session(context.database, tenant) as session:
        mailbox = ChannelMailbox(
            tenant_id=tenant.id,
            address=MAILBOX_USER,
            host="127.0.0.1",
            port=1,
            use_ssl=False,
            username=MAILBOX_USER,
            password="",
            folder="INBOX",
            last_uid=0,
        )
        session.add(mailbox)
        await session.flush()
        # Sealed under the SECRET_KEY the deployment had before.
        store_mailbox_password(mailbox, MAILBOX_PASSWORD, "the-old-key-" + "o" * 40)
        await session.commit()
    assert await poll_mailbox(context, tenant) == (0, 0)
    assert (await _stored_mailbox(context, tenant)).last_error == PASSWORD_UNREADABLE

    admin = await make_staff(context, tenant, "管理员", Role.TENANT_ADMIN)
    sign_in_client(staff_client, admin)
    page = url(tenant, "/channels/mailbox")
    shown = await staff_client.get(page)
    assert "保存的密码已无法使用" in shown.text and "系统密钥" in shown.text
    form = _mailbox_form(host="127.0.0.1", port="1", use_ssl="", username=MAILBOX_USER)
    refused = await staff_client.post(page, data=form)
    assert refused.status_code == 400 and "请填写邮箱密码" in refused.text
    assert (await staff_client.post(page, data={**form, "password": "new"})).status_code == 303
    stored = await _stored_mailbox(context, tenant)
    assert stored.last_error is None
    assert read_mailbox_password(stored, context.settings.secret_key) == "new"


async def test_a_mailbox_set_up_in_the_console_is_read_with_its_sealed_password(
    imap_port, staff_client, context, make_tenant
):
    tenant = await make_tenant()
    admin = await make_staff(context, tenant, "管理员", Role.TENANT_ADMIN)
    sign_in_client(staff_client, admin)
    form = _mailbox_form(
        address=MAILBOX_USER,
        host="127.0.0.1",
        port=str(imap_port),
        use_ssl="",
        username=MAILBOX_USER,
        password=MAILBOX_PASSWORD,
    )
    assert (await staff_client.post(url(tenant, "/channels/mailbox"), data=form)).status_code == 303
    _deliver(imap_port, _mail("湘江大桥桥面坑洼", "湘江大桥东侧桥面坑洼很多，骑电动车经过很危险。"))
    assert await poll_mailbox(context, tenant) == (1, 0)
    mailbox = await _stored_mailbox(context, tenant)
    assert mailbox.last_error is None and MAILBOX_PASSWORD not in mailbox.password
