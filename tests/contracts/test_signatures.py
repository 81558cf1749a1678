"""§10.1 signatures on the exact rendered text, §14 the document in both languages, §7 confidential access."""

import io
import re
from datetime import UTC, date, datetime
from decimal import Decimal

import pytest
from pypdf import PdfReader
from sqlalchemy import select

from saas.contracts import signing
from saas.contracts.models import Contract, ContractDocument, ContractStatus, TamperError
from saas.core.errors import ServiceError
from saas.core.models import AppendOnlyError, AuditEvent

#: The seed's blanks, each given a value no other number on the page has.
BLANKS = {
    "term_years": 3,
    "renewal_notice_months": 5,
    "service_response_hours": 7,
    "onsite_arrival_hours": 19,
    "fault_response_hours": 11,
    "consult_response_hours": 13,
    "dispute_deadline_months": 17,
}


@pytest.fixture
def sent(db, world, make_contract):
    """A contract of alpha's first client, sent for signatures (documents frozen as version 1)."""
    contract = make_contract(
        world.tenant("alpha"),
        world.clients("alpha")[0],
        effective=date(2026, 1, 31),
        lines=[("REMOTE", "1", "3000.00"), ("ONSITE", "2", "2500.50")],
        **BLANKS,
    )
    signing.send_for_signatures(contract)
    db.session.commit()
    return contract


def sign_form(client, page_url, language="zh_Hans_CN"):
    html = client.get(page_url).get_data(as_text=True)
    forms = re.findall(
        r'name="document_id" value="(\d+)"><input type="hidden" name="sha256" value="([0-9a-f]{64})"', html
    )
    assert forms, "no sign form on the page"
    docs = {d.id: d for d in ContractDocument.query.all()}
    return next((i, s) for i, s in forms if docs[int(i)].language == language)


def test_s10_1_both_parties_sign_and_the_contract_takes_effect(client, db, clock, world, sent):
    clock.set(datetime(2026, 2, 3, 2, 0, tzinfo=UTC))  # signed after the effective date: in force from signing
    vendor_page = f"/t/alpha/contracts/{sent.id}?tab=signatures"
    client.sign_in(world.person("alpha", "vendor_admin").email)
    doc_id, sha = sign_form(client, vendor_page)
    unconfirmed = client.post_form(
        f"/t/alpha/contracts/{sent.id}/sign", {"document_id": doc_id, "sha256": sha}, follow_redirects=True
    )
    assert "Tick the box to confirm you sign." in unconfirmed.get_data(as_text=True)
    client.post_form(f"/t/alpha/contracts/{sent.id}/sign", {"document_id": doc_id, "sha256": sha, "confirm": "y"})
    db.session.expire_all()
    assert db.session.get(Contract, sent.id).status == ContractStatus.AWAITING_SIGNATURES
    client.post_form("/logout")

    client.sign_in(world.person("alpha", "client_admin").email)
    portal_page = f"/t/alpha/portal/contracts/{sent.id}?tab=signatures"
    doc_id, sha = sign_form(client, portal_page, language="en")
    done = client.post_form(
        f"/t/alpha/portal/contracts/{sent.id}/sign",
        {"document_id": doc_id, "sha256": sha, "confirm": "y"},
        follow_redirects=True,
    )
    assert "Signed for Party A (the client)." in done.get_data(as_text=True)
    db.session.expire_all()
    contract = db.session.get(Contract, sent.id)
    assert contract.status == ContractStatus.ACTIVE and contract.signed_on == date(2026, 2, 3)
    parties = signing.signatures(contract)
    assert parties["A"].signer_email == "client_admin@alpha.example.com" and parties["A"].ip == "127.0.0.1"
    assert parties["B"].document.language == "zh_Hans_CN" and parties["A"].document.language == "en"
    assert [e.kind for e in contract.events][-1] == "signed" and contract.events[-1].note == "2026-02-03"


def test_s10_1_rendering_the_same_data_again_gives_the_same_bytes(app, db, sent):
    for document in signing.documents(sent):
        again = signing.render_document(sent, document.language, document.version)
        assert again == document.html and signing.sha256(again) == document.sha256


def test_s10_1_signed_terms_fees_and_texts_cannot_be_changed(db, world, sent):
    sent.penalty_rate = Decimal("0.2000")
    with pytest.raises(TamperError):
        db.session.commit()
    db.session.rollback()
    sent.lines[0].monthly_fee = Decimal("1.00")
    with pytest.raises(TamperError):
        db.session.commit()
    db.session.rollback()
    document = signing.documents(sent)[0]
    document.html = document.html.replace("3,000.00", "30.00")
    with pytest.raises(AppendOnlyError):
        db.session.commit()
    db.session.rollback()


def test_s10_1_a_signature_must_be_on_the_current_untampered_text(db, world, sent):
    vendor = world.person("alpha", "vendor_admin")
    document = signing.documents(sent)[0]
    with pytest.raises(ServiceError, match="not the text on record"):
        signing.sign(sent, "B", vendor, document.id, "0" * 64)
    signing.sign(sent, "B", vendor, document.id, document.sha256)
    with pytest.raises(ServiceError, match="already signed"):
        signing.sign(sent, "B", vendor, document.id, document.sha256)
    with pytest.raises(ServiceError, match="can no longer be taken back"):
        signing.withdraw(sent)


def test_s10_1_a_new_sending_makes_a_new_version(db, world, sent):
    signing.withdraw(sent)
    db.session.commit()
    assert signing.send_for_signatures(sent) == 2
    first = db.session.scalar(select(ContractDocument).where(ContractDocument.version == 1))
    with pytest.raises(ServiceError, match="not the text waiting for signatures"):
        signing.sign(sent, "B", world.person("alpha", "vendor_admin"), first.id, first.sha256)


def test_s10_1_only_the_admins_of_each_party_sign(client, world, sent, make_client_org):
    client.sign_in(world.person("alpha", "client_user").email)
    assert client.post_form(f"/t/alpha/portal/contracts/{sent.id}/sign").status_code == 403
    client.post_form("/logout")
    client.sign_in(world.person("alpha", "client_admin_2").email)  # admin of the other client
    assert client.post_form(f"/t/alpha/portal/contracts/{sent.id}/sign").status_code == 404
    client.post_form("/logout")
    client.sign_in(world.person("alpha", "vendor_billing").email)
    assert client.post_form(f"/t/alpha/contracts/{sent.id}/sign").status_code == 403


@pytest.mark.parametrize("language", ["zh_Hans_CN", "en"])
def test_s14_document_fills_every_blank(db, world, sent, language):
    html = next(d for d in signing.documents(sent) if d.language == language).html
    assert "____" not in html
    text = re.sub(r"<[^>]+>", " ", html)
    for value in BLANKS.values():
        assert re.search(rf"(?<![\d.]){value}(?![\d.])", text), f"blank {value} missing in {language}"
    assert world.clients("alpha")[0].legal_name in text and world.tenant("alpha").legal_name in text
    assert sent.number in text
    assert ("8,001.00" in text) and ("288,036.00" in text)  # Annex 1: per month and for the 3-year term


@pytest.mark.parametrize("language", ["zh_Hans_CN", "en"])
def test_s14_pdf_embeds_fonts_and_carries_the_text(client, db, world, sent, language):
    document = next(d for d in signing.documents(sent) if d.language == language)
    client.sign_in(world.person("alpha", "client_user").email)
    response = client.get(f"/t/alpha/portal/contracts/{sent.id}/documents/{document.id}/pdf")
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    reader = PdfReader(io.BytesIO(response.data))
    text = "".join(page.extract_text() for page in reader.pages).replace(" ", "")
    assert sent.number in text
    assert world.clients("alpha")[0].legal_name.replace(" ", "") in text
    if language == "zh_Hans_CN":
        assert "甲方" in text and "乙方" in text
    fonts = [
        page["/Resources"]["/Font"][name].get_object()
        for page in reader.pages[:1]
        for name in page["/Resources"]["/Font"]
    ]
    descriptors = [
        f["/FontDescriptor"] if "/FontDescriptor" in f else f["/DescendantFonts"][0].get_object()["/FontDescriptor"]
        for f in fonts
    ]
    assert all(any(k in d.get_object() for k in ("/FontFile", "/FontFile2", "/FontFile3")) for d in descriptors)


def test_s7_1_confidential_document_access_is_audited(client, db, world, sent):
    document = signing.documents(sent)[0]
    client.sign_in(world.person("alpha", "vendor_engineer").email)
    page = client.get(f"/t/alpha/contracts/{sent.id}/documents/{document.id}")
    assert page.status_code == 200 and page.headers["X-Document-SHA256"] == document.sha256
    assert page.get_data(as_text=True) == document.html
    client.get(f"/t/alpha/contracts/{sent.id}/documents/{document.id}/pdf")
    actions = db.session.scalars(select(AuditEvent.action).where(AuditEvent.target_type == "ContractDocument")).all()
    assert actions == ["contracts.document_viewed", "contracts.document_downloaded"]


@pytest.mark.parametrize("client_signed_first", [False, True], ids=["first-signature", "second-signature"])
def test_s10_1_the_vendor_admin_signing_twice_at_once_signs_once_and_is_told(
    client, db, world, sent, app, client_signed_first
):
    """Two tabs, the sign button pressed in both at the same moment: one signature, a message, never a 500."""
    from saas.contracts.models import ContractSignature
    from saas.testing.race import at_once

    if client_signed_first:
        document = signing.documents(sent)[0]
        signing.sign(sent, "A", world.person("alpha", "client_admin"), document.id, document.sha256)
        db.session.commit()

    email, page = world.person("alpha", "vendor_admin").email, f"/t/alpha/contracts/{sent.id}?tab=signatures"
    browsers = [client, app.test_client()]
    forms = []
    for browser in browsers:
        browser.sign_in(email)
        doc_id, sha = sign_form(browser, page)
        forms.append({"document_id": doc_id, "sha256": sha, "confirm": "y", "csrf_token": browser.csrf_token(page)})
    answers = at_once(
        *(
            lambda b=b, f=f: b.post(f"/t/alpha/contracts/{sent.id}/sign", data=f)
            for b, f in zip(browsers, forms, strict=True)
        )
    )
    assert [a.status_code for a in answers] == [302, 302]
    assert len(db.session.scalars(select(ContractSignature).where(ContractSignature.party == "B")).all()) == 1
    db.session.expire_all()
    expected = ContractStatus.ACTIVE if client_signed_first else ContractStatus.AWAITING_SIGNATURES
    assert db.session.get(Contract, sent.id).status == expected
    told = [browser.get(page).get_data(as_text=True) for browser in browsers]
    refused = ("Your party has already signed this version.", "This contract is not waiting for signatures.")
    assert sum(any(message in t for message in refused) for t in told) == 1
