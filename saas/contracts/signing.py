"""Signing (§10.1, §14): the agreement is rendered once per version, both parties sign its exact bytes."""

import hashlib
from pathlib import Path

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import func, select

from saas.contracts import services
from saas.contracts.models import Contract, ContractDocument, ContractSignature, ContractStatus
from saas.core import audit
from saas.core.errors import ServiceError
from saas.core.money import format_money, quantize
from saas.extensions import db

LANGUAGES = ("zh_Hans_CN", "en")
#: The stylesheet the stored documents link to (part of their bytes, so it never moves).
DOCUMENT_CSS = "/static/css/document.css"


def render_document(contract: Contract, language: str, version: int) -> str:
    """The agreement as HTML in one language, from data only: the same data gives the same bytes."""
    template = current_app.jinja_env.get_template(f"contracts/document/agreement_{language}.html")
    rate = (contract.penalty_rate * 100).normalize()
    return template.render(
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
        version=version,
        css_url=DOCUMENT_CSS,
    )


def sha256(html: str) -> str:
    return hashlib.sha256(html.encode("utf-8")).hexdigest()


def current_version(contract: Contract) -> int:
    """The latest document version of a contract (0 before it was first sent for signatures)."""
    return db.session.scalar(
        select(func.coalesce(func.max(ContractDocument.version), 0)).where(ContractDocument.contract_id == contract.id)
    )


def freeze_documents(contract: Contract) -> int:
    """Render and store the agreement in both languages as the next version; returns the version."""
    version = current_version(contract) + 1
    for language in LANGUAGES:
        html = render_document(contract, language, version)
        db.session.add(ContractDocument(
            tenant_id=contract.tenant_id, client_id=contract.client_id, contract_id=contract.id, version=version,
            language=language, html=html, sha256=sha256(html),
        ))  # fmt: skip
    db.session.flush()
    return version


def documents(contract: Contract, version: int | None = None) -> list[ContractDocument]:
    """The stored documents of a version (the current one by default)."""
    version = version or current_version(contract)
    return db.session.scalars(
        select(ContractDocument).where(ContractDocument.contract_id == contract.id, ContractDocument.version == version)
        .order_by(ContractDocument.language.desc())
    ).all()  # fmt: skip


def signatures(contract: Contract, version: int | None = None) -> dict[str, ContractSignature]:
    """The signatures on a version, by party ("A", "B")."""
    version = version or current_version(contract)
    rows = db.session.scalars(
        select(ContractSignature).where(ContractSignature.contract_id == contract.id,
                                        ContractSignature.version == version)
    )  # fmt: skip
    return {s.party: s for s in rows}


def send_for_signatures(contract: Contract, actor=None) -> int:
    """Freeze a complete draft as the next document version and ask both parties to sign it."""
    services.submit_for_signatures(contract, actor)
    return freeze_documents(contract)


def withdraw(contract: Contract, actor=None) -> None:
    """Back to draft, while nobody has signed yet (a signed text is never taken back)."""
    if signatures(contract):
        raise ServiceError(_("A party has signed this version: it can no longer be taken back."))
    services.withdraw_to_draft(contract, actor)


def sign(contract: Contract, party: str, user, document_id: int, seen_sha256: str, ip: str = "", agent: str = ""):
    """Sign the exact document the signer saw; the second signature puts the contract in force (§10.1)."""
    if contract.status != ContractStatus.AWAITING_SIGNATURES:
        raise ServiceError(_("This contract is not waiting for signatures."))
    document = db.session.scalar(
        select(ContractDocument).where(ContractDocument.id == document_id, ContractDocument.contract_id == contract.id)
    )
    version = current_version(contract)
    if document is None or document.version != version:
        raise ServiceError(_("This is not the text waiting for signatures; reload the page."))
    if document.sha256 != sha256(document.html) or seen_sha256 != document.sha256:
        raise ServiceError(_("The text you saw is not the text on record; reload the page."))
    existing = signatures(contract, version)
    if party in existing:
        raise ServiceError(_("Your party has already signed this version."))
    signature = ContractSignature(
        tenant_id=contract.tenant_id, client_id=contract.client_id, contract_id=contract.id, version=version,
        party=party, document_id=document.id, sha256=document.sha256, user_id=user.id, signer_name=user.name,
        signer_email=user.email, ip=ip[:64], user_agent=(agent or "")[:300],
    )  # fmt: skip
    db.session.add(signature)
    db.session.flush()
    audit.record("contracts.signed", tenant_id=contract.tenant_id, target=contract, actor=user, party=party,
                 version=version, sha256=document.sha256)  # fmt: skip
    if {"A", "B"} <= {*existing, party}:
        contract.signed_on = services.local_today(contract.tenant)
        in_effect_from = max(contract.effective_date, contract.signed_on)
        services.transition(contract, ContractStatus.ACTIVE, user, kind="signed", note=in_effect_from.isoformat())
    return signature


def pdf(document: ContractDocument) -> bytes:
    """The stored document as PDF (WeasyPrint, CJK fonts embedded); the HTML stays the signed original."""
    import logging

    from weasyprint import HTML

    logging.getLogger("weasyprint.progress").setLevel(logging.WARNING)
    fetcher = _static_files_only(Path(current_app.static_folder).resolve())
    return HTML(string=document.html, base_url="file:///", url_fetcher=fetcher).write_pdf()


def _static_files_only(static: Path):
    """A WeasyPrint URL fetcher that serves the document's /static/... links from the app, and nothing else."""
    from weasyprint.urls import URLFetcher, URLFetcherResponse

    class StaticFetcher(URLFetcher):
        def fetch(self, url, headers=None):
            if url.startswith("file:///static/"):
                path = (static / url.removeprefix("file:///static/")).resolve()
                if path.is_relative_to(static) and path.is_file():
                    kind = "text/css" if path.suffix == ".css" else "application/octet-stream"
                    return URLFetcherResponse(url, body=path.read_bytes(), headers={"Content-Type": kind})
            raise ValueError(f"the agreement may only use the app's static files, not {url}")

    return StaticFetcher()
