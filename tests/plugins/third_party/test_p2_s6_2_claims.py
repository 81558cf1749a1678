"""Part 2 §6.2: a subcontractor answers for its breach by a penalty or damages; the claim names one the client
approved for the agreement, carries evidence with SHA-256, and is seen by both parties only."""

import hashlib
import io

from sqlalchemy import func, select

from plugins.third_party import services
from plugins.third_party.liability_models import ThirdPartyClaim, ThirdPartyClaimFile
from saas.extensions import db
from saas.testing.fixtures import valid_uscc
from tests.plugins.third_party.conftest import sub_data
from tests.plugins.third_party.liability_flow import HX, approve, bill_november, claim_data, contract_url, pay

PHOTO = b"\x89PNG photo of the burnt power supply"


def _paid(tp, world, clock):
    approve(tp, world)
    invoice = bill_november(tp, clock)
    pay(tp, str(invoice.total), invoice=invoice)


def test_p2_s6_2_a_penalty_claim_with_evidence_through_the_screen(tp, world, clock, client):
    _paid(tp, world, clock)
    client.sign_in(world.person("alpha", "vendor_admin").email)
    data = claim_data(tp, "500.00", kind="penalty", direct_files=[(io.BytesIO(PHOTO), "psu.png")])
    response = client.post_form(f"{contract_url(tp)}/claims/new", data, content_type="multipart/form-data")
    assert response.status_code == 302
    claim = db.session.scalar(select(ThirdPartyClaim))
    assert (claim.kind, claim.claimant_party, claim.subcontractor_id, claim.status) == (
        "penalty",
        "B",
        tp["sub"].id,
        "submitted",
    )
    stored = db.session.scalar(select(ThirdPartyClaimFile))
    assert stored.sha256 == hashlib.sha256(PHOTO).hexdigest() and stored.loss == "direct"
    page = client.get(response.location).get_data(as_text=True)
    assert stored.sha256 in page
    download = client.get(f"/t/alpha/p/third_party/claim-files/{stored.id}")
    assert download.data == PHOTO and download.headers["Content-Type"] == "application/octet-stream"
    # the client's admin sees it; the other client's admin does not
    client.post_form("/logout")
    client.sign_in(world.person("alpha", "client_admin").email)
    assert client.get(response.location).status_code == 200
    client.post_form("/logout")
    client.sign_in(world.person("alpha", "client_admin_2").email)
    assert client.get(response.location).status_code == 404
    assert client.get(f"/t/alpha/p/third_party/claim-files/{stored.id}").status_code == 404


def test_p2_s6_2_only_a_subcontractor_approved_for_the_agreement_is_claimed_against(tp, world, clock, client):
    _paid(tp, world, clock)
    stranger = services.save_subcontractor(
        tp["tenant"], {**sub_data(2, uscc=valid_uscc(977)), "service_ids": []}, tp["admin"]
    )
    db.session.commit()
    client.sign_in(world.person("alpha", "vendor_admin").email)
    response = client.post_form(f"{contract_url(tp)}/claims/new", claim_data(tp, subcontractor_id=str(stranger.id)))
    assert response.status_code == 422
    assert db.session.scalar(select(func.count(ThirdPartyClaim.id))) == 0
    form = client.get(f"{contract_url(tp)}/claims/new", headers=HX).get_data(as_text=True)
    assert "<html" not in form and tp["sub"].legal_name in form and stranger.legal_name not in form
