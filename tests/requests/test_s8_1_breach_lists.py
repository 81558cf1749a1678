"""§8.1.1–§8.1.3 recorded breaches as lists: the vendor's across its clients, filtered by client, kind and month;
each client's own in the portal, never another client's."""

from datetime import UTC, datetime

from saas.extensions import db
from saas.requests import services, sla


def breached(sla_alpha, world, clock, when, client_index=0):
    """A fault of a client raised at `when` and left unanswered past its 2-hour response deadline."""
    clock.set(when)
    req = services.create_request(
        sla_alpha["tenant"],
        world.clients("alpha")[client_index].id,
        {"category_id": sla_alpha["cats"]["FAULT"].id, "subject": f"故障 {when:%m-%d}"},
        world.person("alpha", "client_user" if client_index == 0 else "client_admin_2"),
    )
    db.session.commit()
    clock.set(when.replace(hour=when.hour + 3))
    sla.sweep()
    return req


def test_s8_1_2_the_vendor_lists_breaches_by_client_kind_and_month(
    db, client, world, clock, sla_alpha, make_signed_contract
):
    make_signed_contract(sla_alpha["tenant"], world.clients("alpha")[1], effective=sla_alpha["contract"].effective_date)
    db.session.commit()
    november = breached(sla_alpha, world, clock, datetime(2026, 11, 10, 2, 0, tzinfo=UTC))
    december = breached(sla_alpha, world, clock, datetime(2026, 12, 10, 2, 0, tzinfo=UTC))
    other = breached(sla_alpha, world, clock, datetime(2026, 12, 11, 2, 0, tzinfo=UTC), client_index=1)

    client.sign_in(world.person("alpha", "vendor_engineer").email)
    page = client.get("/t/alpha/breaches/").get_data(as_text=True)
    assert all(f">#{r.number}</a>" in page for r in (november, december, other))
    assert "Response deadline missed (§8.1.2)" in page
    by_month = client.get("/t/alpha/breaches/?month=2026-11").get_data(as_text=True)
    assert f">#{november.number}</a>" in by_month and f">#{december.number}</a>" not in by_month
    first_client = world.clients("alpha")[0].id
    by_client = client.get(f"/t/alpha/breaches/?client={first_client}").get_data(as_text=True)
    assert f">#{other.number}</a>" not in by_client and f">#{december.number}</a>" in by_client
    resolution = client.get("/t/alpha/breaches/?kind=resolution").get_data(as_text=True)
    assert "Response deadline missed" not in resolution.split("</select>", 2)[-1]  # rows of that kind only
    assert client.get("/t/alpha/breaches/?month=nonsense&client=x&after=-1").status_code == 200  # no filter, no 500
    fragment = client.get("/t/alpha/breaches/", headers={"HX-Request": "true"})
    assert fragment.status_code == 200 and "<html" not in fragment.get_data(as_text=True)

    client.sign_in(world.person("alpha", "client_user").email)
    mine = client.get("/t/alpha/portal/breaches/").get_data(as_text=True)
    assert f">#{november.number}</a>" in mine and f">#{other.number}</a>" not in mine
    client.sign_in(world.person("alpha", "client_admin_2").email)
    theirs = client.get(f"/t/alpha/portal/breaches/?client={first_client}").get_data(as_text=True)
    # a client= in the URL changes nothing: the portal shows the signed-in client's own
    assert f">#{other.number}</a>" in theirs and f">#{november.number}</a>" not in theirs
