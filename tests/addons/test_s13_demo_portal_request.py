"""The demo's portal request (§13.1, §13.3): in each vendor, the second client, whose renewed agreement is in force,
asked for an add-on in the portal; its admin signed for Party A and the vendor's admin countersigned, so it runs."""

from datetime import UTC, date, datetime

from sqlalchemy import select

from saas.addons import services as addons
from saas.addons.models import AddonAgreement
from saas.core.models import Client, Role, Tenant
from saas.core.people import first_member


def test_s13_3_the_demo_s_second_client_requested_an_add_on_in_the_portal_and_both_parties_signed_it(
    app, db, clock, client
):
    from saas.demo import seed_demo

    clock.set(datetime(2026, 6, 2, 2, tzinfo=UTC))
    seed_demo()
    db.session.remove()
    for tenant in db.session.scalars(select(Tenant).order_by(Tenant.id)).all():
        second = db.session.scalars(select(Client).where(Client.tenant_id == tenant.id).order_by(Client.id)).all()[1]
        contract = addons.main_agreement_of(tenant, second.id)
        assert contract is not None and contract.status == "active"  # renewed after the termination for breach
        (requested,) = db.session.scalars(select(AddonAgreement).where(AddonAgreement.contract_id == contract.id)).all()
        assert requested.requested_by_client and requested.status == "active"
        assert requested.starts_on >= contract.effective_date and requested.signed_on <= date(2026, 6, 2)
        signed = addons.signatures(requested)
        assert sorted(signed) == ["A", "B"]
        assert signed["A"].user_id == first_member(tenant, Role.CLIENT_ADMIN, second.id).id
        assert signed["B"].user_id == first_member(tenant, Role.VENDOR_ADMIN).id
        assert signed["A"].signed_at < signed["B"].signed_at  # the client signed its request first

    client.sign_in("client.admin2@huayun.example.com", "demo-password-2026")
    page = client.get("/t/huayun/portal/addons/").get_data(as_text=True)
    huayun = db.session.scalar(select(Tenant).where(Tenant.slug == "huayun"))
    second = db.session.scalars(select(Client).where(Client.tenant_id == huayun.id).order_by(Client.id)).all()[1]
    mine = db.session.scalar(
        select(AddonAgreement).where(AddonAgreement.tenant_id == huayun.id, AddonAgreement.client_id == second.id)
    )
    assert mine.number in page
