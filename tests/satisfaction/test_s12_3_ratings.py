"""§12.3 (and §11.1 "service quality"): the client rates each resolved request 1 to 5 with a comment, in the portal
(given once resolved, even after the client closed it; changeable until the request is closed) or through the link
e-mailed to its requester when it was resolved (signed, works once without signing in, expires); one rating per
request, whatever is sent twice."""

import re

import pytest
from sqlalchemy import func, select

from saas.core.clock import now
from saas.core.models import MailMessage
from saas.extensions import db
from saas.requests import services as requests
from saas.requests.models import RequestStatus
from saas.satisfaction import services
from saas.satisfaction.models import RatingAsk, RequestRating


@pytest.fixture
def resolved(alpha, raise_request, world, clock):
    """A request of alpha's first client, raised by its client user and resolved by the engineer."""
    req = raise_request(alpha, "REMOTE", subject="打印服务器无法连接")
    clock.advance(hours=1)
    requests.change_status(req, RequestStatus.RESOLVED, world.person("alpha", "vendor_engineer"), by_client=False)
    db.session.commit()
    return req


def asked_link(alpha) -> str:
    """The job's run, and the path of the link in the mail it sent."""
    assert services.ask_for_ratings(alpha["tenant"], now()) == 1
    db.session.commit()
    mail = db.session.scalar(select(MailMessage).where(MailMessage.dedupe_key.like("rating-ask:%")))
    return re.search(r"/rate/[^\s/]+", mail.body_text).group(0)


def test_s12_3_the_requester_is_asked_once_and_rates_through_the_link_once(db, client, world, alpha, resolved):
    link = asked_link(alpha)
    assert services.ask_for_ratings(alpha["tenant"], now()) == 0  # the job again: nobody asked twice
    mails = db.session.scalars(select(MailMessage).where(MailMessage.dedupe_key.like("rating-ask:%"))).all()
    assert [m.to for m in mails] == [world.person("alpha", "client_user").email]
    assert "请评价" in mails[0].subject and "How did we do" in mails[0].subject
    page = client.get(link)  # not signed in
    assert page.status_code == 200 and resolved.reference in page.get_data(as_text=True)
    done = client.post_form(link, {"score": "4", "comment": "很快"})
    assert done.status_code == 200 and "rating-done" in done.get_data(as_text=True)
    rating = db.session.scalar(select(RequestRating))
    assert (rating.score, rating.comment, rating.rated_by_id) == (4, "很快", world.person("alpha", "client_user").id)
    again = client.post_form(link, {"score": "1"})
    assert again.status_code == 410 and "rating-refusal" in again.get_data(as_text=True)
    assert db.session.scalar(select(RequestRating.score)) == 4
    tampered = client.get(link[:-3] + "abc")
    assert tampered.status_code == 404
    # both parties see it on the request's page
    client.sign_in(world.person("alpha", "vendor_engineer").email)
    vendor_page = client.get(f"/t/alpha/requests/{resolved.id}").get_data(as_text=True)
    assert 'data-testid="rating"' in vendor_page and "很快" in vendor_page and "rating-form" not in vendor_page


def test_s12_3_the_link_expires_and_a_bad_rating_writes_nothing(db, client, world, alpha, resolved, clock):
    link = asked_link(alpha)
    bad = client.post_form(link, {"score": "6"})
    assert bad.status_code == 422 and db.session.scalar(select(func.count(RequestRating.id))) == 0
    clock.advance(days=services.RATING_LINK_DAYS, minutes=1)
    expired = client.post_form(link, {"score": "5"})
    assert expired.status_code == 410 and db.session.scalar(select(func.count(RequestRating.id))) == 0
    assert db.session.scalar(select(RatingAsk.used_at)) is None


def test_s12_3_the_rating_changes_in_the_portal_until_the_request_is_closed(db, client, world, alpha, resolved):
    client.sign_in(world.person("alpha", "client_user").email)
    page = client.get(f"/t/alpha/portal/requests/{resolved.id}").get_data(as_text=True)
    assert "rating-form" in page
    url = f"/t/alpha/portal/ratings/{resolved.id}"
    first = client.post_form(url, {"score": "5", "comment": "满意"}, headers={"HX-Request": "true"})
    assert first.status_code == 200 and "<html" not in first.get_data(as_text=True)
    changed = client.post_form(url, {"score": "2", "comment": "又出现了"}, headers={"HX-Request": "true"})
    assert changed.status_code == 200 and "2 of 5" in changed.get_data(as_text=True)
    rating = db.session.scalar(select(RequestRating))
    assert (rating.score, rating.comment) == (2, "又出现了") and rating.changed_at is not None
    assert db.session.scalar(select(func.count(RequestRating.id))) == 1
    refused = client.post_form(url, {"score": "0"}, headers={"HX-Request": "true"})
    assert refused.status_code == 422 and 'class="error"' in refused.get_data(as_text=True)
    requests.change_status(resolved, RequestStatus.CLOSED, world.person("alpha", "client_user"), by_client=True)
    db.session.commit()
    assert "rating-form" not in client.get(f"/t/alpha/portal/requests/{resolved.id}").get_data(as_text=True)
    closed = client.post_form(url, {"score": "5"}, headers={"HX-Request": "true"})
    assert closed.status_code == 422 and "closed" in closed.get_data(as_text=True)
    assert db.session.scalar(select(RequestRating.score)) == 2
    # without HTMX: back to the request's page
    assert client.post_form(url, {"score": "5"}).status_code == 302


def test_s12_3_only_the_requester_or_its_clients_admin_rates(db, client, world, alpha, resolved):
    url = f"/t/alpha/portal/ratings/{resolved.id}"
    client.sign_in(world.person("alpha", "client_admin_2").email)  # another client's admin
    assert client.post_form(url, {"score": "5"}).status_code == 404
    client.sign_in(world.person("alpha", "vendor_admin").email)
    assert client.post_form(url, {"score": "5"}).status_code == 403
    client.sign_in(world.person("alpha", "client_admin").email)
    assert client.post_form(url, {"score": "3"}).status_code == 302
    assert db.session.scalar(select(RequestRating.score)) == 3


def test_s12_3_a_rating_given_twice_at_once_is_one_rating(db, world, alpha, resolved):
    user = world.person("alpha", "client_user")
    services.rate(resolved, user, 4, "a")
    services.rate(resolved, user, 4, "a")
    db.session.commit()
    assert db.session.scalar(select(func.count(RequestRating.id))) == 1
    with pytest.raises(services.RatingError):
        services.rate(resolved, user, "5.5")


def test_s12_3_a_request_the_client_closed_on_confirming_is_still_rated_once_and_reopened_is_not(
    db, client, world, alpha, resolved
):
    link = asked_link(alpha)
    user = world.person("alpha", "client_user")
    requests.change_status(resolved, RequestStatus.CLOSED, user, by_client=True)
    db.session.commit()
    assert client.post_form(link, {"score": "4"}).status_code == 200  # closed, never rated: the link still rates it
    with pytest.raises(services.RatingError, match="closed"):
        services.rate(resolved, user, 5)
    other = services.of_request(resolved)
    assert other.score == 4
    # a request reopened after the ask: its link waits for it to be resolved again
    req = requests.create_request(
        alpha["tenant"], resolved.client_id, {"category_id": alpha["cats"]["REMOTE"].id, "subject": "再次"}, user
    )
    requests.change_status(req, RequestStatus.RESOLVED, world.person("alpha", "vendor_engineer"), by_client=False)
    assert services.ask_for_ratings(alpha["tenant"], now()) == 1
    requests.change_status(req, RequestStatus.IN_PROGRESS, user, by_client=True)
    db.session.commit()
    ask = db.session.scalar(select(RatingAsk).where(RatingAsk.request_id == req.id))
    reopened = client.get(f"/rate/{services.link_token(ask)}")
    assert reopened.status_code == 410 and "reopened" in reopened.get_data(as_text=True)


def test_s12_3_the_link_sent_twice_at_once_rates_once(db, app, client, world, alpha, resolved):
    from saas.testing.race import at_once

    link = asked_link(alpha)
    browsers = [client, app.test_client()]
    tokens = [b.csrf_token(link) for b in browsers]
    answers = at_once(
        *(
            lambda b=b, t=t, s=s: b.post(link, data={"csrf_token": t, "score": s})
            for b, t, s in zip(browsers, tokens, ("5", "1"), strict=True)
        )
    )
    assert sorted(a.status_code for a in answers) in ([200, 410], [200, 422])
    rating = db.session.scalar(select(RequestRating))
    assert rating.changed_at is None  # the second use never overwrote the first
    assert db.session.scalar(select(func.count(RequestRating.id))) == 1


def test_s12_3_the_link_of_someone_no_longer_with_the_client_is_refused(db, client, world, alpha, resolved):
    link = asked_link(alpha)
    world.person("alpha", "client_user").active = False
    db.session.commit()
    refused = client.post_form(link, {"score": "5"})
    assert refused.status_code == 404 and db.session.scalar(select(func.count(RequestRating.id))) == 0
