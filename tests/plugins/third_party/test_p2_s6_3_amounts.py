"""Part 2 §6.3: the amount follows the breach: direct and indirect loss, each exact with its description; an amount
agreed is at most what was claimed; bad amounts get a form error, never a 500."""

from decimal import Decimal

from sqlalchemy import func, select

from plugins.third_party.liability_models import ThirdPartyClaim
from saas.extensions import db
from tests.plugins.third_party.liability_flow import claim_data, contract_url
from tests.plugins.third_party.test_p2_s6_2_claims import _paid


def test_p2_s6_3_direct_and_indirect_loss_make_the_total(tp, world, clock, client):
    _paid(tp, world, clock)
    client.sign_in(world.person("alpha", "vendor_admin").email)
    data = claim_data(tp, "120.10", indirect_amount="30.05", indirect_description="预期利润 expected profit")
    assert client.post_form(f"{contract_url(tp)}/claims/new", data).status_code == 302
    claim = db.session.scalar(select(ThirdPartyClaim))
    assert (claim.direct_amount, claim.indirect_amount, claim.total) == (
        Decimal("120.10"),
        Decimal("30.05"),
        Decimal("150.15"),
    )
    url = f"/t/alpha/p/third_party/claims/{claim.id}/agree"
    over = client.post_form(url, {"amount": "150.16", "note": ""})
    assert over.status_code == 422 and "At most the amount claimed (150.15)." in over.get_data(as_text=True)
    assert client.post_form(url, {"amount": "", "note": ""}).status_code == 302  # in full
    db.session.expire_all()
    assert claim.agreed_amount == Decimal("150.15")


def test_p2_s6_3_bad_amounts_are_form_errors(tp, world, clock, client):
    _paid(tp, world, clock)
    client.sign_in(world.person("alpha", "vendor_admin").email)
    url = f"{contract_url(tp)}/claims/new"
    for changes in (
        {"direct_amount": "abc"},
        {"direct_amount": "0"},
        {"direct_amount": "10.001"},
        {"indirect_amount": "5.00", "indirect_description": ""},
        {"kind": "revenge"},
    ):
        assert client.post_form(url, claim_data(tp, **changes)).status_code == 422, changes
    assert db.session.scalar(select(func.count(ThirdPartyClaim.id))) == 0
