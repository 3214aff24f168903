"""The demo province: 湖南省省长信箱 with two cities, a county and two departments,
staff for every role, and a few hundred real letters with ten months of
history made by the console's own services (see ``demo_history``).

The letter texts are the real citizen messages and official replies of the
2020 泰迪杯 data set in ``shared/data/letters`` (its publishers anonymised
places and user ids, not the people's names written in the texts: the public
pages show them redacted like any letter's), cleaned of spreadsheet
artefacts (``demo_sources``); writer names and phone numbers are invented
(``demo_letters``) and obviously fake. Running it twice changes nothing::

    tenants = await build_demo(context)  # {"hunan": TenantRef, ...}

Each part has its module: the offices (``demo_tenants``), their staff
(``demo_staff``), the source texts (``demo_sources``), the letters
(``demo_letters``) and their routing (``demo_routing``).
"""

from __future__ import annotations

import random

from leadermail.platform.context import AppContext
from leadermail.platform.demo_letters import seed_letters
from leadermail.platform.demo_sources import letters_dir, read_source_letters
from leadermail.platform.demo_staff import ensure_demo_staff, ensure_province_admin
from leadermail.platform.demo_tenants import DEMO_TENANTS, ensure_demo_tenants
from leadermail.tenants.registry import TenantRef


async def build_demo(context: AppContext) -> dict[str, TenantRef]:
    tenants = await ensure_demo_tenants(context)
    for tenant in tenants.values():
        await ensure_demo_staff(context, tenant)
    await ensure_province_admin(context, tenants["hunan"])
    folder = letters_dir()
    if folder is None:
        return tenants
    rng = random.Random(20261123)
    sources = list(read_source_letters(folder))
    rng.shuffle(sources)
    position = 0
    for demo in DEMO_TENANTS:
        share = sources[position : position + demo.letters]
        position += demo.letters
        await seed_letters(context, tenants[demo.slug], share, rng)
    return tenants
