"""§10.1: both parties signing at the same moment still puts the contract in force, once."""

import threading

from saas.contracts import signing
from saas.contracts.models import Contract, ContractStatus


def test_s10_1_both_parties_signing_at_once_still_puts_the_contract_in_force(app, db, world, make_contract):
    contract = make_contract(world.tenant("alpha"), world.clients("alpha")[0])
    signing.send_for_signatures(contract)
    db.session.commit()
    document_id, sha = signing.documents(contract)[0].id, signing.documents(contract)[0].sha256
    signers = {"B": world.person("alpha", "vendor_admin").id, "A": world.person("alpha", "client_admin").id}
    barrier, errors = threading.Barrier(2), []

    def sign(party):
        from saas.core.models import User
        from saas.extensions import db as database

        with app.app_context():
            try:
                row = database.session.get(Contract, contract.id)
                barrier.wait()
                signing.sign(row, party, database.session.get(User, signers[party]), document_id, sha)
                database.session.commit()
            except Exception as exc:  # noqa: BLE001 (reported below)
                errors.append(exc)

    threads = [threading.Thread(target=sign, args=(p,)) for p in ("A", "B")]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=20)
    assert not errors
    db.session.expire_all()
    assert db.session.get(Contract, contract.id).status == ContractStatus.ACTIVE
