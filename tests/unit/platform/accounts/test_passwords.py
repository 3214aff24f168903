"""The staff password rule (NIST SP 800-63B style): length, guessable patterns,
a list of common passwords, nothing from the account; no composition rules."""

from __future__ import annotations

import pytest

from leadermail.platform.accounts.passwords import (
    COMMON_PASSWORDS,
    WeakPassword,
    check_new_password,
    hash_password,
    verify_password,
)


def refusal(password: str, **account: str) -> str:
    with pytest.raises(WeakPassword) as caught:
        check_new_password(password, **account)
    return caught.value.message


@pytest.mark.parametrize(
    "password",
    [
        "correct horse battery",
        "正在下雨的长沙2026年",
        "lushan-road-no-17",
        "alllowercaseletters",  # no composition rules: letters only is fine
        "Hunan-2026-river-box",
    ],
)
def test_long_unguessable_passwords_pass(password: str) -> None:
    check_new_password(password, email="wang.li@hunan.gov.cn", tenant_slug="changsha")


def test_too_short() -> None:
    assert refusal("Xk9#mQ2!vL") == "密码至少需要 12 个字符"


@pytest.mark.parametrize(
    "password", ["aaaaaaaaaaaa", "abababababab", "abcabcabcabc", "aaaaaaaaabcde1"]
)
def test_repeated_characters(password: str) -> None:
    assert "重复的字符太多" in refusal(password)


@pytest.mark.parametrize(
    "password",
    ["abcdefghijklm", "123456789012", "987654321098", "qwertyuiopas", "1qaz2wsx3edc4rfv"],
)
def test_sequences(password: str) -> None:
    assert "按顺序排列" in refusal(password)


@pytest.mark.parametrize(
    "password",
    [
        "woaini1314520",
        "password123!",
        "Password2024",
        "2024password",
        "qwertyuiop123",
        "!!a123456789",
        "1qaz2wsx@@@@",
    ],
)
def test_common_passwords_even_padded_with_digits_or_symbols(password: str) -> None:
    assert "最常见的密码" in refusal(password)


def test_the_list_has_the_usual_suspects() -> None:
    assert {"1qaz2wsx", "woaini1314", "qwertyuiop", "a123456789", "password123"} <= COMMON_PASSWORDS
    assert len(COMMON_PASSWORDS) >= 50


def test_nothing_taken_from_the_account() -> None:
    email = {"email": "zhangwei@hunan.gov.cn"}
    assert refusal("Zhangwei-secret-77", **email) == "密码不能包含邮箱用户名“zhangwei”，请换一个"
    assert refusal("my-xiangtan-mailbox", tenant_slug="xiangtan") == (
        "密码不能包含信箱标识“xiangtan”，请换一个"
    )
    # Too short to mean anything: a two-letter local part or slug is not checked.
    check_new_password("li-family-garden", email="li@hunan.gov.cn", tenant_slug="li")


def test_hashing_round_trip() -> None:
    stored = hash_password("correct horse battery")
    assert verify_password(stored, "correct horse battery")
    assert not verify_password(stored, "correct horse batterz")
    assert not verify_password(None, "anything")
