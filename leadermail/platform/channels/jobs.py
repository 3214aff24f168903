"""Cron: read every tenant's intake mailbox every 5 minutes."""

from __future__ import annotations

import logging
from typing import Any

from arq import cron

from leadermail.platform.channels.mailbox import poll_mailbox
from leadermail.platform.context import AppContext

log = logging.getLogger(__name__)


async def poll_intake_mailboxes(ctx: dict[str, Any]) -> int:
    app: AppContext = ctx["app"]
    created = 0
    for tenant in await app.tenants.all():
        if not tenant.is_active:
            continue
        try:
            letters, _ = await poll_mailbox(app, tenant)
            created += letters
        except Exception:  # one tenant's broken mailbox must not stop the others
            log.exception("intake mailbox failed for tenant %s", tenant.slug)
    return created


JOBS = [poll_intake_mailboxes]
CRON_JOBS = [cron(poll_intake_mailboxes, minute=set(range(0, 60, 5)), run_at_startup=False)]
