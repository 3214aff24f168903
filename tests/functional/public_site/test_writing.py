"""写信 over HTTP: every rule of the form, the receipt, and what is stored."""

from __future__ import annotations

import base64
import re
import secrets

from sqlalchemy import func, select

from leadermail.platform.jobs.models import OutboxJob
from leadermail.platform.letters.models import Attachment, Letter, LetterEvent, LetterLocator
from leadermail.platform.letters.tracking import normalize_tracking_code, verify_query_password
from leadermail.tenants.session import tenant_session
from tests.conftest import TEST_SECRET
from tests.functional.public_site.conftest import VALID_ID, hidden, png_bytes
from tests.functional.public_site.domain import load_letter


async def count_letters(context, tenant) -> int:
    async with tenant_session(context.database, tenant) as session:
        return int(await session.scalar(select(func.count()).select_from(Letter)))


async def test_home_shows_leader_actions_time_limits_and_figures(citizen):
    response = await citizen.get("/")
    assert response.status_code == 200
    page = response.text
    assert "市长 李明 欢迎您来信" in page
    assert f'href="/t/{citizen.tenant.slug}/write"' in page
    assert f'href="/t/{citizen.tenant.slug}/track"' in page
    assert "今年收到来信" in page and "按时答复率" in page and "群众满意率" in page
    assert "24小时" in page and "5个工作日" in page


async def test_a_mailbox_that_names_no_person_greets_by_title_alone(client, make_tenant):
    tenant = await make_tenant(leader_name="省长", leader_title="湖南省人民政府省长")
    page = (await client.get(f"/t/{tenant.slug}/")).text
    assert "湖南省人民政府省长 欢迎您来信" in page and "省长 省长" not in page


async def test_the_region_example_is_the_mailboxs_own(client, make_tenant):
    own = await make_tenant(profile={"region_hint": "如：雨湖区城正街街道"})
    assert "如：雨湖区城正街街道" in (await client.get(f"/t/{own.slug}/write")).text
    plain = (await client.get(f"/t/{(await make_tenant()).slug}/write")).text
    assert "某某区某某街道" in plain and "岳麓区" not in plain


async def test_a_valid_letter_gets_a_receipt_shown_once(citizen, context):
    response = await citizen.submit()
    assert response.status_code == 303
    receipt = await citizen.client.get(response.headers["location"])
    assert "查询码" in receipt.text and 'id="query-password"' in receipt.text
    assert receipt.headers["cache-control"] == "no-store"
    again = await citizen.client.get(response.headers["location"])
    assert 'id="query-password"' not in again.text
    # The second visit finds the same letter by the form's submission key.
    code = re.compile(r'id="tracking-code">([^<]+)<')
    assert code.search(again.text).group(1) == code.search(receipt.text).group(1)


async def test_the_session_cookie_carries_the_receipt_password_sealed(citizen):
    response = await citizen.submit()
    receipt = await citizen.client.get(response.headers["location"])
    password = re.search(r'id="query-password"[^>]*>([^<]+)<', receipt.text).group(1).strip()
    # The cookie was set by the POST and read by the receipt: a signed (not
    # encrypted) cookie, so the password must not be in it in any readable form.
    cookie = response.headers["set-cookie"].split(";", 1)[0].split("=", 1)[1]
    decoded = base64.b64decode(cookie.split(".", 1)[0] + "==").decode("utf-8", "replace")
    assert "password" in decoded
    assert password not in decoded and password.replace("-", "") not in decoded


async def test_stored_letter_has_hash_deadlines_locator_event_and_receipt_job(citizen, context):
    code, password = await citizen.write_letter(email="zhang@example.com", id_number=VALID_ID)
    letter = await load_letter(context, citizen.tenant, code)
    assert password not in letter.query_password_hash
    assert verify_query_password(password, letter.query_password_hash, TEST_SECRET)
    assert letter.acceptance_due_at is not None and letter.reply_due_at is not None
    assert letter.reply_due_at > letter.acceptance_due_at
    assert letter.writer_email == "zhang@example.com" and letter.writer_id_number == VALID_ID
    async with tenant_session(context.database, citizen.tenant) as session:
        locator = await session.get(LetterLocator, letter.tracking_code)
        assert locator is not None and locator.origin_tenant_id == citizen.tenant.id
        events = (
            await session.scalars(select(LetterEvent).where(LetterEvent.letter_id == letter.id))
        ).all()
        assert [(e.kind, e.is_public) for e in events] == [("submitted", True)]
        job = await session.scalar(
            select(OutboxJob).where(
                OutboxJob.job_name == "send_letter_receipt",
                OutboxJob.tenant_id == citizen.tenant.id,
            )
        )
        assert job is not None and job.kwargs["letter_id"] == letter.id
        assert password not in str(job.kwargs)  # sealed, never in clear


async def test_every_invalid_field_gets_its_own_message_and_input_is_kept(citizen, context):
    response = await citizen.submit(
        title="噪音",
        body="太吵了",
        phone="1234",
        email="not-an-email",
        id_number="110105194912310021",
        letter_type="",
        agree_terms="",
    )
    assert response.status_code == 422
    page = response.text
    for field, text in {
        "letter_type": "请选择信件类型",
        "title": "标题需为 5–50 个字",
        "body": "信件内容需为 10–5000 个字",
        "phone": "请填写有效的手机号码",
        "email": "请填写有效的电子邮箱地址",
        "id_number": "身份证号码校验不正确",
        "agree_terms": "请阅读并同意",
    }.items():
        block = re.search(rf'<p class="field-error" id="{field}-error"[^>]*>(.*?)</p>', page, re.S)
        assert block and text in block.group(1), field
        assert 'aria-describedby="' in page
    assert 'value="噪音"' in page and ">太吵了</textarea>" in page
    assert 'value="张三"' in page and 'value="岳麓区"' in page
    assert 'id="error-summary"' in page
    assert await count_letters(context, citizen.tenant) == 0


async def test_wrong_type_upload_is_refused_and_good_files_are_kept(citizen, context):
    page = await citizen.open_write_form()
    files = [
        ("attachments", ("现场照片.png", png_bytes(), "image/png")),
        ("attachments", ("证据.jpg", b"MZ\x90\x00 this is a program", "image/jpeg")),
    ]
    response = await citizen.submit(page, files=files)
    assert response.status_code == 422
    assert "是程序文件，不能上传" in response.text
    assert "现场照片.png" in response.text and "已保留" in response.text
    assert 'value="夜间施工噪音扰民"' in response.text
    # Submit again without choosing files: the kept one goes with the letter.
    again = await citizen.submit(response.text)
    assert again.status_code == 303
    async with tenant_session(context.database, citizen.tenant) as session:
        names = (await session.scalars(select(Attachment.filename))).all()
    assert names == ["现场照片.png"]


async def test_an_oversized_upload_is_refused_with_the_rest_kept(citizen):
    big = b"%PDF-1.4\n" + b"0" * (10 * 1024 * 1024) + b"\n%%EOF"
    response = await citizen.submit(files=[("attachments", ("扫描件.pdf", big, "application/pdf"))])
    assert response.status_code == 422
    assert "超过 10 MB" in response.text
    assert 'value="夜间施工噪音扰民"' in response.text


async def test_unticking_a_kept_file_drops_it(citizen, context):
    first = await citizen.submit(
        files=[("attachments", ("a.png", png_bytes(), "image/png"))], title="短"
    )
    assert "a.png" in first.text
    data = {
        "csrf_token": hidden(first.text, "csrf_token"),
        "submission_key": hidden(first.text, "submission_key"),
        "staged_listed": "1",
        "letter_type": "complaint",
        "category": citizen.first_category(first.text),
        "title": "夜间施工噪音扰民",
        "body": "工地每天夜里施工，噪音很大，请管一管。",
        "name": "张三",
        "phone": "13812345678",
        "agree_terms": "1",
    }
    response = await citizen.post("/write", data=data)
    assert response.status_code == 303
    async with tenant_session(context.database, citizen.tenant) as session:
        assert (await session.scalars(select(Attachment))).all() == []


async def test_double_submit_creates_one_letter(citizen, context):
    page = await citizen.open_write_form()
    first = await citizen.submit(page)
    second = await citizen.submit(page)
    assert first.status_code == second.status_code == 303
    assert first.headers["location"] == second.headers["location"]
    assert await count_letters(context, citizen.tenant) == 1


async def test_the_same_form_sent_again_changed_gets_the_first_receipt(citizen, context):
    # Not the same text (so not caught as the browser's recent letter), but
    # the same form: its key made a letter and its challenge is used up.
    page = await citizen.open_write_form()
    first = await citizen.submit(page)
    second = await citizen.submit(page, title="夜间施工噪音扰民问题（补充）")
    assert first.status_code == second.status_code == 303
    assert first.headers["location"] == second.headers["location"]
    assert await count_letters(context, citizen.tenant) == 1


async def test_without_the_challenge_nothing_is_created_and_input_is_kept(citizen, context):
    response = await citizen.submit(solve=False)
    assert response.status_code == 422
    assert "请等待“我不是机器人”显示已验证后再提交" in response.text
    assert "算术题" not in response.text.split('id="challenge-error"')[1][:300]
    assert 'value="夜间施工噪音扰民"' in response.text
    assert await count_letters(context, citizen.tenant) == 0


async def test_a_solved_challenge_cannot_be_replayed_on_another_form(citizen, context):
    from tests.functional.public_site.conftest import solve_pow

    page = await citizen.open_write_form()
    payload = solve_pow(page)
    other = await citizen.open_write_form()
    for n, form_page in enumerate((page, other)):
        data = {
            "csrf_token": hidden(form_page, "csrf_token"),
            "submission_key": hidden(form_page, "submission_key"),
            "altcha": payload,
            "letter_type": "complaint",
            "category": citizen.first_category(form_page),
            # Another letter (the same text again would get the first receipt).
            "title": f"夜间施工噪音扰民{'（再次反映）' * n}",
            "body": "工地每天夜里施工，噪音很大，请管一管。",
            "name": "张三",
            "phone": "13812345678",
            "agree_terms": "1",
        }
        response = await citizen.post("/write", data=data)
    assert response.status_code == 422 and "人机验证已失效" in response.text
    assert await count_letters(context, citizen.tenant) == 1


async def test_the_no_javascript_question_works(citizen, context):
    page = await citizen.open_write_form()
    question = re.search(r'<label for="challenge_answer">(.+?)等于几', page).group(1)
    digits = "零一二三四五六七八九十"
    a, b = question.split("加")

    def number(text: str) -> int:
        if text == "十":
            return 10
        return digits.index(text)

    data = {
        "csrf_token": hidden(page, "csrf_token"),
        "submission_key": hidden(page, "submission_key"),
        "challenge_token": hidden(page, "challenge_token"),
        "challenge_answer": str(number(a) + number(b)),
        "letter_type": "help",
        "category": citizen.first_category(page),
        "title": "请帮助解决取暖问题",
        "body": "家中老人独居，冬天取暖困难，请帮忙。",
        "name": "王五",
        "phone": "13912345678",
        "agree_terms": "1",
    }
    response = await citizen.post("/write", data=data)
    assert response.status_code == 303, response.text
    assert await count_letters(context, citizen.tenant) == 1


async def test_a_form_that_passed_the_challenge_is_not_asked_again_after_a_typo(citizen, context):
    page = await citizen.open_write_form()
    typo = await citizen.submit(page, phone="1381234")
    assert typo.status_code == 422
    assert "请填写有效的手机号码" in typo.text and "已完成人机验证" in typo.text
    assert "challengejson" not in typo.text  # the corrected form shows no new challenge
    corrected = await citizen.submit(typo.text, solve=False)
    assert corrected.status_code == 303, corrected.text
    assert await count_letters(context, citizen.tenant) == 1


async def test_a_question_answer_works_once_and_a_wrong_one_never(citizen, context):
    from leadermail.public_site.challenge import Challenges

    challenges = Challenges(context.settings, context.redis)
    question = challenges.new_question()
    a, b = question.text.split("等于")[0].split("加")
    digits = "零一二三四五六七八九十"
    right = str(digits.index(a) + digits.index(b))
    wrong = str(int(right) + 1)
    form = {"challenge_token": question.token}
    key_1, key_2, key_3 = (secrets.token_urlsafe(24) for _ in range(3))
    assert not await challenges.verify({**form, "challenge_answer": wrong}, submission_key=key_1)
    assert await challenges.verify({**form, "challenge_answer": right}, submission_key=key_2)
    # The same solved question on another form, or with no form to remember.
    assert not await challenges.verify({**form, "challenge_answer": right}, submission_key=key_3)
    assert not await challenges.verify({**form, "challenge_answer": right})
    # The form that passed passes again without any solution, until forgotten.
    assert await challenges.verify({}, submission_key=key_2)
    await challenges.forget(key_2)
    assert not await challenges.verify({}, submission_key=key_2)


async def test_the_honeypot_creates_nothing(citizen, context):
    response = await citizen.submit(website="http://spam.example")
    assert response.status_code == 400
    assert await count_letters(context, citizen.tenant) == 0


async def test_a_post_without_csrf_token_is_refused(citizen, context):
    response = await citizen.post("/write", data={"title": "夜间施工噪音扰民"})
    assert response.status_code == 403
    assert await count_letters(context, citizen.tenant) == 0


async def test_inline_check_of_one_field(citizen):
    csrf = await citizen.csrf()
    bad = await citizen.post(
        "/write/check/phone",
        data={"phone": "138 1234 567"},
        headers={"X-CSRF-Token": csrf, "HX-Request": "true"},
    )
    assert bad.status_code == 200
    assert 'id="phone-error"' in bad.text and "请填写有效的手机号码" in bad.text
    good = await citizen.post(
        "/write/check/phone",
        data={"phone": "+86 138-1234-5678"},
        headers={"X-CSRF-Token": csrf, "HX-Request": "true"},
    )
    assert "请填写" not in good.text
    unknown = await citizen.post("/write/check/nope", data={}, headers={"X-CSRF-Token": csrf})
    assert unknown.status_code == 404


async def test_do_not_publish_is_stored(citizen, context):
    code, _ = await citizen.write_letter(do_not_publish="1")
    letter = await load_letter(context, citizen.tenant, code)
    assert letter.publish_consent is False
    assert normalize_tracking_code(code) == letter.tracking_code


async def test_ten_letters_an_hour_per_address_then_a_clear_refusal(citizen, context):
    for n in range(10):
        response = await citizen.submit(title=f"第{n + 1}封来信：路灯损坏问题")
        assert response.status_code == 303, (n, response.text[:300])
    refused = await citizen.submit(title="第十一封来信：路灯损坏问题")
    assert refused.status_code == 429
    assert "您本小时内提交的来信过多，请稍后再试。您填写的内容已保留。" in refused.text
    # Nothing is lost: what the citizen typed is still in the form.
    assert 'value="第十一封来信：路灯损坏问题"' in refused.text
    assert "我家附近的工地每天夜里十二点以后还在施工" in refused.text
    assert await count_letters(context, citizen.tenant) == 10


async def _submit_direct(context, tenant, key: str | None = None):  # noqa: ANN001, ANN202
    from leadermail.platform.letters.models import Category
    from leadermail.platform.letters.submission import submit_letter
    from leadermail.platform.letters.validation import validate_letter
    from tests.functional.public_site.conftest import letter_values

    async with tenant_session(context.database, tenant) as session:
        category = int(await session.scalar(select(Category.id).limit(1)))
    clean, errors = validate_letter(letter_values(category=str(category)), categories={category})
    assert clean is not None, errors
    async with tenant_session(context.database, tenant) as session:
        result = await submit_letter(
            session, tenant, clean, secret_key=TEST_SECRET, submission_key=key
        )
        await session.commit()
    return result


async def test_a_tracking_code_already_taken_anywhere_is_drawn_again(context, make_tenant, monkeypatch):  # noqa: ANN001, E501
    from leadermail.platform.letters import submission

    first_tenant, second_tenant = await make_tenant(), await make_tenant()
    taken = (await _submit_direct(context, first_tenant)).tracking_code
    draws = iter([taken, taken, "K7M2P9Q4R8"])
    monkeypatch.setattr(submission, "new_tracking_code", lambda: next(draws))
    # Another tenant: its own letters table has no such code, the platform's locator does.
    result = await _submit_direct(context, second_tenant)
    assert result.tracking_code == "K7M2P9Q4R8"
    async with context.database.core_session() as session:
        owners = (
            await session.execute(
                select(LetterLocator.tracking_code, LetterLocator.origin_tenant_id).where(
                    LetterLocator.tracking_code.in_([taken, "K7M2P9Q4R8"])
                )
            )
        ).all()
    assert sorted(owners) == sorted([(taken, first_tenant.id), ("K7M2P9Q4R8", second_tenant.id)])
    # The two letters written with the taken code were removed again, and
    # nothing was written for them: one letter, one event, one set of jobs.
    assert await count_letters(context, second_tenant) == 1
    async with tenant_session(context.database, second_tenant) as session:
        events = await session.scalar(select(func.count()).select_from(LetterEvent))
    async with context.database.core_session() as session:
        jobs = await session.scalar(
            select(func.count())
            .select_from(OutboxJob)
            .where(OutboxJob.tenant_id == second_tenant.id)
        )
    assert (events, jobs) == (1, 5)


async def test_the_same_submission_key_twice_returns_the_first_letter(context, make_tenant):  # noqa: ANN001
    tenant = await make_tenant()
    first = await _submit_direct(context, tenant, key="same-form-key-0123456789")
    again = await _submit_direct(context, tenant, key="same-form-key-0123456789")
    assert again.tracking_code == first.tracking_code
    assert again.password is None  # the password is shown once, with the first receipt
    assert await count_letters(context, tenant) == 1


def _question_form(page: str, citizen, answer: str) -> dict[str, str]:  # noqa: ANN001
    """The no-JavaScript form: the arithmetic question instead of the widget."""
    return {
        "csrf_token": hidden(page, "csrf_token"),
        "submission_key": hidden(page, "submission_key"),
        "challenge_token": hidden(page, "challenge_token"),
        "challenge_answer": answer,
        "letter_type": "help",
        "category": citizen.first_category(page),
        "title": "请帮助解决取暖问题",
        "body": "家中老人独居，冬天取暖困难，请帮忙。",
        "name": "王五",
        "phone": "13912345678",
        "agree_terms": "1",
    }


async def test_without_javascript_the_challenge_message_speaks_of_the_question_only(citizen):
    # QA: a wrong sum was answered with "等待“我不是机器人”显示已验证" — a widget
    # a browser without JavaScript never shows.
    page = await citizen.open_write_form()
    question = re.search(r'<label for="challenge_answer">(.+?)等于几', page).group(1)
    digits = "零一二三四五六七八九十"
    a, b = question.split("加")
    wrong = str(digits.index(a) + digits.index(b) + 1)
    response = await citizen.post("/write", data=_question_form(page, citizen, wrong))
    assert response.status_code == 422
    message = response.text.split('id="challenge-error"')[1][:300]
    assert "算术题答案不正确，请重新计算" in message
    assert "我不是机器人" not in message
    assert 'value="请帮助解决取暖问题"' in response.text  # nothing typed is lost
    missing = await citizen.post("/write", data=_question_form(response.text, citizen, ""))
    assert "请回答算术题" in missing.text.split('id="challenge-error"')[1][:300]


async def test_back_after_the_receipt_and_the_same_letter_again_gives_the_same_receipt(
    citizen, context
):
    # QA: Back from the receipt shows the filled form (the browser refills a
    # refetched page, with a new submission key); sending it made a second letter.
    first = await citizen.submit()
    assert first.status_code == 303
    receipt = (await citizen.client.get(first.headers["location"])).text
    code = re.search(r'id="tracking-code">([^<]+)<', receipt).group(1)
    form = await citizen.open_write_form()
    assert "您刚刚已提交一封来信" in form and code in form
    assert f'href="{first.headers["location"]}"' in form  # 查看回执
    again = await citizen.submit(form)
    assert again.status_code == 303
    assert again.headers["location"] == first.headers["location"]
    assert await count_letters(context, citizen.tenant) == 1
    # Another letter from the same browser is a letter of its own.
    other = await citizen.submit(await citizen.open_write_form(), title="小区门口路灯不亮")
    assert other.status_code == 303 and other.headers["location"] != first.headers["location"]
    assert await count_letters(context, citizen.tenant) == 2


async def test_another_browser_gets_no_notice_of_someone_elses_letter(citizen, client):
    await citizen.write_letter()
    client.cookies.clear()
    assert "您刚刚已提交一封来信" not in await citizen.open_write_form()


async def test_the_receipt_says_which_mailbox_which_letter_and_when(citizen, context):
    response = await citizen.submit(email="zhangsan@example.com")
    location = response.headers["location"]
    first = (await citizen.client.get(location)).text
    letter = await load_letter(context, citizen.tenant, re.search(r'id="tracking-code">([^<]+)<', first).group(1))  # noqa: E501
    for page in (first, (await citizen.client.get(location)).text):
        assert citizen.tenant.name in page
        assert f"http://testserver/t/{citizen.tenant.slug}/" in page  # the address
        assert '<dd id="receipt-title">夜间施工噪音扰民</dd>' in page
        assert re.search(r'<dd id="receipt-time">\d{4}-\d{2}-\d{2} \d{2}:\d{2}', page)
        # 去查询 fills in the tracking code, never the password.
        assert f'href="/t/{citizen.tenant.slug}/track?code={letter.tracking_code[:5]}-' in page
    assert 'id="query-password"' in first and "我们还会通过短信和电子邮件" in first
    reloaded = (await citizen.client.get(location)).text
    assert 'id="query-password"' not in reloaded
    assert "凭它们" not in reloaded
    assert "已通过短信和电子邮件发送给您" in reloaded


async def test_an_id_number_typed_with_spaces_is_accepted_and_stored_plain(citizen, context):
    page = await citizen.open_write_form()
    field = re.search(r'<input id="id_number"[^>]*>', page).group(0)
    assert int(re.search(r'maxlength="(\d+)"', field).group(1)) >= len("430104 19660101 1230")
    code, _ = await citizen.write_letter(id_number="430104 19660101 1230")
    letter = await load_letter(context, citizen.tenant, code)
    assert letter.writer_id_number == "430104196601011230"


async def test_the_write_form_links_to_help(citizen):
    page = await citizen.open_write_form()
    assert f'href="/t/{citizen.tenant.slug}/help"' in page.split("<main")[1]
