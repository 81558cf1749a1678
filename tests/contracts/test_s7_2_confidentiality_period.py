"""§7.2: the duty of confidentiality lasts the agreed years after the agreement ends, or after its termination."""

from datetime import date

from saas.contracts import changes, signing


def test_s7_2_confidentiality_runs_the_agreed_years_after_the_last_day(db, world, make_signed_contract):
    # A one-year term from 1 March 2023 ends on 29 February 2024; a year later there is no 29 February.
    contract = make_signed_contract(
        world.tenant("alpha"), world.clients("alpha")[0], effective=date(2023, 3, 1), confidentiality_years=1
    )
    assert changes.confidentiality_ends(contract) == date(2025, 2, 28)
    contract.confidentiality_years = 3
    assert changes.confidentiality_ends(contract) == date(2027, 2, 28)


def test_s7_2_a_termination_starts_the_confidentiality_years_from_its_last_day(db, world, make_signed_contract):
    contract = make_signed_contract(world.tenant("alpha"), world.clients("alpha")[0], effective=date(2026, 1, 31))
    admin = world.person("alpha", "vendor_admin")
    change = changes.propose_termination(contract, date(2026, 6, 30), "双方协商一致", admin)
    for party, role in (("B", "vendor_admin"), ("A", "client_admin")):
        document = signing.documents_for(contract, change.subject)[0]
        changes.sign_change(change, party, world.person("alpha", role), document.id, document.sha256)
    db.session.commit()
    assert contract.terminated_on == date(2026, 6, 30)
    assert changes.confidentiality_ends(contract) == date(2028, 6, 30)  # two years, the default
