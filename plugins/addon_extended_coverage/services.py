"""Extended coverage (§13): while an add-on agreement of this type runs on a request's received day, new requests of
its categories get its coverage (7×24, a shorter response); where it applied is kept for the request page and the
compliance view."""

from datetime import datetime

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import and_, case, func, or_, select

from plugins.addon_extended_coverage.models import CoverageApplied
from saas.addons import services as addons
from saas.addons.models import AddonAgreement, AddonStatus
from saas.core.clock import local_date
from saas.core.plugins import AddonTerm, AddonType, RequestCoverage
from saas.extensions import db
from saas.requests.coverage import applied_coverage
from saas.requests.models import RequestCategory, ServiceRequest
from saas.requests.services import STANDARD_CATEGORIES

NAME = "addon_extended_coverage"
#: The coverages an agreement may give: around the clock (no 7×12 calendar exists among the standard ones).
AROUND_THE_CLOCK = "7x24"


def addon_type() -> AddonType:
    """The add-on type this plugin provides: its terms and how it is priced."""
    return AddonType(
        name=NAME,
        label_zh="延伸支持（7×24）",
        label_en="Extended coverage (7×24)",
        description_zh="所选请求类别在附加服务期内按 7×24 小时计算响应与解决时限，或更短的响应时间。",
        description_en="The chosen request categories are served around the clock (7×24), or with a shorter "
        "response time, while the add-on runs.",
        terms=(
            AddonTerm("categories", _l("Request categories (codes, comma-separated)"), "text", default="FAULT"),
            AddonTerm(
                "coverage",
                _l("Coverage"),
                "choice",
                default=AROUND_THE_CLOCK,
                choices=((AROUND_THE_CLOCK, _l("7×24 (around the clock)")),),
            ),
            AddonTerm(
                "response_hours",
                _l("Response hours (0: the main agreement's)"),
                "int",
                default=0,
                minimum=0,
                maximum=720,
            ),
        ),
        pricing=("monthly", "yearly", "one_off"),
        check_terms=check_terms,
    )


def check_terms(tenant, terms: dict) -> str | None:
    """Why the terms name no request category, or one the tenant does not have (else a code would match nothing)."""
    codes = codes_in(terms.get("categories"))
    if not codes:
        return _("Request categories: name at least one, by its code.")
    known = {
        c.upper()
        for c in db.session.scalars(select(RequestCategory.code).where(RequestCategory.tenant_id == tenant.id))
    }
    # a tenant without categories yet gets the standard ones on first use (requests.categories)
    unknown = sorted(codes - (known or {code for code, *_rest in STANDARD_CATEGORIES}))
    if unknown:
        return _("Request categories: %(codes)s is not a category code of yours.", codes=", ".join(unknown))
    return None


def category_codes(agreement: AddonAgreement) -> set[str]:
    """The request categories the agreement covers, as codes (upper case, as the categories keep them)."""
    return codes_in((agreement.terms or {}).get("categories"))


def codes_in(text) -> set[str]:
    """Category codes from the term's text: comma-separated (either comma), upper case as categories keep them."""
    text = str(text or "")
    return {code.strip().upper() for code in text.replace("，", ",").split(",") if code.strip()}


def coverage_for(req: ServiceRequest, contract, category) -> list[RequestCoverage]:
    """The coverage of the add-on running under the request's agreement on its received day, if its category is one
    the agreement covers."""
    day = local_date(contract.tenant, req.received_at)
    agreement = addons.running_for(contract.id, NAME, day)
    if agreement is None or category.code.upper() not in category_codes(agreement):
        return []
    hours = int(agreement.terms.get("response_hours") or 0)
    return [
        RequestCoverage(
            source=f"{NAME}:{agreement.id}",
            label=_l("Extended coverage (add-on agreement %(number)s)", number=agreement.number),
            around_the_clock=agreement.terms.get("coverage", AROUND_THE_CLOCK) == AROUND_THE_CLOCK,
            response_hours=hours or None,
        )
    ]


def _when(text: str | None) -> datetime | None:
    return datetime.fromisoformat(text) if text else None


def record(req: ServiceRequest) -> CoverageApplied | None:
    """Keep where this add-on's coverage applied to a request just raised (the requests domain chose it)."""
    applied = applied_coverage(req)
    prefix = f"{NAME}:"
    if not applied or not str(applied.get("source", "")).startswith(prefix):
        return None
    agreement = AddonAgreement.get_in(req.tenant_id, applied["source"].removeprefix(prefix), req.client_id)
    if agreement is None:
        return None
    calendars, hours = applied["calendar"], applied["response_hours"]
    row = CoverageApplied(
        tenant_id=req.tenant_id,
        client_id=req.client_id,
        request_id=req.id,
        agreement_id=agreement.id,
        contract_id=req.contract_id,
        calendar_before=calendars[0] or "",
        calendar_after=calendars[1] or "",
        response_hours_before=hours[0],
        response_hours_after=hours[1],
        response_due_before=_when(applied["response_due_at"][0]),
        response_due_after=_when(applied["response_due_at"][1]),
        resolution_due_before=_when(applied["resolution_due_at"][0]),
        resolution_due_after=_when(applied["resolution_due_at"][1]),
    )
    db.session.add(row)
    db.session.flush()
    return row


def of_request(req: ServiceRequest) -> CoverageApplied | None:
    """Where the add-on applied to this request, or None."""
    return db.session.scalar(
        select(CoverageApplied).where(CoverageApplied.tenant_id == req.tenant_id, CoverageApplied.request_id == req.id)
    )


def of_contract(contract, limit: int = 50) -> list[CoverageApplied]:
    """The newest requests of the main agreement that were under the add-on, with their requests."""
    from sqlalchemy.orm import joinedload

    return db.session.scalars(
        select(CoverageApplied)
        .where(CoverageApplied.tenant_id == contract.tenant_id, CoverageApplied.contract_id == contract.id)
        .options(joinedload(CoverageApplied.request), joinedload(CoverageApplied.agreement))
        .order_by(CoverageApplied.id.desc())
        .limit(limit)
    ).all()


def agreements_of(contract) -> list[AddonAgreement]:
    """The main agreement's add-ons of this type that were signed (running or ended)."""
    return db.session.scalars(
        select(AddonAgreement)
        .where(
            AddonAgreement.tenant_id == contract.tenant_id,
            AddonAgreement.contract_id == contract.id,
            AddonAgreement.addon_type == NAME,
            AddonAgreement.status.in_((AddonStatus.ACTIVE, AddonStatus.ENDED)),
            AddonAgreement.signed_on.is_not(None),
        )
        .order_by(AddonAgreement.starts_on)
    ).all()


def measure(contract) -> dict[str, int]:
    """The compliance view's counts of the responses owed under the add-on: applied, met on time, breached."""
    req = ServiceRequest
    on_time = and_(
        req.first_response_at.is_not(None),
        ~req.response_breached,
        or_(req.response_due_at.is_(None), req.first_response_at <= req.response_due_at),
    )
    applied, met, breached = db.session.execute(
        select(
            func.count(req.id),
            func.coalesce(func.sum(case((on_time, 1), else_=0)), 0),
            func.coalesce(func.sum(case((req.response_breached, 1), else_=0)), 0),
        )
        .select_from(CoverageApplied)
        .join(req, req.id == CoverageApplied.request_id)
        .where(CoverageApplied.tenant_id == contract.tenant_id, CoverageApplied.contract_id == contract.id)
    ).one()
    return {"applied": int(applied), "met": int(met), "breached": int(breached)}
