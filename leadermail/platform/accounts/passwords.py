"""Staff passwords: the one rule a new password must pass, and hashing (argon2id).

    check_new_password("正在下雨的长沙2026", email="wang@hunan.gov.cn", tenant_slug="hunan")
    user.password_hash = hash_password(password)

The rule follows NIST SP 800-63B: long enough, not a common or guessable
password, nothing taken from the account itself, and no composition rules
("one upper case letter, one digit…"), which make passwords harder to
remember without making them harder to guess. Every place a staff password
is chosen (accepting an invitation, 修改密码, a 忘记密码 link, and
``services.create_user`` for the demo's and the tests' accounts) calls
:func:`check_new_password`; signing in never does, so a rule made stricter
later does not lock anyone out.
"""

from __future__ import annotations

from collections import Counter

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

MIN_PASSWORD_LENGTH = 12
#: Fewer different characters than this is one repeated pattern ("abababababab").
MIN_DISTINCT_CHARACTERS = 5

#: The passwords guessed first, lower case: the most common in leaked Chinese
#: and international lists, and this product's own name. Most are shorter
#: than the minimum; they matter with digits or symbols added around them
#: ("password2024!", "woaini1314520"), which :func:`check_new_password` strips.
COMMON_PASSWORDS = frozenset(
    {
        "123456", "12345678", "123456789", "1234567890", "111111", "000000",
        "666666", "888888", "88888888", "123123", "5201314", "1314520",
        "password", "password1", "password123", "passw0rd", "p@ssw0rd", "p@ssword",
        "qwerty", "qwerty123", "qwertyuiop", "qwer1234", "qwe123", "123qwe",
        "1q2w3e4r", "1q2w3e4r5t", "1qaz2wsx", "1qaz2wsx3edc", "qazwsx", "qazwsxedc",
        "asdfghjkl", "asd123456", "zxcvbnm", "zxcvbnm123", "abc123", "abc123456",
        "abcd1234", "a123456", "a123456789", "aa123456", "123456aa", "qq123456",
        "woaini", "woaini1314", "woaini520", "woaini1314520", "iloveyou",
        "admin", "admin123", "administrator", "root", "welcome", "letmein",
        "changeme", "test1234", "monkey", "dragon", "sunshine", "superman",
        "trustno1", "football", "taobao", "zhang123", "wang123", "li123456",
        "leadermail", "lingdaoxinxiang", "xinxiang", "zhengfu",
    }
)

#: Runs of characters typed in order; any stretch of these, either way round, is
#: guessed early (a 12-character one passes a length check on its own).
_SEQUENCES = (
    "abcdefghijklmnopqrstuvwxyzabcdefghijklmnopqrstuvwxyz",
    "01234567890123456789012345678901234567890",
    "qwertyuiopasdfghjklzxcvbnm",
    "1qaz2wsx3edc4rfv5tgb6yhn7ujm8ik,9ol.0p;/",
    "1q2w3e4r5t6y7u8i9o0p",
    "!@#$%^&*()_+",
)
_SYMBOLS = "!@#$%^&*()-_=+.,;:?~`'\" "
_PADDING = "0123456789" + _SYMBOLS

_hasher = PasswordHasher()


class WeakPassword(ValueError):
    """A new password breaks the rule; ``message`` (Chinese) says how."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


def _is_sequence(text: str) -> bool:
    return any(text in run or text in run[::-1] for run in _SEQUENCES)


def _common_cores(text: str) -> set[str]:
    """``text`` without the digits and symbols people add to a common password."""
    bare = text.strip(_SYMBOLS)
    return {text, bare, bare.strip(_PADDING), bare.rstrip(_PADDING), bare.lstrip(_PADDING)}


def check_new_password(
    password: str, *, email: str | None = None, tenant_slug: str | None = None
) -> None:
    """Raise :class:`WeakPassword` unless ``password`` may become a staff password.

    ``email`` is the account's, ``tenant_slug`` the mailbox it is for: a
    password containing either is the first thing an attacker tries.
    """
    password = password or ""
    lowered = password.lower()
    if len(password) < MIN_PASSWORD_LENGTH:
        raise WeakPassword(f"密码至少需要 {MIN_PASSWORD_LENGTH} 个字符")
    counts = Counter(lowered)
    if len(counts) < MIN_DISTINCT_CHARACTERS or counts.most_common(1)[0][1] * 2 > len(lowered):
        raise WeakPassword("密码中重复的字符太多，很容易被猜到，请换一个")
    if _is_sequence(lowered):
        raise WeakPassword("密码是按顺序排列的字母、数字或键盘上相邻的键，很容易被猜到，请换一个")
    if not _common_cores(lowered).isdisjoint(COMMON_PASSWORDS):
        raise WeakPassword("这是最常见的密码之一（或只是在其前后加了数字、符号），请换一个")
    local_part = (email or "").split("@")[0].strip().lower()
    if len(local_part) >= 3 and local_part in lowered:
        raise WeakPassword(f"密码不能包含邮箱用户名“{local_part}”，请换一个")
    slug = (tenant_slug or "").strip().lower()
    if len(slug) >= 3 and slug in lowered:
        raise WeakPassword(f"密码不能包含信箱标识“{slug}”，请换一个")


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify_password(stored_hash: str | None, password: str) -> bool:
    if not stored_hash:
        return False
    try:
        return _hasher.verify(stored_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def needs_rehash(stored_hash: str) -> bool:
    return _hasher.check_needs_rehash(stored_hash)
