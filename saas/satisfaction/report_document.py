"""The service report as a document (§12.1): self-contained HTML with its charts as inline SVG, the PDF made from it
(WeasyPrint, CJK fonts embedded) in Chinese or English, and the vendor sending it to the client's admins."""

from datetime import timedelta
from functools import cache

from flask import current_app
from flask_babel import force_locale
from flask_babel import gettext as _
from sqlalchemy import select

from saas.contracts.models import Contract
from saas.core import audit
from saas.core.links import external_url
from saas.core.mail import MailAttachment, both_languages, send_mail
from saas.core.models import MailMessage, Membership, Role, User
from saas.credits.services import STATUS_LABELS as CREDIT_STATUS_LABELS
from saas.extensions import db
from saas.satisfaction.evaluation_views import LABELS
from saas.satisfaction.report import ReportRange, category_name, report_for
from saas.satisfaction.report_charts import charts_of, clause_label, svg_of

LANGUAGES = ("zh_Hans_CN", "en")
DOCUMENT_CSS = "/static/css/document.css"
REPORT_LABELS = {**LABELS, "credit_statuses": CREDIT_STATUS_LABELS}


def context_of(contract: Contract, span: ReportRange, report: dict) -> dict:
    """What the report's templates use, on screen and in the document."""
    return {
        "contract": contract,
        "span": span,
        "report": report,
        "labels": REPORT_LABELS,
        "clause_label": clause_label,
        "category_name": category_name,
        "one_day": timedelta(days=1),
    }


def render_html(contract: Contract, span: ReportRange, language: str) -> str:
    """The report in one language as a self-contained HTML document (the PDF's source), charts as SVG."""
    if language not in LANGUAGES:
        raise ValueError(language)
    with force_locale(language):
        report = report_for(contract, span.start, span.end)
        charts = charts_of(report)
        return current_app.jinja_env.get_template("satisfaction/report_document.html").render(
            **context_of(contract, span, report),
            charts=charts,
            vendor=contract.tenant,
            client=contract.client,
            svgs={name: svg_of(spec) for name, spec in charts.items()},
            css_url=DOCUMENT_CSS,
            language=language,
            printable=True,
        )


def render_pdf(contract: Contract, span: ReportRange, language: str) -> bytes:
    from saas.core.pdf import html_to_pdf

    return html_to_pdf(render_html(contract, span, language))


def pdf_filename(contract: Contract, span: ReportRange, language: str) -> str:
    return f"{contract.number}-{span.slug}-{'zh' if language.startswith('zh') else 'en'}.pdf"


def client_admins(contract: Contract) -> list[User]:
    """The active admins of the agreement's client: whom the report goes to."""
    return db.session.scalars(
        select(User)
        .join(Membership, Membership.user_id == User.id)
        .where(
            Membership.tenant_id == contract.tenant_id,
            Membership.client_id == contract.client_id,
            Membership.role == Role.CLIENT_ADMIN,
            User.active.is_(True),
        )
        .order_by(User.id)
    ).all()


def send_report(contract: Contract, span: ReportRange, actor: User) -> tuple[int, int]:
    """Mail the report to the client's admins, with its link and the PDF in both languages, once per agreement,
    range and person (the mail's dedupe key): returns (sent now, sent before)."""
    people = client_admins(contract)
    key = f"service-report:{contract.id}:{span.kind}:{span.value}"
    keys = {f"{key}:{person.id}" for person in people}
    before = set()
    if keys:
        before = set(db.session.scalars(select(MailMessage.dedupe_key).where(MailMessage.dedupe_key.in_(keys))))
    link = external_url(
        "portal_evaluation_reports.portal_report", tenant=contract.tenant.slug, contract_id=contract.id, **span.args
    )

    def made_once(language):
        return cache(lambda: render_pdf(contract, span, language))

    attachments = tuple(
        MailAttachment(pdf_filename(contract, span, language), "application/pdf", made_once(language))
        for language in LANGUAGES
    )

    def body():
        return _(
            "%(vendor)s sends you the service report of agreement %(number)s for %(start)s to %(end)s (§12.1): SLA "
            "compliance per clause, your requests, breaches and credits, on-site visits, ratings, the evaluation "
            "and the improvement measures.\n\nRead it online: %(link)s\nThe report is attached as PDF.",
            vendor=contract.tenant.legal_name,
            number=contract.number,
            start=span.start.isoformat(),
            end=span.last_day.isoformat(),
            link=link,
        )

    subject = both_languages(
        lambda: _(
            "Service report of agreement %(number)s, %(start)s to %(end)s",
            number=contract.number,
            start=span.start.isoformat(),
            end=span.last_day.isoformat(),
        ),
        " / ",
    )
    text = both_languages(body)
    sent = 0
    for person in people:
        dedupe = f"{key}:{person.id}"
        if dedupe in before:
            continue
        send_mail(
            dedupe_key=dedupe,
            to=person.email,
            subject=subject,
            body=text,
            tenant_id=contract.tenant_id,
            attachments=attachments,
        )
        sent += 1
    if sent:
        audit.record(
            "satisfaction.report_sent",
            tenant_id=contract.tenant_id,
            target=contract,
            actor=actor,
            range=f"{span.kind}:{span.value}",
            recipients=sent,
        )
        db.session.commit()
    return sent, len(before)
