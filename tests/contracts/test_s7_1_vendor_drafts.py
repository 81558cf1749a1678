"""§7.1: a vendor's draft contracts stay the vendor's until sent for signatures."""


def test_s7_1_the_client_does_not_see_the_vendors_drafts(client, db, world, make_contract):
    draft = make_contract(world.tenant("alpha"), world.clients("alpha")[0], title="Still a draft")
    client.sign_in(world.person("alpha", "client_admin").email)
    assert draft.number not in client.get("/t/alpha/portal/contracts/").get_data(as_text=True)
    assert client.get(f"/t/alpha/portal/contracts/{draft.id}").status_code == 404
