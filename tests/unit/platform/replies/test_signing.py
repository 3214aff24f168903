"""Reply signature payloads: v2 covers the files (sorted, stable); v1 still checks."""

from __future__ import annotations

import base64
import json

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from leadermail.platform.letters.models import Attachment
from leadermail.platform.replies.signing import canonical_payload, check_signature, signed_files

KEY = Ed25519PrivateKey.generate()
PEM = (
    KEY.public_key()
    .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
    .decode()
)


def file(name: str, sha: str) -> Attachment:
    return Attachment(filename=name, sha256=sha)


FILES = [file("验收单.pdf", "b" * 64), file("照片.png", "a" * 64), file("副本.png", "a" * 64)]


def signed(fields: dict) -> tuple[str, str]:
    payload = canonical_payload(fields)
    return payload, base64.b64encode(KEY.sign(payload.encode())).decode()


def v2(files: list[Attachment], reply: int = 7) -> dict:
    return {
        "v": 2,
        "kind": "sent",
        "reply": reply,
        "text": "答复",
        "attachments": signed_files(files),
    }


def test_files_are_listed_by_hash_then_name_whatever_the_row_order():
    assert signed_files(FILES) == signed_files(list(reversed(FILES)))
    assert [f["filename"] for f in signed_files(FILES)] == ["副本.png", "照片.png", "验收单.pdf"]


def test_v2_holds_while_the_files_are_the_ones_signed():
    payload, signature = signed(v2(FILES))
    check = check_signature(PEM, payload, signature, reply_id=7, attachments=FILES[::-1])
    assert check.valid and check.version == 2 and check.problem is None


def test_a_swapped_renamed_added_or_removed_file_fails():
    payload, signature = signed(v2(FILES))
    swapped = [file("验收单.pdf", "c" * 64), *FILES[1:]]
    renamed = [file("验收单(1).pdf", "b" * 64), *FILES[1:]]
    for files in (swapped, renamed, FILES[:2], [*FILES, file("新.png", "d" * 64)]):
        check = check_signature(PEM, payload, signature, reply_id=7, attachments=files)
        assert not check.valid and "附件" in check.problem


def test_a_tampered_payload_or_another_reply_fails():
    payload, signature = signed(v2(FILES))
    tampered = payload.replace("a" * 64, "c" * 64)
    assert not check_signature(PEM, tampered, signature, reply_id=7, attachments=FILES).valid
    other = check_signature(PEM, payload, signature, reply_id=8, attachments=FILES)
    assert not other.valid and "另一份答复" in other.problem


def test_a_v1_signature_checks_its_text_and_ignores_files():
    payload, signature = signed({"kind": "sent", "reply": 7, "text": "答复"})
    check = check_signature(PEM, payload, signature, reply_id=7, attachments=FILES)
    assert check.valid and check.version == 1
    tampered = payload.replace("答复", "改过的答复")
    assert not check_signature(PEM, tampered, signature, reply_id=7, attachments=[]).valid


def test_an_unknown_version_or_garbage_is_not_valid():
    payload, signature = signed({**v2(FILES), "v": 3})
    assert not check_signature(PEM, payload, signature, reply_id=7, attachments=FILES).valid
    assert json.loads(payload)["v"] == 3
    garbage = check_signature(PEM, "not json", signature, reply_id=7, attachments=[])
    assert not garbage.valid and garbage.version == 0
