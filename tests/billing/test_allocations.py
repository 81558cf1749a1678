"""§3.2.1 what a payment paid (shown with a bank statement line): its invoices, for many payments in one query."""

from contextlib import contextmanager
from decimal import Decimal

from sqlalchemy import event

from saas.billing import payments
from tests.billing.test_payments import invoices, pay  # noqa: F401 (the fixture)


@contextmanager
def count_queries(db):
    statements = []

    def before(conn, cursor, statement, *args):
        statements.append(statement)

    event.listen(db.engine, "before_cursor_execute", before)
    try:
        yield statements
    finally:
        event.remove(db.engine, "before_cursor_execute", before)


def test_s3_2_1_allocated_invoices_of_many_payments_in_one_query(invoices, world, db):  # noqa: F811
    january, february = invoices
    split = pay(world, "10000.00", "T-1")  # oldest first: all of January, then 2,000.00 of February
    payments.succeed(split)
    rest = pay(world, "1000.00", "T-2", february)
    payments.succeed(rest)
    waiting = pay(world, "5.00", "T-3")  # recorded, not succeeded: it paid nothing yet
    db.session.commit()
    alpha, beta = world.tenant("alpha"), world.tenant("beta")
    ids, _tenant_id = [split.id, rest.id, waiting.id], alpha.id  # loaded before counting: the commit expired them
    jan, feb = (january.id, january.number), (february.id, february.number)
    with count_queries(db) as statements:
        found = payments.allocated_invoices(alpha, ids)
    assert len(statements) == 1
    assert found == {
        split.id: [(*jan, Decimal("8000.00")), (*feb, Decimal("2000.00"))],
        rest.id: [(*feb, Decimal("1000.00"))],
        waiting.id: [],
    }
    assert found[split.id][1].number == february.number  # named fields, for templates
    assert payments.allocations_of(rest) == found[rest.id]
    assert payments.allocated_invoices(beta, [split.id]) == {split.id: []}  # another vendor sees nothing of them
    assert payments.allocated_invoices(alpha, []) == {}
