"""Contracts as data (§1.2, §3.1, §10): drafts, numbers, fees, terms, the status machine and the renewal window."""

from datetime import UTC, date, datetime
from decimal import Decimal

import pytest
from sqlalchemy import select

from saas.contracts import services
from saas.contracts.models import Contract, ContractEvent, ContractStatus
from saas.contracts.tasks import refresh_contract_statuses
from saas.core.errors import ServiceError
from saas.core.models import AppendOnlyError


def activate(db, contract):
    """Both parties have signed (the signing screens come in a later slice of the contracts issue)."""
    services.submit_for_signatures(contract)
    services.transition(contract, ContractStatus.ACTIVE, kind="signed")
    db.session.commit()


@pytest.mark.parametrize(
    ("effective", "years", "last", "renewal_from"),
    [
        (date(2024, 1, 31), 1, date(2025, 1, 30), date(2024, 12, 31)),
        (date(2024, 2, 29), 1, date(2025, 2, 27), date(2025, 1, 28)),  # leap-day start: Feb 28 next year
        (date(2024, 2, 29), 4, date(2028, 2, 28), date(2028, 1, 29)),  # four years on: leap day again
        (date(2025, 3, 31), 2, date(2027, 3, 30), date(2027, 2, 28)),  # the window starts on a clamped month end
    ],
)
def test_s1_2_term_end_and_renewal_window_follow_month_ends(
    db, world, make_contract, effective, years, last, renewal_from
):
    contract = make_contract(world.tenant("alpha"), world.clients("alpha")[0], effective=effective, term_years=years)
    assert services.last_day(contract) == last
    assert services.renewal_window_start(contract) == renewal_from
    assert contract.ends_on == services.term_end(contract)


def test_s1_2_contract_enters_the_renewal_window_on_the_exact_day_and_expires_after_its_last(
    db, clock, world, make_contract
):
    tenant = world.tenant("alpha")
    contract = make_contract(tenant, world.clients("alpha")[0], effective=date(2024, 1, 31), renewal_notice_months=2)
    activate(db, contract)
    # Window from 2024-11-30 (two months before 2025-01-31). Midnight in Shanghai is 16:00 UTC the day before.
    clock.set(datetime(2024, 11, 29, 15, 59, tzinfo=UTC))
    assert refresh_contract_statuses() == {"expiring": 0, "expired": 0}
    clock.set(datetime(2024, 11, 29, 16, 0, tzinfo=UTC))  # 2024-11-30 00:00 in Shanghai
    assert refresh_contract_statuses() == {"expiring": 1, "expired": 0}
    assert refresh_contract_statuses() == {"expiring": 0, "expired": 0}  # running it again changes nothing
    db.session.expire_all()
    assert db.session.get(Contract, contract.id).status == ContractStatus.EXPIRING
    clock.set(datetime(2025, 1, 30, 15, 59, tzinfo=UTC))  # still 2025-01-30, the last day
    assert refresh_contract_statuses() == {"expiring": 0, "expired": 0}
    clock.set(datetime(2025, 1, 30, 16, 0, tzinfo=UTC))
    assert refresh_contract_statuses() == {"expiring": 0, "expired": 1}
    db.session.expire_all()
    kinds = [e.kind for e in db.session.scalars(select(ContractEvent).where(ContractEvent.contract_id == contract.id))]
    assert kinds == ["created", "sent_for_signatures", "signed", "renewal_window", "expired"]


def test_s1_2_draft_contracts_never_expire_by_themselves(db, clock, world, make_contract):
    make_contract(world.tenant("alpha"), world.clients("alpha")[0], effective=date(2024, 1, 31))
    clock.set(datetime(2030, 1, 1, tzinfo=UTC))
    assert refresh_contract_statuses() == {"expiring": 0, "expired": 0}


def test_contract_numbers_are_gapless_per_tenant_and_year(db, clock, world, make_contract):
    alpha, beta = world.tenant("alpha"), world.tenant("beta")
    numbers = [make_contract(alpha, world.clients("alpha")[0]).number for _ in range(3)]
    assert numbers == ["HT-2026-0001", "HT-2026-0002", "HT-2026-0003"]
    assert make_contract(beta, world.clients("beta")[0]).number == "HT-2026-0001"
    clock.set(datetime(2027, 1, 1, tzinfo=UTC))
    assert make_contract(alpha, world.clients("alpha")[0]).number == "HT-2027-0001"


def test_s3_1_1_monthly_total_rounds_each_line_once(db, world, make_contract):
    contract = make_contract(
        world.tenant("alpha"),
        world.clients("alpha")[0],
        lines=[("REMOTE", "1.5", "1000.01"), ("ONSITE", "3", "333.33"), ("FAULT", "0.33", "0.05")],
    )
    # 1500.015 -> 1500.02 (half-up); 999.99; 0.0165 -> 0.02
    assert services.monthly_total(contract) == Decimal("2500.03")
    db.session.expire_all()
    line = db.session.get(Contract, contract.id).lines[0]
    assert (line.quantity, line.monthly_fee) == (Decimal("1.50"), Decimal("1000.01"))


def test_s10_1_status_machine_refuses_what_the_agreement_does_not_allow(db, world, make_contract):
    contract = make_contract(world.tenant("alpha"), world.clients("alpha")[0])
    with pytest.raises(ServiceError):
        services.transition(contract, ContractStatus.ACTIVE)  # unsigned drafts never take effect
    services.submit_for_signatures(contract)
    services.withdraw_to_draft(contract)
    services.submit_for_signatures(contract)
    services.transition(contract, ContractStatus.ACTIVE, kind="signed")
    with pytest.raises(ServiceError):
        services.transition(contract, ContractStatus.DRAFT)
    services.transition(contract, ContractStatus.TERMINATED, kind="terminated")
    with pytest.raises(ServiceError):
        services.transition(contract, ContractStatus.ACTIVE)


def test_s10_2_only_drafts_are_edited(db, world, make_contract):
    contract = make_contract(world.tenant("alpha"), world.clients("alpha")[0])
    services.submit_for_signatures(contract)
    with pytest.raises(ServiceError, match="amendment"):
        services.update_draft(contract, {}, [])


def test_s10_1_a_contract_needs_lines_and_signatories_before_signatures(db, world, make_contract):
    contract = make_contract(world.tenant("alpha"), world.clients("alpha")[0], party_b_signatory="")
    with pytest.raises(ServiceError, match="both signatories"):
        services.submit_for_signatures(contract)


def test_contract_history_is_append_only(db, world, make_contract):
    contract = make_contract(world.tenant("alpha"), world.clients("alpha")[0])
    event = db.session.scalar(select(ContractEvent).where(ContractEvent.contract_id == contract.id))
    event.note = "rewritten"
    with pytest.raises(AppendOnlyError):
        db.session.commit()
    db.session.rollback()


def test_draft_form_creates_a_contract_from_the_catalogue(client, db, world):
    services.add_standard_services(world.tenant("alpha"))
    db.session.commit()
    remote = next(s for s in services.list_services(world.tenant("alpha")) if s.code == "REMOTE")
    client.sign_in(world.person("alpha", "vendor_billing").email)
    form = {
        "client_id": str(world.clients("alpha")[1].id),
        "title": "2026 售后服务协议",
        "effective_date": "2026-01-31",
        "term_years": "1",
        "renewal_notice_months": "1",
        "service_response_hours": "4",
        "onsite_arrival_hours": "24",
        "fault_response_hours": "2",
        "consult_response_hours": "8",
        "penalty_rate": "0.10",
        "dispute_deadline_months": "3",
        "payment_net_days": "30",
        "confidentiality_years": "2",
        "lines-0-service_id": str(remote.id),
        "lines-0-description": "",
        "lines-0-quantity": "2",
        "lines-0-monthly_fee": "",
    }
    more = client.post_form("/t/alpha/contracts/new", {**form, "add_line": "1"}).get_data(as_text=True)
    assert 'name="lines-1-service_id"' in more  # one more line, nothing saved
    assert db.session.scalar(select(Contract)) is None
    bad = client.post_form("/t/alpha/contracts/new", {**form, "penalty_rate": "1.5", "client_id": "0"})
    assert "Choose one of your clients." in bad.get_data(as_text=True)
    saved = client.post_form("/t/alpha/contracts/new", form)
    assert saved.status_code == 302
    contract = db.session.scalar(select(Contract))
    assert contract.client_id == world.clients("alpha")[1].id and contract.number == "HT-2026-0001"
    assert [(line.description, line.quantity, line.monthly_fee) for line in contract.lines] == [
        ("Remote support (7x24)", Decimal("2.00"), Decimal("3000.00"))
    ]
    detail = client.get(f"/t/alpha/contracts/{contract.id}?tab=fees").get_data(as_text=True)
    assert "CN¥6,000.00" in detail


def test_engineers_read_contracts_but_do_not_draft_them(client, world, make_contract):
    contract = make_contract(world.tenant("alpha"), world.clients("alpha")[0])
    client.sign_in(world.person("alpha", "vendor_engineer").email)
    assert client.get(f"/t/alpha/contracts/{contract.id}").status_code == 200
    assert client.get("/t/alpha/contracts/new").status_code == 403
    assert client.post_form(f"/t/alpha/contracts/{contract.id}/submit").status_code == 403


def test_s7_1_a_client_sees_only_its_own_contracts(client, db, world, make_contract):
    mine = make_contract(world.tenant("alpha"), world.clients("alpha")[0], title="Ours")
    theirs = make_contract(world.tenant("alpha"), world.clients("alpha")[1], title="Someone else's")
    for contract in (mine, theirs):  # drafts stay with the vendor; sent contracts reach the client
        services.submit_for_signatures(contract)
    db.session.commit()
    client.sign_in(world.person("alpha", "client_user").email)
    listing = client.get("/t/alpha/portal/contracts/").get_data(as_text=True)
    assert mine.number in listing and theirs.number not in listing
    assert client.get(f"/t/alpha/portal/contracts/{mine.id}").status_code == 200
    assert client.get(f"/t/alpha/portal/contracts/{theirs.id}").status_code == 404
    assert client.get("/t/alpha/contracts/").status_code == 403


def test_hook_saas_contract_obligations_lists_each_measurable_clause(client, world, make_contract):
    contract = make_contract(
        world.tenant("alpha"), world.clients("alpha")[0], onsite_arrival_hours=6, penalty_rate=Decimal("0.1250")
    )
    client.sign_in(world.person("alpha", "vendor_admin").email)
    tab = client.get(
        f"/t/alpha/contracts/{contract.id}?tab=obligations", headers={"HX-Request": "true", "HX-Target": "contract-tab"}
    ).get_data(as_text=True)
    assert "<html" not in tab
    for clause in ("§1.2", "§4.1", "§2.1.2", "§2.2.2", "§2.3.2", "§3.1.2", "§8.2", "§7.2", "Part 2 §7.2"):
        assert f">{clause}<" in tab
    assert "within 6 hours" in tab and "12.5 per cent of the fee" in tab


def test_contract_list_filters_and_pages_by_keyset(client, db, world, make_contract):
    tenant = world.tenant("alpha")
    for _ in range(27):
        make_contract(tenant, world.clients("alpha")[0])
    other = make_contract(tenant, world.clients("alpha")[1], title="Other client")
    activate(db, other)
    client.sign_in(world.person("alpha", "vendor_admin").email)
    first = client.get("/t/alpha/contracts/").get_data(as_text=True)
    assert first.count("/t/alpha/contracts/") >= 25 and "after=" in first
    active = client.get("/t/alpha/contracts/?status=active").get_data(as_text=True)
    assert other.number in active and "HT-2026-0001" not in active
    by_client = client.get(f"/t/alpha/contracts/?client={world.clients('alpha')[1].id}").get_data(as_text=True)
    assert other.number in by_client and "HT-2026-0002<" not in by_client


def test_default_terms_are_read_without_writing_and_prefill_new_contracts(client, db, world):
    from saas.contracts.models import ContractDefaults

    client.sign_in(world.person("alpha", "vendor_admin").email)
    page = client.get("/t/alpha/contracts/defaults").get_data(as_text=True)
    assert 'value="HT-{year}-{seq}"' in page
    assert db.session.scalar(select(ContractDefaults)) is None  # reading the page writes nothing
    form = {
        **{k: str(v) for k, v in services.draft_terms(world.tenant("alpha")).items()},
        "onsite_arrival_hours": "6",
        "number_pattern": "SV-{year}-{seq}",
    }
    assert client.post_form("/t/alpha/contracts/defaults", form).status_code == 302
    assert db.session.scalar(select(ContractDefaults)).onsite_arrival_hours == 6
    new = client.get("/t/alpha/contracts/new").get_data(as_text=True)
    assert 'name="onsite_arrival_hours" required type="number" value="6"' in new


def test_s1_1_the_first_two_contracts_of_a_year_drafted_at_once_take_numbers_one_and_two(
    db, clock, world, app, make_contract
):
    """Nobody has a counter for the year yet: both find none, both make one; the loser waits and takes the next."""
    from saas.extensions import db as database
    from saas.testing.race import at_once

    tenant = world.tenant("alpha")
    make_contract(tenant, world.clients("alpha")[0])  # the catalogue exists; this year's counter too
    clock.set(datetime(2031, 1, 1, 1, 0, tzinfo=UTC))  # a new year: no counter row for 2031
    db.session.commit()
    tenant_id = tenant.id

    def allocate():
        with app.app_context():
            from saas.core.models import Tenant

            number = services.allocate_number(database.session.get(Tenant, tenant_id), 2031)
            database.session.commit()
            return number

    numbers = at_once(allocate, allocate)
    assert sorted(n[-4:] for n in numbers) == ["0001", "0002"]
