"""§14: the agreement downloads as a PDF, whatever its number holds."""

from saas.contracts import services, signing


def test_s14_pdf_of_a_contract_with_a_chinese_number_downloads(client, db, world, make_contract):
    services.save_defaults(
        world.tenant("alpha"), services.draft_terms(world.tenant("alpha")) | {"number_pattern": "售后-{year}-{seq}"}
    )
    db.session.commit()
    contract = make_contract(world.tenant("alpha"), world.clients("alpha")[0])
    signing.send_for_signatures(contract)
    db.session.commit()
    document = signing.documents(contract)[0]
    client.sign_in(world.person("alpha", "vendor_admin").email)
    response = client.get(f"/t/alpha/contracts/{contract.id}/documents/{document.id}/pdf")
    disposition = response.headers["Content-Disposition"]
    disposition.encode("latin-1")  # a real server must be able to send it
    assert "filename*=UTF-8''" in disposition
