"""The only way a citizen reaches a letter: tracking code + query password.

    try:
        letter = await access_letter_by_code(context, tenant, code, password, ip_address=ip)
    except TrackingRefused as refused:
        show(refused.message)         # the same text for a wrong code and a wrong password
        if refused.locked: offer(找回查询码或密码)

Rules, one per line below: the look-up happens inside the tenant whose site is
asked; a malformed code, an unknown code and a wrong password raise the same
:class:`TrackingRefused`; attempts are limited per IP; wrong passwords are
counted per code *and* address (``MAX_WRONG_PASSWORDS`` an hour, then that
address is locked out of that code for the hour) and per code from all
addresses together (``MAX_WRONG_PASSWORDS_PER_CODE``, far higher).

Why two counters: a lock per code alone (as before) let anyone who knew a
code (it is on paper receipts and read out on the phone) lock the writer out
with five wrong guesses. Counted per address, a stranger locks only
themselves; the ceiling per code still bounds guessing from many addresses
at 50 an hour, about 2^18.7 guesses a year against a 48-bit password
(:mod:`tracking`). Whoever reaches that ceiling locks the code for everyone,
but the writer can always get back in: 找回查询码或密码 (:mod:`recovery`)
sends a new password to the phone the letter was written with, and setting it
clears both counters (:func:`clear_lockout`).

Failures are counted per *code string* (canonical form when it is well
formed), whether or not such a letter exists, with the same steps, messages
and work (an unknown code's password is still hashed and compared), so
neither the lock-out message nor its timing tells an attacker which codes are
real.

Once the password was right, the site remembers the code in the citizen's
session (:func:`grant`), and later requests use :func:`letter_by_granted_code`.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from typing import Any

from sqlalchemy import bindparam, select
from sqlalchemy.ext.asyncio import AsyncSession

from leadermail.platform.context import AppContext
from leadermail.platform.letters.models import Letter
from leadermail.platform.letters.tracking import (
    normalize_tracking_code,
    verify_query_password,
)
from leadermail.platform.web.ratelimit import Step
from leadermail.tenants.registry import TenantRef
from leadermail.tenants.session import tenant_session

NEUTRAL_MESSAGE = "查询码或查询密码不正确，请核对后重新输入。"
LOCKED_MESSAGE = (
    "该查询码的密码输错次数过多，已暂时锁定，请 1 小时后再试。"
    "如果忘记了查询密码，可以凭写信时留的手机号重新获取。"
)
BUSY_MESSAGE = "查询过于频繁，请稍后再试。"
MAX_WRONG_PASSWORDS = 5
MAX_WRONG_PASSWORDS_PER_CODE = 50
#: (scope, limit) triples; ``rate_limit_multiplier`` scales the numbers.
IP_LIMIT = ("track-ip", 30, "10 minutes")
#: Wrong passwords for one code from one address.
WRONG_LIMIT = ("track-wrong", MAX_WRONG_PASSWORDS, "hour")
#: Wrong passwords for one code from all addresses together.
CODE_WRONG_LIMIT = ("track-wrong-code", MAX_WRONG_PASSWORDS_PER_CODE, "hour")
#: Compared with when there is no letter, so an unknown code costs the same
#: HMAC as a known one (the value itself never matches a typed password's hash).
_NO_LETTER_HASH = "v2:" + "0" * 64

# Built once, with bound parameters: building this select and its cache key
# on every tracking POST cost ~190 µs of CPU (measured), more than the
# database's own work and a fifth of the whole request.
_LETTER_BY_CODE = (
    select(Letter.id, Letter.tracking_code, Letter.query_password_hash)
    .where(Letter.tracking_code == bindparam("code"))
    .where(Letter.tenant_id == bindparam("tenant_id"))
)


@dataclass(frozen=True)
class TrackedLetter:
    """The letter a code and password opened (load the rest in its own session)."""

    id: int
    tracking_code: str


class TrackingRefused(Exception):
    """Access refused; ``message`` is safe to show (it never says which part was wrong)."""

    def __init__(self, message: str, *, locked: bool = False) -> None:
        super().__init__(message)
        self.message = message
        #: True when wrong passwords locked the code (the page offers recovery).
        self.locked = locked


def _limit(context: AppContext, spec: tuple[str, int, str]) -> str:
    return f"{spec[1] * context.settings.rate_limit_multiplier}/{spec[2]}"


def code_key(tenant: TenantRef, code: str) -> str:
    """The counters' key for what was typed: the canonical code when it is well
    formed, else its letters and digits in upper case (so spacing, case and
    full-width forms never give a malformed string fresh counters either)."""
    canonical = normalize_tracking_code(code or "")
    if canonical is None:
        text = unicodedata.normalize("NFKC", code or "").upper()
        canonical = "".join(ch for ch in text if ch.isalnum())[:20]
    return f"{tenant.id}:{canonical}"


async def access_letter_by_code(
    context: AppContext,
    tenant: TenantRef,
    code: str,
    password: str,
    *,
    ip_address: str = "unknown",
) -> TrackedLetter:
    """The tenant's letter with this code and password, or :class:`TrackingRefused`."""
    limiter = context.rate_limiter
    canonical = normalize_tracking_code(code or "")
    per_code = code_key(tenant, code)
    per_address = f"{per_code}:{ip_address}"
    over = await limiter.check(  # in this order, in one round trip
        Step.hit(IP_LIMIT[0], f"{tenant.id}:{ip_address}", _limit(context, IP_LIMIT)),
        Step.test(WRONG_LIMIT[0], per_address, _limit(context, WRONG_LIMIT)),
        Step.test(CODE_WRONG_LIMIT[0], per_code, _limit(context, CODE_WRONG_LIMIT)),
    )
    if over is not None:
        if over.scope == IP_LIMIT[0]:
            raise TrackingRefused(BUSY_MESSAGE)
        raise TrackingRefused(LOCKED_MESSAGE, locked=True)
    found = None
    if canonical is not None:
        # One statement, so no transaction: the hottest citizen POST.
        async with tenant_session(context.database, tenant, transaction=False) as session:
            found = await session.first_row(
                _LETTER_BY_CODE, {"code": canonical, "tenant_id": tenant.id}
            )
    # Hashed and compared for an unknown code too: the same work either way.
    stored = found[2] if found is not None else _NO_LETTER_HASH
    matches = verify_query_password(password or "", stored, context.settings.secret_key)
    if found is None or not matches:
        await limiter.check(
            Step.hit(WRONG_LIMIT[0], per_address, _limit(context, WRONG_LIMIT)),
            Step.hit(CODE_WRONG_LIMIT[0], per_code, _limit(context, CODE_WRONG_LIMIT)),
        )
        raise TrackingRefused(NEUTRAL_MESSAGE)
    letter_id, tracking_code, _ = found
    return TrackedLetter(letter_id, tracking_code)


async def clear_lockout(
    context: AppContext, tenant: TenantRef, code: str, *, ip_address: str
) -> None:
    """Forget the wrong passwords counted for ``code``: from all addresses
    together and from ``ip_address`` (the writer's, who just set a new
    password). Other addresses' own locks stay: they only ever locked those."""
    limiter = context.rate_limiter
    per_code = code_key(tenant, code)
    await limiter.clear(CODE_WRONG_LIMIT[0], per_code, _limit(context, CODE_WRONG_LIMIT))
    await limiter.clear(
        WRONG_LIMIT[0], f"{per_code}:{ip_address}", _limit(context, WRONG_LIMIT)
    )


# --- the session grant --------------------------------------------------------

SESSION_KEY = "tracked_letters"
#: Codes remembered per browser session (the newest win).
MAX_GRANTS = 5


def grant(session_data: dict[str, Any], tenant: TenantRef, code: str) -> None:
    """Remember in the (signed) session cookie that this browser proved the password."""
    grants = [g for g in session_data.get(SESSION_KEY, []) if g != f"{tenant.id}:{code}"]
    grants.append(f"{tenant.id}:{code}")
    session_data[SESSION_KEY] = grants[-MAX_GRANTS:]


def is_granted(session_data: dict[str, Any], tenant: TenantRef, code: str) -> bool:
    return f"{tenant.id}:{code}" in session_data.get(SESSION_KEY, [])


async def letter_by_granted_code(
    session: AsyncSession,
    session_data: dict[str, Any],
    tenant: TenantRef,
    code: str,
    *,
    for_update: bool = False,
) -> Letter | None:
    """The letter, if this browser session proved its password before; else None."""
    canonical = normalize_tracking_code(code or "")
    if canonical is None:
        return None
    if not is_granted(session_data, tenant, canonical):
        return None
    statement = select(Letter).where(Letter.tracking_code == canonical)
    statement = statement.where(Letter.tenant_id == tenant.id)
    if for_update:
        statement = statement.with_for_update()
    return await session.scalar(statement)
