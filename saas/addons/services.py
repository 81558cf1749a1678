"""Add-on services (§13): the types the tenant's enabled plugins provide, the vendor's offers of them, and add-on
agreements under a client's main agreement — their terms checked against the type, their term inside the main
agreement's, their text frozen with its SHA-256 and signed by both parties through the contracts domain's signing,
in force from the second signature (§13.3), ended early with a reason."""

from datetime import date, timedelta

from flask_babel import force_locale
from flask_babel import gettext as _
from sqlalchemy import func, select
from sqlalchemy.orm import selectinload

from saas.addons.labels import FEE_COLUMNS, FEE_NAMES, terms_shown
from saas.addons.models import AddonAgreement, AddonCharge, AddonOffer, AddonStatus, Fee
from saas.billing.models import Invoice
from saas.billing.services import in_force
from saas.contracts import signing
from saas.contracts.models import Contract, ContractStatus
from saas.core import audit
from saas.core.clock import local_today
from saas.core.errors import ServiceError
from saas.core.forms import amount_error
from saas.core.mail import both_languages
from saas.core.models import AuditEvent, Tenant, User
from saas.core.money import minor_unit_places
from saas.core.parsing import InvalidAmount, clean_text, parse_amount
from saas.core.plugins import AddonType, plugin_manager
from saas.extensions import db

#: Main agreements an add-on may be signed under: in force (§13.1).
IN_FORCE = (ContractStatus.ACTIVE, ContractStatus.EXPIRING)
PARTIES = ("A", "B")
MAX_TEXT = 2000


def installed_types() -> dict[str, AddonType]:
    """Every add-on type of the installed plugins, by name (what charges already signed are measured with)."""
    return {t.name: t for group in plugin_manager().hook.saas_addon_types() for t in group}


def types_for(tenant: Tenant) -> dict[str, AddonType]:
    """The add-on types of the plugins enabled for the tenant: what its vendor may offer."""
    return {t.name: t for group in plugin_manager().for_tenant(tenant).saas_addon_types() for t in group}


def type_label(kind: AddonType | None, name: str, zh: bool) -> str:
    if kind is None:
        return name
    return kind.label_zh if zh else kind.label_en


# Terms -------------------------------------------------------------------------------------------------------------


def clean_terms(kind: AddonType, data: dict, tenant: Tenant) -> dict:
    """The type's terms from `data` (defaults where missing), each checked against its kind and range, then by the
    type's own check against the tenant's data, if it has one."""
    cleaned = {}
    for term in kind.terms:
        raw = data.get(term.name, term.default)
        if term.kind == "bool":
            value = raw in (True, "1", "true", "on", "y", "yes")
        elif term.kind == "text":
            value = clean_text(str(raw or ""), multiline=False).strip()[:MAX_TEXT]
        elif term.kind == "choice":
            value = str(raw or "")
            if value not in {c for c, _label in term.choices}:
                raise ServiceError(_("%(term)s: choose one of the values offered.", term=term.label))
        else:
            try:
                value = parse_amount(raw, places=0 if term.kind == "int" else 2, negative=False)
            except InvalidAmount as exc:
                raise ServiceError(f"{term.label}: {amount_error(exc, 0 if term.kind == 'int' else 2)}") from exc
            if (term.minimum is not None and value < term.minimum) or (
                term.maximum is not None and value > term.maximum
            ):
                raise ServiceError(
                    _(
                        "%(term)s: from %(low)s to %(high)s.",
                        term=term.label,
                        low=term.minimum if term.minimum is not None else 0,
                        high=term.maximum if term.maximum is not None else "∞",
                    )
                )
            value = int(value) if term.kind == "int" else str(value)
        cleaned[term.name] = value
    why = kind.check_terms(tenant, cleaned) if kind.check_terms else None
    if why:
        raise ServiceError(str(why))
    return cleaned


# Offers ------------------------------------------------------------------------------------------------------------


def _price(value, fee: str, currency: str):
    if value in (None, ""):
        return None
    places = minor_unit_places(currency)
    try:
        return parse_amount(value, places=places, negative=False)
    except InvalidAmount as exc:
        raise ServiceError(f"{str(FEE_NAMES[fee])}: {amount_error(exc, places)}") from exc


def save_offer(tenant: Tenant, data: dict, actor: User, offer: AddonOffer | None = None) -> AddonOffer:
    """Make or change an offer of an add-on type enabled for the tenant, with its prices (the fees the type allows,
    at least one, in the currency's minor unit) and default terms, in both languages."""
    kinds = types_for(tenant)
    name = data.get("addon_type") if offer is None else offer.addon_type
    kind = kinds.get(name)
    if kind is None:
        raise ServiceError(_("This add-on is not enabled for your organisation."))
    names = {k: clean_text(str(data.get(k) or ""), multiline=False).strip() for k in ("name_zh", "name_en")}
    if not all(names.values()):
        raise ServiceError(_("Name the offer in both languages."))
    currency = str(data.get("currency") or "CNY")
    prices = {fee: _price(data.get(FEE_COLUMNS[fee]), fee, currency) for fee in Fee}
    unknown = [fee for fee, value in prices.items() if value is not None and fee not in kind.pricing]
    if unknown:
        raise ServiceError(_("%(fee)s: this add-on is not priced that way.", fee=str(FEE_NAMES[unknown[0]])))
    if all(value is None for value in prices.values()):
        raise ServiceError(_("Give the offer at least one fee."))
    terms = clean_terms(kind, data.get("terms") or {}, tenant)
    created = offer is None
    offer = offer or AddonOffer(tenant_id=tenant.id, addon_type=name)
    offer.name_zh, offer.name_en = names["name_zh"][:200], names["name_en"][:200]
    offer.description_zh = clean_text(str(data.get("description_zh") or "")).strip()[:MAX_TEXT]
    offer.description_en = clean_text(str(data.get("description_en") or "")).strip()[:MAX_TEXT]
    offer.currency = currency
    for fee, column in FEE_COLUMNS.items():
        setattr(offer, column, prices[fee])
    offer.default_terms = terms
    offer.active = bool(data.get("active", True))
    db.session.add(offer)
    db.session.flush()
    audit.record("addons.offer_saved", tenant_id=tenant.id, target=offer, actor=actor, created=created)
    return offer


# Agreements --------------------------------------------------------------------------------------------------------


def _term(contract: Contract, data: dict, earliest: date) -> tuple[date, date]:
    """The add-on's first day and the day after its last, from `data`, inside the main agreement's term."""
    start, stop = in_force(contract)
    starts_on = data.get("starts_on") or max(earliest, local_today(contract.tenant))
    ends_on = data.get("ends_on") or stop
    if not isinstance(starts_on, date) or not isinstance(ends_on, date):
        raise ServiceError(_("Give the add-on's first day and the day after its last."))
    if starts_on < earliest or ends_on > stop or ends_on <= starts_on:
        raise ServiceError(
            _(
                "An add-on runs inside its agreement's term, from %(start)s to %(end)s, and cannot outlive it.",
                start=earliest.isoformat(),
                end=stop.isoformat(),
            )
        )
    return starts_on, ends_on


def _fees(offer: AddonOffer, kind: AddonType, data: dict, base) -> dict[str, object]:
    """The fees as agreed: `base`'s (the offer, or the agreement amended), or those `data` gives instead."""
    fees = {}
    for fee, column in FEE_COLUMNS.items():
        value = data[column] if column in data else getattr(base, column)
        value = _price(value, fee, offer.currency) if isinstance(value, str) else value
        if value is not None and fee not in kind.pricing:
            raise ServiceError(_("%(fee)s: this add-on is not priced that way.", fee=str(FEE_NAMES[fee])))
        fees[column] = value
    if all(value is None for value in fees.values()):
        raise ServiceError(_("Give the offer at least one fee."))
    return fees


def _write(contract, offer, kind, *, starts_on, ends_on, terms, fees, actor, by_client=False, amends=None):
    """Write the agreement and freeze its text for both signatures; one waiting per agreement and offer (or per
    agreement amended), so two submissions at once make one."""
    signing.lock(contract)  # two proposals at once are made one after the other: the second finds the first
    waiting = select(AddonAgreement.id).where(
        AddonAgreement.contract_id == contract.id, AddonAgreement.status == AddonStatus.AWAITING_SIGNATURES
    )
    waiting = waiting.where(
        AddonAgreement.amends_id == amends.id if amends is not None else AddonAgreement.offer_id == offer.id
    )
    if db.session.scalar(waiting) is not None:
        raise ServiceError(
            _("An amendment of this add-on already waits for signatures.")
            if amends is not None
            else _("This add-on already waits for signatures on this agreement.")
        )
    count = db.session.scalar(select(func.count(AddonAgreement.id)).where(AddonAgreement.contract_id == contract.id))
    agreement = AddonAgreement(
        tenant_id=contract.tenant_id,
        client_id=contract.client_id,
        contract_id=contract.id,
        offer_id=offer.id,
        number=f"{contract.number}-A{count + 1:02d}",
        addon_type=offer.addon_type,
        terms=terms,
        currency=offer.currency,
        starts_on=starts_on,
        ends_on=ends_on,
        status=AddonStatus.AWAITING_SIGNATURES,
        requested_by_client=by_client,
        amends_id=amends.id if amends is not None else None,
        **fees,
    )
    agreement.contract, agreement.offer, agreement.amends = contract, offer, amends
    db.session.add(agreement)
    db.session.flush()
    signing.freeze(contract, agreement.subject, lambda language: render_document(agreement, language))
    audit.record(
        "addons.agreement_amendment_proposed" if amends is not None else "addons.agreement_proposed",
        tenant_id=contract.tenant_id,
        target=agreement,
        actor=actor,
        number=agreement.number,
        **({"amends": amends.number} if amends is not None else {}),
    )
    return agreement


def propose(contract: Contract, offer: AddonOffer, data: dict, actor: User, *, by_client: bool = False):
    """Write an add-on agreement under the main agreement and freeze its text for both signatures (§13.1, §13.3):
    inside the main agreement's term, of an offer enabled for the tenant, its terms checked; one waiting per
    agreement and offer, so two submissions at once make one."""
    tenant = contract.tenant
    if offer.tenant_id != contract.tenant_id or not offer.active:
        raise ServiceError(_("Choose one of the add-ons on offer."))
    kind = types_for(tenant).get(offer.addon_type)
    if kind is None:
        raise ServiceError(_("This add-on is not enabled for your organisation."))
    if contract.status not in IN_FORCE:
        raise ServiceError(_("An add-on is signed under an agreement in force."))
    starts_on, ends_on = _term(contract, data, in_force(contract)[0])
    terms = clean_terms(kind, {**(offer.default_terms or {}), **(data.get("terms") or {})}, tenant)
    fees = _fees(offer, kind, {}, offer)
    return _write(
        contract,
        offer,
        kind,
        starts_on=starts_on,
        ends_on=ends_on,
        terms=terms,
        fees=fees,
        actor=actor,
        by_client=by_client,
    )


def amend(agreement: AddonAgreement, data: dict, actor: User) -> AddonAgreement:
    """Propose an amendment of a signed add-on (§13.3, as §10.2 for the main agreement): new terms or fees from a
    day on, in its own text signed by both; once signed it replaces the agreement from that day (the one-off fee
    is not charged again)."""
    if agreement.status != AddonStatus.ACTIVE or agreement.ended_from is not None:
        raise ServiceError(_("Only an add-on in force can be amended."))
    contract = agreement.contract
    kind = types_for(contract.tenant).get(agreement.addon_type)
    if kind is None:
        raise ServiceError(_("This add-on is not enabled for your organisation."))
    if contract.status not in IN_FORCE:
        raise ServiceError(_("An add-on is signed under an agreement in force."))
    earliest = max(agreement.starts_on + timedelta(days=1), local_today(contract.tenant))
    starts_on, _ends = _term(contract, {"starts_on": data.get("starts_on"), "ends_on": agreement.ends_on}, earliest)
    terms = clean_terms(kind, {**(agreement.terms or {}), **(data.get("terms") or {})}, contract.tenant)
    fees = _fees(agreement.offer, kind, {**data, "one_off_fee": None}, agreement)
    if terms == agreement.terms and all(
        fees[c] == getattr(agreement, c) for c in FEE_COLUMNS.values() if c != "one_off_fee"
    ):
        raise ServiceError(_("The amendment changes nothing: change a term or a fee."))
    return _write(
        contract,
        agreement.offer,
        kind,
        starts_on=starts_on,
        ends_on=agreement.ends_on,
        terms=terms,
        fees=fees,
        actor=actor,
        amends=agreement,
    )


def render_document(agreement: AddonAgreement, language: str) -> str:
    """The add-on agreement's text in one language, from data only (the same data gives the same bytes)."""
    kind = installed_types().get(agreement.addon_type)
    zh = language.startswith("zh")
    with force_locale(language):
        terms = terms_shown(agreement, kind)  # a choice by its label, a yes/no in the document's language
        return signing.render(
            f"addons/document/addon_{language}.html",
            agreement.contract,
            language,
            agreement=agreement,
            offer=agreement.offer,
            type_label=type_label(kind, agreement.addon_type, zh),
            unit=(kind.unit_zh if zh else kind.unit_en) if kind else "",
            terms=terms,
            addon_last_day=agreement.ends_on - timedelta(days=1),
        )


def documents(agreement: AddonAgreement):
    return signing.documents_for(agreement.contract, agreement.subject)


def signatures(agreement: AddonAgreement):
    return signing.signatures_for(agreement.contract, agreement.subject)


def sign(agreement: AddonAgreement, party: str, user: User, document_id: int, seen_sha256: str, ip="", agent=""):
    """Sign the add-on's text for one party; the second signature puts it in force (§13.3). True then."""
    signing.lock(agreement.contract)
    db.session.refresh(agreement)
    if agreement.status != AddonStatus.AWAITING_SIGNATURES:
        raise ServiceError(_("This add-on is not waiting for signatures."))
    if party not in PARTIES:
        raise ServiceError(_("You may not sign for either party."))
    if not signing.sign_subject(
        agreement.contract, agreement.subject, party, user, document_id, seen_sha256, ip, agent
    ):
        return False
    agreement.status = AddonStatus.ACTIVE
    agreement.signed_on = local_today(agreement.contract.tenant)
    amended = agreement.amends
    if amended is not None and amended.status == AddonStatus.ACTIVE and amended.ended_from is None:
        # the amendment replaces it from its first day: the amended one bills nothing from then on
        amended.ended_from, amended.status = agreement.starts_on, AddonStatus.ENDED
        amended.ended_reason = both_languages(lambda: _("Amended by %(number)s.", number=agreement.number), " / ")
    db.session.flush()
    audit.record(
        "addons.agreement_signed", tenant_id=agreement.tenant_id, target=agreement, actor=user, number=agreement.number
    )
    return True


def end(agreement: AddonAgreement, from_day: date, reason: str, actor: User) -> None:
    """End an add-on early from a day (nothing billed from then on), saying why; one not signed yet is withdrawn."""
    reason = clean_text(reason or "").strip()
    if not reason:
        raise ServiceError(_("Say why the add-on ends."))
    if agreement.status == AddonStatus.ENDED:
        raise ServiceError(_("This add-on has ended already."))
    if agreement.status == AddonStatus.ACTIVE and not agreement.starts_on <= from_day <= agreement.ends_on:
        raise ServiceError(
            _(
                "It can end from %(start)s to %(end)s.",
                start=agreement.starts_on.isoformat(),
                end=agreement.ends_on.isoformat(),
            )
        )
    agreement.ended_from = from_day if agreement.status == AddonStatus.ACTIVE else agreement.starts_on
    agreement.ended_reason = reason[:MAX_TEXT]
    agreement.status = AddonStatus.ENDED
    db.session.flush()
    audit.record(
        "addons.agreement_ended",
        tenant_id=agreement.tenant_id,
        target=agreement,
        actor=actor,
        number=agreement.number,
        from_day=agreement.ended_from.isoformat(),
    )


def of_contract(contract: Contract) -> list[AddonAgreement]:
    """The main agreement's add-ons, newest first."""
    return db.session.scalars(
        select(AddonAgreement).where(AddonAgreement.contract_id == contract.id).order_by(AddonAgreement.id.desc())
    ).all()


def active_on(tenant_id: int, plugin: str) -> int:
    """How many signed add-ons of a plugin's type still run for the tenant (disabling it would orphan them)."""
    return db.session.scalar(
        select(func.count(AddonAgreement.id)).where(
            AddonAgreement.tenant_id == tenant_id,
            AddonAgreement.addon_type == plugin,
            AddonAgreement.status.in_((AddonStatus.ACTIVE, AddonStatus.AWAITING_SIGNATURES)),
        )
    )


def running_for(contract_id: int, addon_type: str, day: date) -> AddonAgreement | None:
    """The signed add-on of this type that runs under the main agreement on `day` (None: none does).

    What an add-on plugin asks before it changes the service: a request's coverage, a bank's hours."""
    return db.session.scalars(
        select(AddonAgreement)
        .where(
            AddonAgreement.contract_id == contract_id,
            AddonAgreement.addon_type == addon_type,
            AddonAgreement.status.in_((AddonStatus.ACTIVE, AddonStatus.ENDED)),
            AddonAgreement.starts_on <= day,
            AddonAgreement.ends_on > day,
            (AddonAgreement.ended_from.is_(None)) | (AddonAgreement.ended_from > day),
        )
        .order_by(AddonAgreement.starts_on.desc(), AddonAgreement.id.desc())
        .limit(1)
    ).first()


def list_agreements(tenant: Tenant, *, client_id=None, status: str = "", after: int | None = None, limit: int = 25):
    """One page of the tenant's add-on agreements (one client's, or of one status), newest first (keyset on id);
    returns (rows, next_after)."""
    stmt = (
        select(AddonAgreement)
        .options(
            selectinload(AddonAgreement.contract).selectinload(Contract.client),  # the list names each client
            selectinload(AddonAgreement.offer),
        )
        .where(AddonAgreement.tenant_id == tenant.id)
    )
    if client_id is not None:
        stmt = stmt.where(AddonAgreement.client_id == client_id)
    if status:
        stmt = stmt.where(AddonAgreement.status == status)
    if after:
        stmt = stmt.where(AddonAgreement.id < after)
    rows = db.session.scalars(stmt.order_by(AddonAgreement.id.desc()).limit(limit + 1)).all()
    return rows[:limit], (rows[limit - 1].id if len(rows) > limit else None)


def list_offers(tenant: Tenant, *, offered_only: bool = False) -> list[AddonOffer]:
    """The vendor's offers (a handful: no paging); `offered_only`: active ones of types enabled for the tenant."""
    offers = db.session.scalars(
        select(AddonOffer).where(AddonOffer.tenant_id == tenant.id).order_by(AddonOffer.addon_type, AddonOffer.id)
    ).all()
    if not offered_only:
        return offers
    kinds = types_for(tenant)
    return [o for o in offers if o.active and o.addon_type in kinds]


def charges_of(agreement: AddonAgreement) -> list[AddonCharge]:
    """What the add-on was billed, newest first, each with its invoice."""
    return db.session.scalars(
        select(AddonCharge)
        .where(AddonCharge.agreement_id == agreement.id)
        .order_by(AddonCharge.period_start.desc(), AddonCharge.id.desc())
    ).all()


def history(agreement: AddonAgreement) -> list[AuditEvent]:
    """The add-on's history: proposed, signed, amended, ended (its audit events), newest first."""
    return db.session.scalars(
        select(AuditEvent)
        .options(selectinload(AuditEvent.actor))
        .where(
            AuditEvent.tenant_id == agreement.tenant_id,
            AuditEvent.target_type == AddonAgreement.__name__,
            AuditEvent.target_id == agreement.id,
        )
        .order_by(AuditEvent.id.desc())
    ).all()


def amendments(agreement: AddonAgreement) -> list[AddonAgreement]:
    """The agreements that amend this one, newest first."""
    return db.session.scalars(
        select(AddonAgreement).where(AddonAgreement.amends_id == agreement.id).order_by(AddonAgreement.id.desc())
    ).all()


def main_agreement_of(tenant: Tenant, client_id: int) -> Contract | None:
    """The client's main agreement in force that an add-on it asks for goes under (the latest to take effect)."""
    return db.session.scalar(
        select(Contract)
        .where(Contract.tenant_id == tenant.id, Contract.client_id == client_id, Contract.status.in_(IN_FORCE))
        .order_by(Contract.effective_date.desc(), Contract.id.desc())
        .limit(1)
    )


def invoice_numbers(invoice_ids: set) -> dict[int, str]:
    """The numbers of the invoices that took these charges, by id."""
    ids = [i for i in invoice_ids if i]
    if not ids:
        return {}
    return dict(db.session.execute(select(Invoice.id, Invoice.number).where(Invoice.id.in_(ids))).all())
