"""Tracking code (查询码) and query password (查询密码) of a letter.

After submitting, the citizen is shown both and uses them to follow the letter::

    code = new_tracking_code()             # "K7QMX3XPD9" (stored like this)
    format_tracking_code(code)             # "K7QMX-3XPD9" (shown like this)
    normalize_tracking_code(" k7qmx 3xpd9")  # "K7QMX3XPD9", or None if malformed

    password = new_query_password()        # "k7m4p-9x2ab" (shown and sent like this)
    stored = hash_query_password(password, settings.secret_key)
    verify_query_password("K7M4P 9X2AB", stored, settings.secret_key)  # True

Entropy (all characters drawn with :mod:`secrets`):

* tracking code: 10 characters from a 31-symbol alphabet (digits 2-9 and
  upper-case letters without I, L, O), 10 x log2(31) ~ 49.5 bits. It is read
  out on the phone and typed on paper forms, so it is case-insensitive and
  leaves out 0/O and 1/I/L; it is a locator, not a secret, and is unique
  across the province (``LetterLocator``).
* query password: 10 characters from a 28-symbol alphabet (digits 2-9 and
  lower-case letters without i, j, l, o, which pass for 1 and 0, nor g, q,
  which pass for 9), 10 x log2(28) ~ 48.1 bits, shown as two groups of five
  (``k7m4p-9x2ab``). Elderly writers copy it from an SMS or a paper receipt
  and read it out to a relative, so case does not matter and spaces and
  dashes are ignored; the two extra characters more than make up for what
  case-sensitivity gave the passwords before (8 characters from 54 symbols,
  8 x log2(54) ~ 46.0 bits). With the lock-out of :mod:`citizen_access` (at
  most 50 wrong guesses per code and hour from all addresses together) a
  year of guessing at one letter succeeds with a chance of about 2^-29.

Stored hashes say which rule they follow: ``v2:<64 hex>`` for passwords made
by :func:`new_query_password` now (verified case- and separator-blind), plain
``<64 hex>`` for those given out before, which keep working exactly as they
were typed (case-sensitive, only surrounding whitespace forgiven). A hash
that starts with ``!`` (forwarded copies, appeals) never verifies.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
import unicodedata

TRACKING_CODE_ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"
TRACKING_CODE_LENGTH = 10
#: Shown as two groups of five: short enough to read out, one dash to type.
TRACKING_CODE_GROUP = 5

QUERY_PASSWORD_ALPHABET = "23456789abcdefhkmnprstuvwxyz"  # noqa: S105
QUERY_PASSWORD_LENGTH = 10
#: Shown as two groups of five, like the code (the dash need not be typed).
QUERY_PASSWORD_GROUP = 5

_TRACKING_CODE = re.compile(f"[{TRACKING_CODE_ALPHABET}]{{{TRACKING_CODE_LENGTH}}}")
# What people put between the groups, or around the code when they paste it.
_CODE_SEPARATORS = re.compile(r"[\s\-_.·—–]")
# Domain separation: the same server secret also signs sessions and tokens.
_HMAC_CONTEXT = b"leadermail.query-password.v1\x00"
_HMAC_CONTEXT_V2 = b"leadermail.query-password.v2\x00"
_V2 = "v2:"


def new_tracking_code() -> str:
    """A fresh code in canonical form (the caller retries on a unique clash)."""
    return "".join(secrets.choice(TRACKING_CODE_ALPHABET) for _ in range(TRACKING_CODE_LENGTH))


def format_tracking_code(code: str) -> str:
    """``"K7QMX3XPD9"`` -> ``"K7QMX-3XPD9"`` for display."""
    size = TRACKING_CODE_GROUP
    return "-".join(code[i : i + size] for i in range(0, len(code), size))


def normalize_tracking_code(value: str) -> str | None:
    """Canonical form of what a citizen typed, or None if it cannot be a code.

    Accepts lower case, full-width characters, spaces and dashes anywhere.
    A 0/O/1/I/L makes it None: those are never in a code, and guessing what
    was meant would only show the citizen someone else's "not found".
    """
    text = _CODE_SEPARATORS.sub("", unicodedata.normalize("NFKC", value)).upper()
    return text if _TRACKING_CODE.fullmatch(text) else None


def new_query_password() -> str:
    """A fresh password as shown to the citizen: ``"k7m4p-9x2ab"``."""
    raw = "".join(secrets.choice(QUERY_PASSWORD_ALPHABET) for _ in range(QUERY_PASSWORD_LENGTH))
    size = QUERY_PASSWORD_GROUP
    return "-".join(raw[i : i + size] for i in range(0, len(raw), size))


def canonical_query_password(value: str) -> str:
    """What counts of a typed password of the current kind: full-width
    characters folded, separators dropped, lower case (``" K7M4P 9X2AB"`` ->
    ``"k7m4p9x2ab"``)."""
    return _CODE_SEPARATORS.sub("", unicodedata.normalize("NFKC", value)).lower()


def _secret_bytes(secret_key: str | bytes) -> bytes:
    key = secret_key.encode() if isinstance(secret_key, str) else secret_key
    if not key:
        raise ValueError("the server secret key must not be empty")
    return key


# Because the password is generated with enough entropy and guesses are
# rate-limited, a keyed hash (HMAC with the server secret) protects it without
# the ~170 ms of CPU per letter that argon2 with default settings costs on this
# machine (measured), which would cap writing at about a dozen letters per
# second.
def hash_query_password(password: str, secret_key: str | bytes) -> str:
    """``"v2:"`` + HMAC-SHA256 (64 hex digits) of the password's canonical form,
    keyed with the server secret."""
    message = _HMAC_CONTEXT_V2 + canonical_query_password(password).encode()
    return _V2 + hmac.new(_secret_bytes(secret_key), message, hashlib.sha256).hexdigest()


def _legacy_hash(password: str, secret_key: str | bytes) -> str:
    # Passwords given out before v2: only surrounding whitespace is forgiven.
    message = _HMAC_CONTEXT + password.strip().encode()
    return hmac.new(_secret_bytes(secret_key), message, hashlib.sha256).hexdigest()


def verify_query_password(password: str, stored: str, secret_key: str | bytes) -> bool:
    """Constant-time comparison of the password's hash with the stored one,
    by the rule the stored hash was made with."""
    if stored.startswith(_V2):
        expected = hash_query_password(password, secret_key)
    else:
        expected = _legacy_hash(password, secret_key)
    return hmac.compare_digest(expected.encode(), stored.encode())


def is_usable_password_hash(stored: str | None) -> bool:
    """False for the placeholders of letters nobody tracks with a password of
    their own (``"!forwarded"`` copies, ``"!appeal"`` records)."""
    return bool(stored) and not str(stored).startswith("!")
