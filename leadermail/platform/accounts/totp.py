"""TOTP second factor (RFC 6238, pyotp) with QR-code enrolment (segno).

    secret = new_secret()
    svg = qr_svg(provisioning_uri(secret, user.email, issuer="长沙市市长信箱"))
    if verify_code(secret, "123456"): ...

Codes are accepted one 30-second step either side of now (clock drift); the
sign-in view remembers used codes in Redis so a code cannot be replayed.
"""

from __future__ import annotations

import re

import pyotp
import segno

ISSUER = "领导信箱工作台"


def new_secret() -> str:
    return pyotp.random_base32()


def provisioning_uri(secret: str, account: str, issuer: str = ISSUER) -> str:
    return pyotp.TOTP(secret).provisioning_uri(name=account, issuer_name=issuer)


def qr_svg(uri: str) -> str:
    """An inline SVG of the QR code (no external image, CSP-friendly)."""
    return segno.make(uri, error="m").svg_inline(scale=4, dark="#1d2430", light="#ffffff")


def normalise_code(code: str | None) -> str:
    return re.sub(r"\s", "", code or "")


def verify_code(secret: str | None, code: str | None) -> bool:
    code = normalise_code(code)
    if not secret or not re.fullmatch(r"\d{6}", code):
        return False
    return pyotp.TOTP(secret).verify(code, valid_window=1)


def current_code(secret: str) -> str:
    """The code an authenticator shows now (tests and the CLI use it)."""
    return pyotp.TOTP(secret).now()
