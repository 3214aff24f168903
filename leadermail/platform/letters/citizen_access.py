"""The only way a citizen reaches a letter: tracking code + query password.

    try:
        letter = await access_letter_by_code(context, tenant, code, password, ip_address=ip)
    except TrackingRefused as refused:
        show(refused.message)         # the same text for a wrong code and a wrong password

Rules, one per line below: the look-up happens inside the tenant whose site is
asked; a malformed code, an unknown code and a wrong password raise the same
:class:`TrackingRefused`; attempts are limited per IP and per code; after
``MAX_WRONG_PASSWORDS`` wrong passwords for one code within an hour the code
is locked for everyone for that hour. Failures are counted per *code string*,
whether or not such a letter exists, so the lock-out message itself tells an
attacker nothing either.

Once the password was right, the site remembers the code in the citizen's
session (:func:`grant`), and later requests use :func:`letter_by_granted_code`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import bindparam, select
from sqlalchemy.ext.asyncio import AsyncSession

from leadermail.platform.context import AppContext
from leadermail.platform.letters.models import Letter
from leadermail.platform.letters.tracking import normalize_tracking_code, verify_query_password
from leadermail.platform.web.ratelimit import Step
from leadermail.tenants.registry import TenantRef
from leadermail.tenants.session import tenant_session

NEUTRAL_MESSAGE = "查询码或查询密码不正确，请核对后重新输入。"
LOCKED_MESSAGE = "该查询码的密码输错次数过多，已暂时锁定，请 1 小时后再试。"
BUSY_MESSAGE = "查询过于频繁，请稍后再试。"
MAX_WRONG_PASSWORDS = 5
#: (scope, limit) pairs; ``rate_limit_multiplier`` scales the numbers.
IP_LIMIT = ("track-ip", 30, "10 minutes")
CODE_LIMIT = ("track-code", 20, "hour")
WRONG_LIMIT = ("track-wrong", MAX_WRONG_PASSWORDS, "hour")

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

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


def _limit(context: AppContext, spec: tuple[str, int, str]) -> str:
    return f"{spec[1] * context.settings.rate_limit_multiplier}/{spec[2]}"


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
    code_key = f"{tenant.id}:{canonical or (code or '').strip().upper()[:20]}"
    over = await limiter.check(  # in this order, in one round trip
        Step.hit(IP_LIMIT[0], f"{tenant.id}:{ip_address}", _limit(context, IP_LIMIT)),
        Step.test(WRONG_LIMIT[0], code_key, _limit(context, WRONG_LIMIT)),
        Step.hit(CODE_LIMIT[0], code_key, _limit(context, CODE_LIMIT)),
    )
    if over is not None:
        raise TrackingRefused(LOCKED_MESSAGE if over.scope == WRONG_LIMIT[0] else BUSY_MESSAGE)
    found = None
    if canonical is not None:
        # One statement, so no transaction: the hottest citizen POST.
        async with tenant_session(context.database, tenant, transaction=False) as session:
            found = await session.first_row(
                _LETTER_BY_CODE, {"code": canonical, "tenant_id": tenant.id}
            )
    if found is None or not verify_query_password(
        password or "", found[2], context.settings.secret_key
    ):
        await limiter.hit(WRONG_LIMIT[0], code_key, _limit(context, WRONG_LIMIT))
        raise TrackingRefused(NEUTRAL_MESSAGE)
    letter_id, tracking_code, _ = found
    return TrackedLetter(letter_id, tracking_code)


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
