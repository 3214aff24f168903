"""What the letter page shows the unit that handles a letter."""

from __future__ import annotations

from leadermail.platform.accounts.models import Role
from tests.functional.console.staff_session import (
    console_url,
    make_letter,
    make_staff,
    sign_in_client,
)
from tests.functional.console.test_signin import clear_login_limits  # noqa: F401 - autouse
from tests.functional.console.test_workflow import unit_ids


async def test_the_handler_reads_the_registrars_instructions_and_the_writers_region(
    context, make_tenant, client
):
    # QA: "请住建局牵头…" reached only the printed 交办单, never the handler's page.
    tenant = await make_tenant()
    unit = (await unit_ids(context, tenant))[0]
    letter = await make_letter(context, tenant, region="岳麓区望月湖街道")
    sign_in_client(client, await make_staff(context, tenant, "王登记", Role.REGISTRAR))
    base = console_url(tenant, f"/letters/{letter.id}")
    assert (await client.post(base + "/do/accept")).status_code == 303
    note = "请住建局牵头，会同街道现场核实后答复。"
    assigned = await client.post(base + "/assign", data={"unit_id": str(unit), "note": note})
    assert assigned.status_code == 303

    sign_in_client(client, await make_staff(context, tenant, "李承办", Role.HANDLER, unit_id=unit))
    page = await client.get(base)
    assert page.status_code == 200
    assert "分办记录" in page.text and f"分办意见：{note}" in page.text
    assert "岳麓区望月湖街道" in page.text
    # The pages for notices/extensions and printed documents are a click away.
    assert f"/letters/{letter.id}/notices" in page.text
    assert f"/letters/{letter.id}/documents" in page.text
