"""Part 2 §1.1: a subcontractor's qualifications are warned to the vendor admins 30 days before and on expiry,
once per qualification and threshold, whatever the job's re-runs; an injected clock moves the days."""

from datetime import UTC, date, datetime

from flask import g
from sqlalchemy import select

from plugins.third_party import services
from plugins.third_party.tasks import warn_expiring_qualifications
from saas.core.models import MailMessage
from saas.extensions import db


def mails():
    return db.session.scalars(
        select(MailMessage)
        .where(MailMessage.dedupe_key.startswith("third-party-qualification:"))
        .order_by(MailMessage.id)
    ).all()


def test_p2_s1_1_qualification_expiry_warned_once_per_threshold(tp, world, clock, make_user):
    make_user(tp["tenant"], "vendor_admin", email="second.admin@alpha.example.com")
    services.add_qualification(
        tp["sub"], {"name": "ITSS 三级", "number": "XZ-1", "expires_on": date(2026, 12, 31)}, None
    )
    services.add_qualification(tp["sub"], {"name": "Never lapses", "expires_on": None}, None)
    db.session.commit()
    clock.set(datetime(2026, 11, 30, 1, 0, tzinfo=UTC))  # 31 days before, in Shanghai
    assert warn_expiring_qualifications() == 0 and mails() == []
    clock.set(datetime(2026, 12, 1, 1, 0, tzinfo=UTC))  # 30 days before
    assert warn_expiring_qualifications() == 2
    assert sorted(m.to for m in mails()) == ["second.admin@alpha.example.com", "vendor_admin@alpha.example.com"]
    assert all("ITSS 三级" in m.subject and "2026-12-31" in m.body_text for m in mails())
    assert warn_expiring_qualifications() == 0  # a re-run the same day
    clock.set(datetime(2026, 12, 15, 1, 0, tzinfo=UTC))
    assert warn_expiring_qualifications() == 0  # still the same threshold
    clock.set(datetime(2026, 12, 31, 1, 0, tzinfo=UTC))  # the day it expires
    assert warn_expiring_qualifications() == 2
    assert warn_expiring_qualifications() == 0
    clock.set(datetime(2027, 1, 10, 1, 0, tzinfo=UTC))
    assert warn_expiring_qualifications() == 0
    assert [m.dedupe_key.split(":")[3] for m in mails()] == ["30d", "30d", "expired", "expired"]
    assert all(m.tenant_id == tp["tenant"].id for m in mails())


def test_p2_s1_1_no_warning_where_the_plugin_is_off_or_the_subcontractor_suspended(tp, world, clock, enable_plugin):
    services.add_qualification(tp["sub"], {"name": "ITSS", "expires_on": date(2026, 12, 1)}, None)
    db.session.commit()
    clock.set(datetime(2026, 11, 15, 1, 0, tzinfo=UTC))
    enable_plugin(tp["tenant"], "third_party", False)
    assert warn_expiring_qualifications() == 0
    enable_plugin(tp["tenant"], "third_party", True)
    g.pop("_enabled_plugins", None)  # the test's app context cached "off"; a worker's job starts a fresh one
    services.suspend(tp["sub"], "x", None)
    db.session.commit()
    assert warn_expiring_qualifications() == 0
    services.reactivate(tp["sub"], None)
    db.session.commit()
    assert warn_expiring_qualifications() == 1


def test_p2_s1_1_the_warning_job_is_registered_daily(app):
    from saas.core.plugins import periodic_jobs, plugin_manager

    with app.app_context():
        jobs = [j for j in periodic_jobs(plugin_manager()) if j.func.__name__ == "warn_expiring_qualifications"]
    assert len(jobs) == 1 and jobs[0].cron.endswith("* * *")
