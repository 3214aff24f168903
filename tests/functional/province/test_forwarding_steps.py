"""What staff are told after each step on a leg (签收, 提出异议, 退回 ...), and a
refused step coming back with its error by the form and the input kept."""

from __future__ import annotations

from leadermail.platform.accounts.models import Role
from tests.functional.province.conftest import write_letter
from tests.functional.province.forwarded import flashes, forward
from tests.functional.province.test_isolation import console
from tests.functional.staff_ops.helpers import make_staff, sign_in_client


async def test_each_step_says_what_was_done(context, tree, client):
    letter = await write_letter(context, tree.province)
    leg = await forward(context, tree.province, letter.id, tree.city)
    city_staff = await make_staff(context, tree.city, "市登记员", Role.REGISTRAR)
    province_staff = await make_staff(context, tree.province, "省登记员", Role.REGISTRAR)
    sign_in_client(client, city_staff)
    leg_page = console(tree.city, f"/forwarding/{leg.id}")

    accepted = await client.post(f"{leg_page}/accept", data={})
    assert accepted.status_code == 303
    page = (await client.get(leg_page)).text
    assert flashes(page) == ["已签收。请在办理期限内办理，答复来信人后报送办结报告"]

    # A refused objection comes back with the reason by its field.
    refused = await client.post(f"{leg_page}/object", data={"reason": "   "})
    assert refused.status_code == 422
    assert 'id="object-error" data-testid="step-error">请填写异议理由' in refused.text
    assert 'name="reason" rows="2" required aria-invalid="true"' in refused.text
    objected = await client.post(f"{leg_page}/object", data={"reason": "属丙市管辖"})
    assert objected.status_code == 303
    assert flashes((await client.get(leg_page)).text) == [
        f"已提出异议，等待{tree.province.name}审核"
    ]

    sign_in_client(client, province_staff)
    sender_page = console(tree.province, f"/forwarding/{leg.id}")
    urged = await client.post(f"{sender_page}/urge", data={"message": "请尽快"})
    assert urged.status_code == 303
    assert flashes((await client.get(sender_page)).text) == [f"已向{tree.city.name}催办"]
    no_reason = await client.post(f"{sender_page}/decide", data={"decision": "dismiss"})
    assert no_reason.status_code == 422
    assert 'id="decide-error" data-testid="step-error">请说明异议不成立的理由' in no_reason.text
    assert 'value="dismiss" checked' in no_reason.text
    returned = await client.post(f"{sender_page}/decide", data={"decision": "return"})
    assert returned.status_code == 303
    page = (await client.get(sender_page)).text
    assert flashes(page) == ["已同意退回：来信由本机关继续办理"]
    assert "已办理" not in page


async def test_a_refused_report_keeps_what_was_typed(context, tree, client):
    letter = await write_letter(context, tree.province)
    leg = await forward(context, tree.province, letter.id, tree.city)
    sign_in_client(client, await make_staff(context, tree.city, "市登记员", Role.REGISTRAR))
    refused = await client.post(
        console(tree.city, f"/forwarding/{leg.id}/report"), data={"report": "已电话联系来信人"}
    )
    assert refused.status_code == 422
    assert "来信尚未答复来信人，答复后才能报送办结报告" in refused.text
    assert ">已电话联系来信人</textarea>" in refused.text
    assert flashes(refused.text) == []


async def test_dismissing_an_objection_and_reassigning_say_so(context, tree, client):
    province_staff = await make_staff(context, tree.province, "省登记员", Role.REGISTRAR)
    city_staff = await make_staff(context, tree.city, "市登记员", Role.REGISTRAR)
    for decision, expected in (
        ("dismiss", f"已驳回异议：由{tree.city.name}继续办理"),
        ("reassign", f"已改派{tree.other_city.name}办理"),
    ):
        letter = await write_letter(context, tree.province)
        leg = await forward(context, tree.province, letter.id, tree.city)
        sign_in_client(client, city_staff)
        await client.post(
            console(tree.city, f"/forwarding/{leg.id}/object"), data={"reason": "不归本市"}
        )
        sign_in_client(client, province_staff)
        page = console(tree.province, f"/forwarding/{leg.id}")
        done = await client.post(
            f"{page}/decide",
            data={
                "decision": decision,
                "note": "属本市职责",
                "to_tenant_id": str(tree.other_city.id),
            },
        )
        assert done.status_code == 303
        assert flashes((await client.get(page)).text) == [expected]
