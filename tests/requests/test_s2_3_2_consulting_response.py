"""§2.3.2: a consulting request is answered within the contract's consulting hours, not its general ones."""

from datetime import timedelta

from saas.extensions import db
from saas.requests import services


def test_s2_3_2_a_consulting_request_takes_the_consulting_hours_and_counts_on_its_own_row(alpha, world, clock):
    tenant, contract = alpha["tenant"], alpha["contract"]
    asker = world.person("alpha", "client_user")
    consult = services.create_request(
        tenant, contract.client_id, {"category_id": alpha["cats"]["CONSULT"].id, "subject": "许可证咨询"}, asker
    )
    general = services.create_request(
        tenant, contract.client_id, {"category_id": alpha["cats"]["GENERAL"].id, "subject": "账号问题"}, asker
    )
    db.session.commit()
    assert (consult.response_hours, general.response_hours) == (8, 4)  # consult_response_hours, service_response
    clock.advance(hours=1)
    services.reply(consult, world.person("alpha", "vendor_engineer"), "请参考附件", by_client=False)
    db.session.commit()
    counts = services.measure_obligations(contract)
    assert counts["consult_response"] == {"applied": 1, "met": 1, "breached": 0}
    assert counts["service_response"]["applied"] == 1 and counts["service_response"]["met"] == 0
    assert consult.first_response_at - consult.received_at == timedelta(hours=1)
