"""The contracts tests' shared step: a drafted contract signed by both parties, so that it is in force."""

import pytest

from saas.contracts import signing


@pytest.fixture
def signed_by_both(db, world):
    """Send a contract of alpha for signatures and sign it as Party B's admin, then Party A's; committed."""

    def sign(contract):
        signing.send_for_signatures(contract)
        for party, role in (("B", "vendor_admin"), ("A", "client_admin")):
            document = signing.documents(contract)[0]
            signing.sign(contract, party, world.person("alpha", role), document.id, document.sha256)
        db.session.commit()
        return contract

    return sign
