"""Recognising "the same matter" across tenants without copying personal data.

《信访工作条例》 art. 19 ¶3: while a matter is being handled below, the upper
level does not open a second case for it; after 复核 (art. 36) the same
request is not accepted again. Both checks compare a new letter with matters
recorded in the shared schema, which holds no phone numbers, ID numbers or
letter text, only:

* ``writer_key``: a keyed hash (HMAC-SHA256 with the server secret) of the
  normalised phone number or ID number;
* ``fingerprint``: keyed hashes of the character bigrams of title + body,
  enough to estimate text similarity (Jaccard) and useless without the key.

"Similar" means what it means for duplicate letters inside one tenant
(:mod:`leadermail.platform.letters.duplicates`): the same bigrams and the same
threshold, only hashed, so a pair staff would see flagged as 重复来信 in one
mailbox is also "the same matter" across two.

    keys = writer_keys(secret, letter.writer_phone, letter.writer_id_number)
    score = similarity(fingerprint(secret, a_text), fingerprint(secret, b_text))
"""

from __future__ import annotations

import hashlib
import hmac
import re
import unicodedata
from dataclasses import dataclass

from leadermail.platform.letters import duplicates

#: Above this bigram Jaccard two letters are taken to raise the same matter.
SIMILARITY_THRESHOLD = duplicates.SIMILARITY_THRESHOLD
#: Bigrams kept per fingerprint (the smallest hashes: a bottom-k sketch).
FINGERPRINT_SIZE = 256

_DOMAIN = b"leadermail.matter.v2\x00"


@dataclass(frozen=True)
class WriterKeys:
    phone: str | None
    id_number: str | None

    def any(self) -> bool:
        return bool(self.phone or self.id_number)


def _key(secret: str, kind: str, value: str) -> str:
    return hmac.new(
        secret.encode() + _DOMAIN, f"{kind}:{value}".encode(), hashlib.sha256
    ).hexdigest()


def normalise_phone(phone: str | None) -> str | None:
    digits = re.sub(r"\D", "", unicodedata.normalize("NFKC", phone or ""))
    if digits.startswith("86") and len(digits) == 13:
        digits = digits[2:]
    return digits if len(digits) >= 7 else None


def normalise_id_number(value: str | None) -> str | None:
    text = unicodedata.normalize("NFKC", value or "").strip().upper()
    return text if re.fullmatch(r"\d{15}|\d{17}[\dX]", text) else None


def writer_keys(secret: str, phone: str | None, id_number: str | None) -> WriterKeys:
    phone_n = normalise_phone(phone)
    id_n = normalise_id_number(id_number)
    return WriterKeys(
        phone=_key(secret, "phone", phone_n) if phone_n else None,
        id_number=_key(secret, "id", id_n) if id_n else None,
    )


def bigrams(text: str) -> frozenset[str]:
    """The duplicate detector's bigrams, after folding full-width forms (NFKC)."""
    return duplicates.bigrams(unicodedata.normalize("NFKC", text or ""))


def fingerprint(secret: str, text: str) -> list[str]:
    """Sorted keyed hashes (8 hex digits) of the text's bigrams, at most FINGERPRINT_SIZE."""
    hashed = sorted({_key(secret, "bigram", b)[:8] for b in bigrams(text)})
    return hashed[:FINGERPRINT_SIZE]


def similarity(a: list[str] | None, b: list[str] | None) -> float:
    """Jaccard estimate of two fingerprints (bottom-k sketch of the union)."""
    if not a or not b:
        return 0.0
    set_a, set_b = set(a), set(b)
    union = sorted(set_a | set_b)[:FINGERPRINT_SIZE]
    both = sum(1 for h in union if h in set_a and h in set_b)
    return both / len(union) if union else 0.0


def letter_text(title: str | None, body: str | None) -> str:
    return f"{title or ''}\n{body or ''}"
