"""Signing (§10.1, §14): a text is rendered once, stored, and both parties sign its exact bytes.

What is signed is a *subject*: the agreement's text version ("agreement-v1", "agreement-v2"…) or a
change agreement ("change-7", §10.2/§10.3). Each subject is stored in both languages.
"""

import hashlib
from collections.abc import Callable

from flask import current_app
from flask_babel import force_locale
from flask_babel import gettext as _
from sqlalchemy import func, select

from saas.contracts import services
from saas.contracts.models import Contract, ContractDocument, ContractSignature, ContractStatus
from saas.core import audit
from saas.core.clock import local_today
from saas.core.errors import ServiceError
from saas.core.money import format_money, quantize
from saas.core.plugins import plugin_manager
from saas.extensions import db

LANGUAGES = ("zh_Hans_CN", "en")
#: The stylesheet the stored documents link to (part of their bytes, so it never moves).
DOCUMENT_CSS = "/static/css/document.css"


def agreement_subject(version: int) -> str:
    return f"agreement-v{version}"


def render(template: str, contract: Contract, language: str, **context) -> str:
    """A document as HTML in one language, from data only: the same data gives the same bytes."""
    rate = (contract.penalty_rate * 100).normalize()
    return current_app.jinja_env.get_template(template).render(
        contract=contract,
        vendor=contract.tenant,
        client=contract.client,
        last_day=services.last_day(contract),
        renewal_from=services.renewal_window_start(contract),
        monthly_total=services.monthly_total(contract),
        term_total=services.monthly_total(contract) * 12 * contract.term_years,
        penalty_percent=f"{rate:f}",
        money=lambda amount: format_money(amount, contract.currency, language),
        line_amount=lambda line: quantize(line.quantity * line.monthly_fee, contract.currency),
        css_url=DOCUMENT_CSS,
        **context,
    )


def render_document(contract: Contract, language: str, version: int) -> str:
    """The agreement itself in one language (§14), with what the domains and plugins attach to its annexes."""
    return render(
        f"contracts/document/agreement_{language}.html",
        contract,
        language,
        version=version,
        annexes=annex_items(contract, language),
    )


def annex_items(contract: Contract, language: str) -> dict[int, list[str]]:
    """The lines each annex lists (saas_contract_annexes), in the document's language, in a stable order."""
    found: dict[int, list[str]] = {}
    with force_locale(language):
        for group in plugin_manager().for_tenant(contract.tenant).saas_contract_annexes(contract=contract):
            for annex in group:
                found.setdefault(annex.number, []).extend(annex.items)
    return found


def sha256(html: str) -> str:
    return hashlib.sha256(html.encode("utf-8")).hexdigest()


def freeze(contract: Contract, subject: str, render_language: Callable[[str], str], version: int = 0) -> None:
    """Store a subject's text in both languages, with the SHA-256 a signature will commit to."""
    for language in LANGUAGES:
        html = render_language(language)
        db.session.add(
            ContractDocument(
                tenant_id=contract.tenant_id,
                client_id=contract.client_id,
                contract_id=contract.id,
                subject=subject,
                version=version,
                language=language,
                html=html,
                sha256=sha256(html),
            )
        )
    db.session.flush()


def documents_for(contract: Contract, subject: str) -> list[ContractDocument]:
    """The stored texts of a subject, Chinese first."""
    return db.session.scalars(
        select(ContractDocument)
        .where(ContractDocument.contract_id == contract.id, ContractDocument.subject == subject)
        .order_by(ContractDocument.language.desc())
    ).all()


def signatures_for(contract: Contract, subject: str) -> dict[str, ContractSignature]:
    """The signatures on a subject, by party ("A", "B")."""
    rows = db.session.scalars(
        select(ContractSignature).where(
            ContractSignature.contract_id == contract.id, ContractSignature.subject == subject
        )
    )
    return {s.party: s for s in rows}


def lock(contract: Contract) -> None:
    """Hold the contract's row until commit, so two parties signing at once are counted one after the other."""
    db.session.execute(select(Contract.id).where(Contract.id == contract.id).with_for_update())


def sign_subject(contract, subject, party, user, document_id, seen_sha256, ip="", agent=""):
    """Sign the exact text the signer saw; returns True when this was the second party's signature."""
    lock(contract)
    document = db.session.scalar(
        select(ContractDocument).where(ContractDocument.id == document_id, ContractDocument.contract_id == contract.id)
    )
    if document is None or document.subject != subject:
        raise ServiceError(_("This is not the text waiting for signatures; reload the page."))
    if document.sha256 != sha256(document.html) or seen_sha256 != document.sha256:
        raise ServiceError(_("The text you saw is not the text on record; reload the page."))
    existing = signatures_for(contract, subject)
    if party in existing:
        raise ServiceError(_("Your party has already signed this version."))
    db.session.add(
        ContractSignature(
            tenant_id=contract.tenant_id,
            client_id=contract.client_id,
            contract_id=contract.id,
            subject=subject,
            version=document.version,
            party=party,
            document_id=document.id,
            sha256=document.sha256,
            user_id=user.id,
            signer_name=user.name,
            signer_email=user.email,
            ip=ip[:64],
            user_agent=(agent or "")[:300],
        )
    )
    db.session.flush()
    audit.record(
        "contracts.signed",
        tenant_id=contract.tenant_id,
        target=contract,
        actor=user,
        party=party,
        subject=subject,
        sha256=document.sha256,
    )
    return {"A", "B"} <= {*existing, party}


def current_version(contract: Contract) -> int:
    """The latest text version of the agreement (0 before it was first sent for signatures)."""
    return db.session.scalar(
        select(func.coalesce(func.max(ContractDocument.version), 0)).where(
            ContractDocument.contract_id == contract.id, ContractDocument.subject.startswith("agreement-")
        )
    )


def documents(contract: Contract, version: int | None = None) -> list[ContractDocument]:
    """The agreement's stored texts of a version (the current one by default)."""
    return documents_for(contract, agreement_subject(version or current_version(contract)))


def signatures(contract: Contract, version: int | None = None) -> dict[str, ContractSignature]:
    """The signatures on a version of the agreement, by party."""
    return signatures_for(contract, agreement_subject(version or current_version(contract)))


def freeze_documents(contract: Contract) -> int:
    """Render and store the agreement in both languages as its next version; returns the version."""
    version = current_version(contract) + 1
    freeze(contract, agreement_subject(version), lambda lang: render_document(contract, lang, version), version)
    return version


def send_for_signatures(contract: Contract, actor=None) -> int:
    """Freeze a complete draft as the next text version and ask both parties to sign it."""
    services.submit_for_signatures(contract, actor)
    return freeze_documents(contract)


def withdraw(contract: Contract, actor=None) -> None:
    """Back to draft, while nobody has signed yet (a signed text is never taken back)."""
    if signatures(contract):
        raise ServiceError(_("A party has signed this version: it can no longer be taken back."))
    services.withdraw_to_draft(contract, actor)


def sign(contract: Contract, party: str, user, document_id: int, seen_sha256: str, ip: str = "", agent: str = ""):
    """Sign the agreement's current text; the second signature puts the contract in force (§10.1)."""
    if contract.status != ContractStatus.AWAITING_SIGNATURES:
        raise ServiceError(_("This contract is not waiting for signatures."))
    subject = agreement_subject(current_version(contract))
    if sign_subject(contract, subject, party, user, document_id, seen_sha256, ip, agent):
        contract.signed_on = local_today(contract.tenant)
        in_effect_from = max(contract.effective_date, contract.signed_on)
        services.transition(contract, ContractStatus.ACTIVE, user, kind="signed", note=in_effect_from.isoformat())


def pdf(document: ContractDocument) -> bytes:
    """A stored document as PDF (WeasyPrint, CJK fonts embedded); the HTML stays the signed original."""
    from saas.core.pdf import html_to_pdf

    return html_to_pdf(document.html)
