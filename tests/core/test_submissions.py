"""One submission, one result: every form carries a one-time token; a repeat is sent to the first result."""

import re
from pathlib import Path

from sqlalchemy import select

from saas.core.submissions import FormSubmission
from saas.testing.fixtures import valid_uscc
from saas.testing.race import once_token

ROOT = Path(__file__).resolve().parents[2]


def test_s7_1_every_form_is_built_on_the_products_form_with_its_one_time_token():
    """A form on FlaskForm directly would have no one-time submission token: a double click could make two."""
    direct = [
        str(path.relative_to(ROOT))
        for folder in ("saas", "plugins")
        for path in (ROOT / folder).rglob("*.py")
        if re.search(r"class \w+\(FlaskForm\)", path.read_text()) and path != ROOT / "saas/core/forms.py"
    ]
    assert direct == []
    from saas.core.forms import AppForm, LoginForm

    assert AppForm.once and not LoginForm.once


def test_s7_1_the_sign_in_form_has_no_one_time_token_and_others_have_a_fresh_one_each_time(client, world):
    assert 'name="_once"' not in client.get("/login").get_data(as_text=True)
    client.sign_in(world.person("alpha", "vendor_admin").email)
    first = once_token(client.get("/t/alpha/clients/new").get_data(as_text=True))
    assert first != once_token(client.get("/t/alpha/clients/new").get_data(as_text=True))


def test_s7_1_a_token_sent_by_another_person_does_not_show_them_the_first_result(client, world, db, app):
    client.sign_in(world.person("alpha", "vendor_admin").email)
    token = once_token(client.get("/t/alpha/clients/new").get_data(as_text=True))
    made = client.post_form(
        "/t/alpha/clients/new", {"legal_name": "上海某某公司", "uscc": valid_uscc(515151), "_once": token}
    )
    assert made.status_code == 302
    assert db.session.scalar(select(FormSubmission.location).where(FormSubmission.token == token)) == made.location
    other = app.test_client()
    other.sign_in(world.person("alpha", "vendor_engineer").email)
    answer = other.post_form(
        "/t/alpha/clients/new", {"legal_name": "另一家", "uscc": valid_uscc(616161), "_once": token}
    )
    assert answer.status_code == 303 and answer.location != made.location
    from saas.core.models import Client

    assert db.session.scalar(select(Client.id).where(Client.legal_name == "另一家")) is None


def test_s7_1_one_time_tokens_are_forgotten_a_day_after_no_form_can_send_them(client, world, db, clock):
    from datetime import timedelta

    from saas.core.tasks import forget_old_form_tokens

    client.sign_in(world.person("alpha", "vendor_admin").email)
    token = once_token(client.get("/t/alpha/clients/new").get_data(as_text=True))
    client.post_form("/t/alpha/clients/new", {"legal_name": "某公司", "uscc": valid_uscc(717171), "_once": token})
    clock.set(clock.now() + timedelta(hours=23))
    assert forget_old_form_tokens() == 0
    clock.set(clock.now() + timedelta(hours=2))
    assert forget_old_form_tokens() == 1
    assert db.session.scalar(select(FormSubmission.token)) is None
