"""The console's 转办 form: a refused forward comes back as the form (422) with
the error by its field and the input kept; a letter that can no longer be
forwarded is said so at once instead of offering a form."""

from __future__ import annotations

import uuid

from sqlalchemy import func, select

from leadermail.platform.forwarding.models import Forwarding
from leadermail.tenants.provisioning import set_tenant_status
from tests.functional.province.conftest import write_letter
from tests.functional.province.test_isolation import as_staff, console

NOTE = "请核实后三日内报送初步意见"


async def post_forward(client, tenant, letter, **values):  # noqa: ANN001, ANN201
    data = {
        "letter_id": str(letter.id),
        "to_tenant_id": "",
        "note": NOTE,
        "due_date": "",
        "request_key": f"form-{uuid.uuid4().hex}",
        **values,
    }
    return await client.post(console(tenant, "/forwarding"), data=data)


def error_of(page: str, element_id: str) -> str:
    return page.split(f'id="{element_id}">')[1].split("<")[0]


async def legs_of(context, tenant, letter) -> int:  # noqa: ANN001
    async with context.database.core_session() as session:
        return await session.scalar(
            select(func.count()).where(
                Forwarding.from_tenant_id == tenant.id, Forwarding.from_letter_id == letter.id
            )
        )


async def test_a_past_due_date_comes_back_by_its_field_with_the_input_kept(context, tree, client):
    letter = await write_letter(context, tree.province)
    await as_staff(context, client, tree.province, "省登记员")
    response = await post_forward(
        client, tree.province, letter, to_tenant_id=str(tree.city.id), due_date="2020-01-01"
    )
    assert response.status_code == 422
    page = response.text
    assert error_of(page, "due-error") == "办理期限必须晚于现在"
    assert f'<option value="{tree.city.id}" selected>' in page
    assert f">{NOTE}</textarea>" in page
    assert 'name="due_date" value="2020-01-01"' in page
    assert 'name="request_key" value="form-' in page
    assert await legs_of(context, tree.province, letter) == 0

    # Corrected, the same form goes through.
    done = await post_forward(client, tree.province, letter, to_tenant_id=str(tree.city.id))
    assert done.status_code == 303 and "/forwarding/" in done.headers["location"]
    assert await legs_of(context, tree.province, letter) == 1


async def test_a_missing_target_and_a_bad_date_are_both_reported(context, tree, client):
    letter = await write_letter(context, tree.province)
    await as_staff(context, client, tree.province, "省登记员")
    response = await post_forward(client, tree.province, letter, due_date="2026-13-45")
    assert response.status_code == 422
    assert error_of(response.text, "to-error") == "请选择接收转办的信箱"
    assert error_of(response.text, "due-error") == "办理期限格式不正确"
    assert f">{NOTE}</textarea>" in response.text


async def test_a_refused_target_is_named_by_the_receiving_mailbox(
    context, tree, make_tenant, client
):
    closed = await make_tenant(name="已撤并的丁市市长信箱", kind="city", parent_id=tree.province.id)
    letter = await write_letter(context, tree.province)
    await as_staff(context, client, tree.province, "省登记员")
    set_tenant_status(context.database.sync_engine, closed.slug, "disabled", "机构调整")
    context.tenants.invalidate()
    response = await post_forward(client, tree.province, letter, to_tenant_id=str(closed.id))
    assert response.status_code == 422
    assert error_of(response.text, "to-error") == "“已撤并的丁市市长信箱”已停用，不能接收转办"
    assert f">{NOTE}</textarea>" in response.text


async def test_the_form_says_at_once_when_the_letter_cannot_be_forwarded(context, tree, client):
    await as_staff(context, client, tree.province, "省登记员")
    for state, message in [
        ("replied", "来信已办结或已答复，不能再转办"),
        ("forwarded", "来信已经转办，请在“已转办”中查看进度"),
        ("awaiting_material", "来信当前状态为“待补充材料”，不能执行“转办”"),
    ]:
        letter = await write_letter(context, tree.province, state=state)
        page = await client.get(console(tree.province, f"/forwarding/new?letter={letter.id}"))
        assert page.status_code == 200
        assert f'data-testid="not-forwardable">{message}<' in page.text, state
        assert 'name="to_tenant_id"' not in page.text
    open_letter = await write_letter(context, tree.province, state="accepted")
    page = await client.get(console(tree.province, f"/forwarding/new?letter={open_letter.id}"))
    assert 'name="to_tenant_id"' in page.text and "not-forwardable" not in page.text
