from __future__ import annotations

import pyotp

from leadermail.platform.accounts import totp


def test_enrolment_uri_and_qr_code() -> None:
    secret = totp.new_secret()
    uri = totp.provisioning_uri(secret, "wang@example.cn", issuer="长沙市市长信箱工作台")
    assert uri.startswith("otpauth://totp/") and f"secret={secret}" in uri
    svg = totp.qr_svg(uri)
    assert svg.startswith("<svg") and "<script" not in svg


def test_codes_verify_within_one_step_and_not_beyond() -> None:
    secret = totp.new_secret()
    code = pyotp.TOTP(secret)
    assert totp.verify_code(secret, code.now())
    assert totp.verify_code(secret, code.now()[:3] + " " + code.now()[3:])
    import time

    now = time.time()
    assert totp.verify_code(secret, code.at(now - 30))
    assert not totp.verify_code(secret, code.at(now - 120))


def test_bad_input_never_verifies() -> None:
    secret = totp.new_secret()
    for bad in ("", "12345", "1234567", "abcdef", None):
        assert not totp.verify_code(secret, bad)
    assert not totp.verify_code(None, "123456")
