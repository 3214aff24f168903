from __future__ import annotations

from datetime import date

import pytest

from leadermail.platform.letters.models import LetterType
from leadermail.platform.letters.validation import (
    FIELD_NAMES,
    CleanLetter,
    id_number_check_char,
    is_valid_id_number,
    normalize_email,
    normalize_mobile,
    validate_field,
    validate_letter,
)

CATEGORIES = {3, 4, 7}


def id_number(first17: str) -> str:
    return first17 + id_number_check_char(first17)


VALID_ID = id_number("43010519900307123")


def form(**overrides: str) -> dict[str, str]:
    data = {
        "letter_type": "complaint",
        "category": "4",
        "title": "夜间施工噪音扰民",
        "body": "我小区旁边的工地每天夜里十二点以后还在施工，噪音很大，严重影响休息。",
        "region": "A市A2区",
        "name": "张三",
        "phone": "138 1234 5678",
        "email": "",
        "id_number": "",
        "agree_terms": "on",
    }
    data.update(overrides)
    return data


# --- the whole form ---------------------------------------------------------------


def test_valid_form_is_cleaned() -> None:
    letter, errors = validate_letter(form(email=" Zhang.San@Example.COM "), CATEGORIES)
    assert errors == {}
    assert letter == CleanLetter(
        letter_type=LetterType.COMPLAINT,
        category_id=4,
        title="夜间施工噪音扰民",
        body="我小区旁边的工地每天夜里十二点以后还在施工，噪音很大，严重影响休息。",
        region="A市A2区",
        name="张三",
        phone="13812345678",
        email="Zhang.San@example.com",
        id_number=None,
        publish_consent=True,
    )


def test_empty_form_reports_every_required_field() -> None:
    letter, errors = validate_letter({}, CATEGORIES)
    assert letter is None
    assert set(errors) == {
        "letter_type", "category", "title", "body", "name", "phone", "agree_terms"
    }  # fmt: skip
    assert errors["title"] == "请填写标题"
    assert errors["phone"] == "请填写手机号码"
    assert errors["agree_terms"] == "请阅读并同意《写信须知》后再提交"


def test_optional_fields_become_none() -> None:
    letter, errors = validate_letter(form(region="  ", email="", id_number=" "), CATEGORIES)
    assert errors == {}
    assert letter is not None
    assert (letter.region, letter.email, letter.id_number) == (None, None, None)


def test_do_not_publish_checkbox_withdraws_consent() -> None:
    letter, _ = validate_letter(form(do_not_publish="on"), CATEGORIES)
    assert letter is not None and letter.publish_consent is False


@pytest.mark.parametrize("unticked", ["", "0", "false", "off"])
def test_unticked_do_not_publish_keeps_consent(unticked: str) -> None:
    letter, _ = validate_letter(form(do_not_publish=unticked), CATEGORIES)
    assert letter is not None and letter.publish_consent is True


def test_terms_must_be_accepted() -> None:
    data = form()
    del data["agree_terms"]
    letter, errors = validate_letter(data, CATEGORIES)
    assert letter is None
    assert errors == {"agree_terms": "请阅读并同意《写信须知》后再提交"}


def test_category_must_belong_to_the_tenant() -> None:
    _, errors = validate_letter(form(category="5"), CATEGORIES)
    assert errors == {"category": "请从列表中选择问题分类"}


@pytest.mark.parametrize("value", ["abc", "-3", "３", "4.0", "4 OR 1=1"])
def test_category_must_be_an_id(value: str) -> None:
    _, errors = validate_letter(form(category=value), CATEGORIES)
    assert errors["category"] == "请从列表中选择问题分类"


def test_unknown_letter_type_names_the_choices() -> None:
    _, errors = validate_letter(form(letter_type="praise"), CATEGORIES)
    assert errors == {"letter_type": "请在咨询、投诉、举报、建议、求助中选择信件类型"}


@pytest.mark.parametrize("letter_type", list(LetterType))
def test_every_letter_type_is_accepted(letter_type: LetterType) -> None:
    letter, errors = validate_letter(form(letter_type=str(letter_type)), CATEGORIES)
    assert errors == {} and letter is not None and letter.letter_type is letter_type


def test_body_keeps_paragraphs_and_drops_invisible_characters() -> None:
    body = "  第一段，情况说明如下。\r\n\r\n第二段\u200b，请求\x00尽快处理。  "
    letter, errors = validate_letter(form(body=body), CATEGORIES)
    assert errors == {}
    assert letter is not None
    assert letter.body == "第一段，情况说明如下。\n\n第二段，请求尽快处理。"


def test_title_whitespace_is_collapsed() -> None:
    letter, _ = validate_letter(form(title="  夜间施工\n  噪音扰民 "), CATEGORIES)
    assert letter is not None and letter.title == "夜间施工 噪音扰民"


# --- single fields (htmx inline validation) ---------------------------------------


@pytest.mark.parametrize(
    ("title", "message"),
    [
        ("", "请填写标题"),
        ("   ", "请填写标题"),
        ("噪音扰民", "标题需为 5–50 个字，当前 4 个字"),
        ("噪" * 51, "标题需为 5–50 个字，当前 51 个字"),
        ("  噪音扰民了 ", None),
        ("噪" * 50, None),
    ],
)
def test_title_length(title: str, message: str | None) -> None:
    assert validate_field("title", title) == message


def test_body_length() -> None:
    assert validate_field("body", "太吵了") == "信件内容需为 10–5000 个字，当前 3 个字"
    assert validate_field("body", "字" * 5001) == "信件内容需为 10–5000 个字，当前 5001 个字"
    assert validate_field("body", "字" * 10) is None
    assert validate_field("body", "字" * 5000) is None


def test_region_and_name_limits() -> None:
    assert validate_field("region", "") is None
    assert validate_field("region", "区" * 101) == "所在地区不能超过 100 个字"
    assert validate_field("name", "") == "请填写姓名"
    assert validate_field("name", "名" * 51) == "姓名不能超过 50 个字"
    assert validate_field("name", "阿卜杜·热合曼") is None


def test_category_inline_without_and_with_the_tenant_list() -> None:
    assert validate_field("category", "99") is None
    assert validate_field("category", "99", categories=CATEGORIES) == "请从列表中选择问题分类"
    assert validate_field("category", "") == "请选择问题分类"


def test_unknown_field_is_a_programming_error() -> None:
    with pytest.raises(ValueError, match="unknown letter form field"):
        validate_field("password", "x")


def test_every_declared_field_can_be_validated_inline() -> None:
    for name in FIELD_NAMES:
        validate_field(name, "")  # must not raise


def test_inline_and_submit_give_the_same_message() -> None:
    _, errors = validate_letter(form(phone="12345"), CATEGORIES)
    assert (
        errors["phone"] == validate_field("phone", "12345") == "请填写有效的手机号码（11 位数字）"
    )


# --- mobile phone numbers -------------------------------------------------------


@pytest.mark.parametrize(
    "raw",
    [
        "13812345678",
        "138 1234 5678",
        "138-1234-5678",
        "+86 138 1234 5678",
        "+8613812345678",
        "86-13812345678",
        "008613812345678",
        "(+86) 138.1234.5678",
        "１３８１２３４５６７８",  # full-width digits from a Chinese IME
    ],
)
def test_mobile_numbers_are_normalised(raw: str) -> None:
    assert normalize_mobile(raw) == "13812345678"
    assert validate_field("phone", raw) is None


@pytest.mark.parametrize(
    "raw",
    [
        "1381234567",  # 10 digits
        "138123456789",  # 12 digits
        "12812345678",  # 12x is not a mobile prefix
        "23812345678",
        "0731-84561234",  # a landline
        "+1 138 1234 5678",
        "1381234567a",
        "8613812345678x",
    ],
)
def test_invalid_mobile_numbers(raw: str) -> None:
    assert normalize_mobile(raw) is None
    assert validate_field("phone", raw) == "请填写有效的手机号码（11 位数字）"


# --- e-mail ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "clean"),
    [
        ("name@example.com", "name@example.com"),
        ("Zhang.San+letters@Mail.Example.CN", "Zhang.San+letters@mail.example.cn"),
        ("１２３@qq.com", "123@qq.com"),
    ],
)
def test_valid_emails(raw: str, clean: str) -> None:
    assert normalize_email(raw) == clean
    assert validate_field("email", raw) is None


@pytest.mark.parametrize(
    "raw",
    [
        "name",
        "name@",
        "@example.com",
        "name@example",
        "name@@example.com",
        "na me@example.com",
        "name@example.com\nBcc: x@y.com",
        ".name@example.com",
        "name..x@example.com",
        "name@-example.com",
        "x" * 65 + "@example.com",
        "张三@example.com",
    ],
)
def test_invalid_emails(raw: str) -> None:
    assert normalize_email(raw) is None
    assert validate_field("email", raw) == "请填写有效的电子邮箱地址，例如 name@example.com"


# --- ID numbers ----------------------------------------------------------------------


def test_id_number_example_from_the_standard() -> None:
    # GB 11643-1999 appendix example.
    assert is_valid_id_number("11010519491231002X")
    assert is_valid_id_number("11010519491231002x")


def test_id_number_is_normalised_to_upper_case() -> None:
    letter, errors = validate_letter(form(id_number=" 11010519491231002x "), CATEGORIES)
    assert errors == {}
    assert letter is not None and letter.id_number == "11010519491231002X"


def test_every_wrong_check_character_is_caught() -> None:
    first17 = VALID_ID[:17]
    for char in "0123456789X":
        assert is_valid_id_number(first17 + char) is (char == VALID_ID[17])


def test_a_single_typo_is_caught() -> None:
    typo = VALID_ID[:14] + str((int(VALID_ID[14]) + 1) % 10) + VALID_ID[15:]
    assert not is_valid_id_number(typo)
    assert validate_field("id_number", typo) == "身份证号码校验不正确，请核对后重新填写"


@pytest.mark.parametrize(
    ("first17", "message"),
    [
        ("43010519900230123", "身份证号码中的出生日期不正确"),  # 30 February
        ("43010518991231123", "身份证号码中的出生日期不正确"),  # before 1900
        ("43010520990101123", "身份证号码中的出生日期不正确"),  # in the future
        ("43010519901301123", "身份证号码中的出生日期不正确"),  # month 13
        ("99010519900307123", "身份证号码的地区代码不正确"),
        ("00010519900307123", "身份证号码的地区代码不正确"),
    ],
)
def test_id_number_parts(first17: str, message: str) -> None:
    number = id_number(first17)  # the check character is right; the part is not
    assert not is_valid_id_number(number)
    assert validate_field("id_number", number) == message


def test_leap_day_birth_dates() -> None:
    assert is_valid_id_number(id_number("43010520000229123"))
    assert not is_valid_id_number(id_number("43010519000229123"))  # 1900 is no leap year


def test_birth_date_is_compared_with_today() -> None:
    number = id_number("43010520250101123")
    assert is_valid_id_number(number, today=date(2025, 1, 1))
    assert not is_valid_id_number(number, today=date(2024, 12, 31))


@pytest.mark.parametrize(
    "raw", ["", "430105199003071", "4301051990030712345", "43010519900307123Y", "X" * 18]
)
def test_id_number_shape(raw: str) -> None:
    assert not is_valid_id_number(raw)


def test_id_number_shape_message() -> None:
    assert (
        validate_field("id_number", "430105199003071")
        == "请填写 18 位身份证号码（最后一位可以是 X）"
    )
    assert validate_field("id_number", "") is None  # optional
