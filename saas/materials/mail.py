"""Mail about asks for materials to the client's admins: when asked, a day before the deadline, when overdue; each
once per ask (the mail dedupe key), in both languages."""

from datetime import datetime
from zoneinfo import ZoneInfo

from flask_babel import gettext as _
from sqlalchemy import select

from saas.core.links import external_url
from saas.core.mail import both_languages, mail_people
from saas.core.models import Membership, Role, User
from saas.extensions import db
from saas.jobs import task
from saas.materials.models import MaterialsRequest


def client_admins(materials: MaterialsRequest) -> list[tuple[User, bool]]:
    """The client's admins (user, is_vendor=False): who answers for Party A's obligations."""
    rows = db.session.scalars(
        select(User)
        .join(Membership, Membership.user_id == User.id)
        .where(
            Membership.tenant_id == materials.tenant_id,
            Membership.client_id == materials.client_id,
            Membership.role == Role.CLIENT_ADMIN,
            User.active,
        )
        .order_by(User.id)
    ).all()
    return [(user, False) for user in rows]


def _fmt(moment: datetime, zone: ZoneInfo) -> str:
    """A moment in the tenant's zone, the same in both languages of the mail."""
    return moment.astimezone(zone).strftime("%Y-%m-%d %H:%M")


def mail(materials: MaterialsRequest, what: str) -> int:
    """Mail the client's admins that materials were asked ("asked"), are due tomorrow ("reminder") or overdue."""
    req = materials.request
    slug = req.contract.tenant.slug
    link = external_url("portal_requests.portal_detail", tenant=slug, request_id=req.id)
    due = _fmt(materials.due_at, ZoneInfo(req.contract.tenant.timezone))

    def subject():
        if what == "asked":
            return _("Request %(ref)s: materials needed by %(due)s", ref=req.reference, due=due)
        if what == "reminder":
            return _("Request %(ref)s: the materials are due by %(due)s", ref=req.reference, due=due)
        return _("Request %(ref)s: the materials asked were not supplied by %(due)s", ref=req.reference, due=due)

    def body():
        lines = [subject(), "", materials.what, ""]
        if what == "overdue":
            lines.append(
                _(
                    "Not supplying the technical materials on time is a breach of the agreement by Party A "
                    "(Part 3, 说明二 1.2): it is recorded, and a penalty may follow (§8.2)."
                )
            )
        else:
            lines.append(_("The request's service-level clocks stand still until the materials arrive."))
        lines += ["", _("Supply them here: %(link)s", link=link)]
        return "\n".join(lines)

    return mail_people(
        client_admins(materials),
        key=f"materials-{what}:{materials.id}",
        tenant_id=materials.tenant_id,
        text_for=lambda is_vendor: (both_languages(subject, " / "), both_languages(body)),
    )


@task
def mail_asked(materials_ids: list[int]) -> int:
    """Tell the client's admins of each new ask, once each."""
    sent = 0
    for materials in db.session.scalars(select(MaterialsRequest).where(MaterialsRequest.id.in_(materials_ids))):
        sent += mail(materials, "asked")
    return sent
