"""Limits on guessing a staff member's password or code (Redis, shared by all workers).

    if await too_many_attempts(request, email):                 # counts this attempt
        ... 429 "尝试次数过多，请 15 分钟后再试" ...
    if await too_many_attempts(request, email, count=False):    # only asks
        ...

Signing in and 修改密码's "current password" draw on the same counters: a
stolen session guessing the password gets no more tries than the sign-in
page gives.
"""

from __future__ import annotations

from starlette.requests import Request

from leadermail.platform.web.ratelimit import Step
from leadermail.platform.web.requests import app_context, client_ip

#: Per client address: generous, as a whole office may sit behind one NAT address.
IP_LIMIT = "100/15 minutes"
ACCOUNT_LIMIT = "8/15 minutes"
TOO_MANY = "尝试次数过多，请 15 分钟后再试"


async def too_many_attempts(request: Request, account: str, *, count: bool = True) -> bool:
    step = Step.hit if count else Step.test
    over = await app_context(request).rate_limiter.check(  # one round trip
        step("console-login-ip", client_ip(request), IP_LIMIT),
        # Bounded: the key is whatever was typed into the account field.
        step("console-login-account", (account or "-")[:254], ACCOUNT_LIMIT),
    )
    return over is not None
