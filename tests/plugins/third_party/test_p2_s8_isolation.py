"""Part 2 §8.2, isolation by construction: every route of the product, asked by the second subcontractor's person
with the ids of the first subcontractor's work (its request, file, agreement, breach, person), answers 403 or 404
and shows none of it; and nothing of the first's changes."""

from sqlalchemy import func, select

from plugins.third_party import work as tp_work
from plugins.third_party.models import Assignment, Breach, Member
from saas.extensions import db
from saas.requests import services as requests
from saas.requests.models import RequestEvent
from tests.plugins.third_party.conftest import raise_in

MARKER = "Marker-first-company-secret"


def test_p2_s8_no_route_shows_one_subcontractors_work_to_another(app, work, world, client):
    req = raise_in(work, world, subject=MARKER)
    tp_work.assign(req, work["subs"][0], work["admin"])
    event = requests.reply(req, work["admin"], f"{MARKER} note", by_client=False, internal=True)
    file = requests.attach(req, event, "secret.log", "text/plain", MARKER.encode(), False)
    breach = tp_work.record_breach(
        work["subs"][0],
        req,
        "below_standard",
        MARKER,
        req.received_at.date(),
        [("e.txt", "text/plain", b"x")],
        work["admin"],
    )
    db.session.commit()
    member = db.session.scalar(select(Member).where(Member.email == work["person"].email))
    ids = {
        "tenant": "alpha",
        "request_id": req.id,
        "attachment_id": file.id,
        "event_id": event.id,
        "subcontractor_id": work["subs"][0].id,
        "tp_agreement_id": work["agreements"][0].id,
        "tp_breach_id": breach.id,
        "tp_breach_file_id": tp_work.breach_files(breach)[0].id,
        "tp_member_id": member.id,
        "contract_id": work["contract"].id,
    }
    before = (
        db.session.scalar(select(func.count(RequestEvent.id))),
        db.session.scalar(select(func.count(Assignment.id))),
        db.session.scalar(select(func.count(Breach.id))),
    )
    app.config["WTF_CSRF_ENABLED"] = False
    try:
        client.sign_in(work["person_2"].email)
        checked = 0
        for rule in app.url_map.iter_rules():
            if "tenant" not in rule.arguments or not set(rule.arguments) & (set(ids) - {"tenant"}):
                continue
            if not set(rule.arguments) <= set(ids):
                continue
            url = rule.build({k: ids[k] for k in rule.arguments}, append_unknown=False)[1]
            for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
                response = client.open(url, method=method)
                assert response.status_code in (403, 404), f"{method} {url} answered {response.status_code}"
                assert MARKER not in response.get_data(as_text=True), f"{method} {url} shows the first's work"
                checked += 1
        assert checked > 30
    finally:
        app.config["WTF_CSRF_ENABLED"] = True
    after = (
        db.session.scalar(select(func.count(RequestEvent.id))),
        db.session.scalar(select(func.count(Assignment.id))),
        db.session.scalar(select(func.count(Breach.id))),
    )
    assert after == before
