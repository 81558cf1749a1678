"""§3.1 the billing cycle, Kill Bill style: move the clock day by day, assert the exact invoices and nothing more."""

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, select

from saas.billing import services, tasks
from saas.billing.models import BillingRun, Invoice, InvoiceLine, InvoiceNumber
from saas.billing.periods import period, periods_between
from saas.contracts import changes, signing

SHANGHAI = ZoneInfo("Asia/Shanghai")


def at_local(day: date, hour=0, minute=30) -> datetime:
    return datetime(day.year, day.month, day.day, hour, minute, tzinfo=SHANGHAI)


def test_s3_1_2_periods_anchor_on_the_31st_and_come_back_after_short_months():
    """Effective 31 January (leap year): boundaries 29 Feb, 31 Mar, 30 Apr, 31 May; the periods tile the year."""
    anchor = date(2028, 1, 31)
    assert [period(anchor, n).end for n in range(5)] == [
        date(2028, 2, 29),
        date(2028, 3, 31),
        date(2028, 4, 30),
        date(2028, 5, 31),
        date(2028, 6, 30),
    ]
    year = periods_between(anchor, anchor, date(2029, 1, 31))
    assert len(year) == 12 and sum(p.days for p in year) == 366
    assert all(a.end == b.start for a, b in zip(year, year[1:], strict=False))
    assert period(date(2027, 1, 31), 0).end == date(2027, 2, 28)  # not a leap year
    assert [p.index for p in periods_between(anchor, date(2028, 3, 15), date(2028, 4, 1))] == [1, 2]


@pytest.fixture
def signed(db, world, make_contract, clock):
    """Alpha's first client: effective 31 January 2028, remote 3,000 and on-site 5,000 a month, net 30."""
    clock.set(at_local(date(2028, 1, 20), 10))

    def make(**terms):
        contract = make_contract(
            world.tenant("alpha"),
            world.clients("alpha")[0],
            effective=date(2028, 1, 31),
            lines=[("REMOTE", "1", "3000.00"), ("ONSITE", "1", "5000.00")],
            **terms,
        )
        signing.send_for_signatures(contract)
        for party, role in (("B", "vendor_admin"), ("A", "client_admin")):
            document = signing.documents(contract)[0]
            signing.sign(contract, party, world.person("alpha", role), document.id, document.sha256)
        db.session.commit()
        return contract

    return make


def run_days(clock, first: date, last: date) -> dict[date, list[str]]:
    """Run the nightly billing on every day from first to last (00:30 local); the numbers made each day."""
    made, day = {}, first
    while day <= last:
        clock.set(at_local(day))
        before = set(Invoice_numbers())
        tasks.run_billing()
        new = sorted(set(Invoice_numbers()) - before)
        if new:
            made[day] = new
        day += timedelta(days=1)
    return made


def Invoice_numbers():  # noqa: N802 (reads like the table)
    from saas.extensions import db

    return db.session.scalars(select(Invoice.number)).all()


def test_s3_1_2_month_by_month_through_a_leap_february_exactly_one_invoice_per_period(signed, clock, db):
    contract = signed()
    made = run_days(clock, date(2028, 1, 25), date(2028, 6, 2))
    assert made == {
        date(2028, 2, 29): ["INV-2028-000001"],
        date(2028, 3, 31): ["INV-2028-000002"],
        date(2028, 4, 30): ["INV-2028-000003"],
        date(2028, 5, 31): ["INV-2028-000004"],
    }
    invoices = db.session.scalars(select(Invoice).order_by(Invoice.id)).all()
    assert [(i.period_start, i.period_last_day, i.total, i.due_date) for i in invoices] == [
        (date(2028, 1, 31), date(2028, 2, 28), Decimal("8000.00"), date(2028, 3, 30)),
        (date(2028, 2, 29), date(2028, 3, 30), Decimal("8000.00"), date(2028, 4, 30)),
        (date(2028, 3, 31), date(2028, 4, 29), Decimal("8000.00"), date(2028, 5, 30)),
        (date(2028, 4, 30), date(2028, 5, 30), Decimal("8000.00"), date(2028, 6, 30)),
    ]
    assert all(i.contract_id == contract.id and i.balance == i.total for i in invoices)
    # running a day again, or the whole tenant by hand, makes nothing more
    clock.set(at_local(date(2028, 5, 31), 9))
    tasks.run_billing()
    assert tasks.start_run(contract.tenant_id) == 0
    assert db.session.scalar(select(func.count(Invoice.id))) == 4
    assert db.session.scalar(select(InvoiceNumber.last_value)) == 4
    run = db.session.scalar(
        select(BillingRun).where(BillingRun.run_day == date(2028, 5, 31), BillingRun.tenant_id == contract.tenant_id)
    )
    assert run.invoices_created == 1 and run.finished_at is not None


def test_s3_1_3_a_fee_changed_mid_period_is_prorated_by_days(signed, clock, db, world):
    """Remote support 3,000 → 4,500 from 15 March: the period 29 Feb – 30 Mar (31 days) splits 15/16."""
    contract = signed()
    clock.set(at_local(date(2028, 3, 10), 10))
    lines = [
        {
            "service_id": ln.service_id,
            "description": ln.description,
            "quantity": ln.quantity,
            "monthly_fee": Decimal("4500.00") if ln.monthly_fee == Decimal("3000.00") else ln.monthly_fee,
        }
        for ln in contract.lines
    ]
    terms = {name: getattr(contract, name) for name in changes.TERM_FIELDS}
    change = changes.propose_amendment(
        contract, terms, lines, date(2028, 3, 15), "扩容", world.person("alpha", "vendor_admin")
    )
    for party, role in (("B", "vendor_admin"), ("A", "client_admin")):
        document = signing.documents_for(contract, change.subject)[0]
        changes.sign_change(change, party, world.person("alpha", role), document.id, document.sha256)
    db.session.commit()
    run_days(clock, date(2028, 3, 31), date(2028, 4, 30))
    march, april = db.session.scalars(select(Invoice).order_by(Invoice.id).offset(1)).all()
    rows = [(ln.description, ln.unit_price, ln.days, ln.period_days, ln.amount) for ln in march.lines]
    remote, onsite = contract.lines[0].description, contract.lines[1].description
    assert rows == [
        (f"{remote} (2028-02-29 – 2028-03-14)", Decimal("3000.00"), 15, 31, Decimal("1451.61")),
        (onsite, Decimal("5000.00"), 31, 31, Decimal("5000.00")),
        (f"{remote} (2028-03-15 – 2028-03-30)", Decimal("4500.00"), 16, 31, Decimal("2322.58")),
    ]
    assert march.total == Decimal("8774.19")
    assert march.lines[2].source["change"] == change.number
    assert april.total == Decimal("9500.00")


def test_s10_3_a_termination_mid_period_bills_the_days_in_force_then_stops(signed, clock, db, world):
    contract = signed()
    clock.set(at_local(date(2028, 3, 5), 10))
    change = changes.propose_termination(contract, date(2028, 3, 15), "双方协商", world.person("alpha", "vendor_admin"))
    for party, role in (("B", "vendor_admin"), ("A", "client_admin")):
        document = signing.documents_for(contract, change.subject)[0]
        changes.sign_change(change, party, world.person("alpha", role), document.id, document.sha256)
    db.session.commit()
    made = run_days(clock, date(2028, 3, 6), date(2028, 5, 1))
    # the first run catches up the period missed in February; the last is billed when it ends, never again
    assert list(made) == [date(2028, 3, 6), date(2028, 3, 31)]
    last = db.session.scalars(select(Invoice).order_by(Invoice.id.desc())).first()
    assert [(ln.days, ln.amount) for ln in last.lines] == [(16, Decimal("1548.39")), (16, Decimal("2580.65"))]


def test_s3_1_2_a_chunk_that_dies_before_commit_leaves_no_invoice_and_no_gap(
    signed, clock, db, world, make_signed_contract
):
    first = signed()
    clock.set(at_local(date(2028, 1, 20), 10))
    second = make_signed_contract(world.tenant("alpha"), world.clients("alpha")[1], effective=date(2028, 1, 31))
    today = date(2028, 2, 29)
    clock.set(at_local(today))
    tenant = world.tenant("alpha")
    assert services.bill(tenant, [first.id], today) == 1
    db.session.rollback()  # the worker was killed before its commit
    assert db.session.scalar(select(func.count(Invoice.id))) == 0
    assert services.bill(tenant, [second.id, first.id], today) == 2
    db.session.commit()
    assert services.bill(tenant, [first.id, second.id], today) == 0  # a re-run: all billed already
    numbers = db.session.execute(select(Invoice.contract_id, Invoice.number).order_by(Invoice.number)).all()
    assert numbers == [(first.id, "INV-2028-000001"), (second.id, "INV-2028-000002")]
    assert db.session.scalar(select(func.count(InvoiceLine.id))) == 3


def test_s3_1_2_a_chunk_that_never_reported_is_planned_again_and_the_first_report_counts(signed, clock, db, world):
    """A re-run of the day plans again a chunk whose job never reported (its worker died) under the next attempt;
    a second run of a chunk, finding it billed, does not overwrite what the first reported."""
    contract = signed()
    tenant, today = world.tenant("alpha"), date(2028, 2, 29)
    clock.set(at_local(today))
    run, planned = services.plan_run(tenant, today)
    assert planned == [([contract.id], 1)]
    _run, planned = services.plan_run(tenant, today)  # the first job's worker was killed: nothing reported
    assert planned == [([contract.id], 2)] and run.chunks == 1
    assert services.bill(tenant, [contract.id], today) == 1
    services.chunk_done(run.id, [contract.id], 1)
    assert services.bill(tenant, [contract.id], today) == 0  # attempt 1 after all: it finds everything billed
    services.chunk_done(run.id, [contract.id], 0)
    db.session.commit()
    assert (run.chunks, run.chunks_done, run.invoices_created) == (1, 1, 1) and run.finished_at is not None
    assert services.plan_run(tenant, today)[1] == []  # nothing left to plan


def test_s3_1_2_dry_run_shows_the_next_bill_and_writes_nothing(signed, clock, db, client, world):
    signed()
    clock.set(at_local(date(2028, 2, 29), 9))
    client.sign_in(world.person("alpha", "vendor_billing").email)
    page = client.get("/t/alpha/billing/runs").get_data(as_text=True)
    dry = page[page.index('data-testid="dry-run"') :]
    assert "2028-01-31 – 2028-02-28" in dry and "8,000.00" in dry
    assert db.session.scalar(select(func.count(Invoice.id))) == 0
    client.post_form("/logout")
    client.sign_in(world.person("alpha", "vendor_admin").email)
    client.post_form("/t/alpha/billing/runs")
    assert db.session.scalar(select(func.count(Invoice.id))) == 1
    invoice = db.session.scalar(select(Invoice))
    listing = client.get("/t/alpha/billing/").get_data(as_text=True)
    assert invoice.number in listing
    assert "8,000.00" in client.get(f"/t/alpha/billing/{invoice.id}").get_data(as_text=True)
    client.post_form("/logout")
    client.sign_in(world.person("alpha", "client_admin").email)
    assert invoice.number in client.get("/t/alpha/portal/invoices/").get_data(as_text=True)
    assert client.get(f"/t/alpha/portal/invoices/{invoice.id}").status_code == 200
    client.post_form("/logout")
    client.sign_in(world.person("alpha", "client_admin_2").email)
    assert client.get(f"/t/alpha/portal/invoices/{invoice.id}").status_code == 404
    assert invoice.number not in client.get("/t/alpha/portal/invoices/").get_data(as_text=True)


def test_s3_1_2_each_tenant_bills_by_its_own_local_date(signed, clock, db, world):
    """At 23:30 UTC on 28 Feb it is already 29 Feb in Shanghai: the period has ended there."""
    signed()
    clock.set(datetime(2028, 2, 28, 15, 59, tzinfo=UTC))  # 23:59 on the 28th in Shanghai
    tasks.run_billing()
    assert db.session.scalar(select(func.count(Invoice.id))) == 0
    clock.set(datetime(2028, 2, 28, 16, 1, tzinfo=UTC))  # 00:01 on the 29th in Shanghai
    tasks.run_billing()
    assert db.session.scalar(select(func.count(Invoice.id))) == 1
