"""The rules of contracts: catalogue, default terms, numbering, drafts, the status machine, dates and totals."""

from datetime import date, timedelta
from decimal import Decimal

from flask_babel import gettext as _
from sqlalchemy import or_, select

from saas.contracts.models import (
    TERM_FIELDS,
    TRANSITIONS,
    Calendar,
    Contract,
    ContractDefaults,
    ContractEvent,
    ContractLine,
    ContractNumber,
    ContractStatus,
    Service,
    ServiceKind,
)
from saas.core import audit
from saas.core.clock import add_months, local_today, now
from saas.core.counters import locked_counter
from saas.core.errors import ServiceError
from saas.core.links import external_url
from saas.core.mail import both_languages, send_mail
from saas.core.models import Membership, Role, Tenant
from saas.core.money import quantize, round_half_up
from saas.extensions import db

#: The services the agreement names (§2), offered to every vendor as a starting catalogue.
STANDARD_SERVICES = [
    ("REMOTE", ServiceKind.REMOTE_SUPPORT, "远程技术支持（7×24）", "Remote support (7x24)", "3000.00", Calendar.ALWAYS),
    ("ONSITE", ServiceKind.ONSITE_SUPPORT, "现场技术支持", "On-site support", "5000.00", Calendar.BUSINESS_HOURS),
    ("TRAINING", ServiceKind.TRAINING, "技术培训", "Training", "1500.00", Calendar.BUSINESS_HOURS),
    ("MONITOR", ServiceKind.MONITORING, "系统监控", "System monitoring", "2000.00", Calendar.ALWAYS),
    ("FAULT", ServiceKind.FAULT_HANDLING, "故障响应与处理", "Fault handling", "2500.00", Calendar.ALWAYS),
    ("UPGRADE", ServiceKind.UPGRADE, "系统升级与优化", "Upgrade and optimisation", "2000.00", Calendar.BUSINESS_HOURS),
    ("CONSULT", ServiceKind.CONSULTING, "售后咨询服务", "Consulting", "800.00", Calendar.BUSINESS_HOURS),
]

#: The longest renewal notice a contract may set (§1.2), in months.
MAX_NOTICE_MONTHS = 24


def add_standard_services(tenant: Tenant) -> int:
    """Add the §2 services missing from the tenant's catalogue; returns how many were added."""
    existing = set(db.session.scalars(select(Service.code).where(Service.tenant_id == tenant.id)))
    added = 0
    for code, kind, name_zh, name_en, fee, calendar in STANDARD_SERVICES:
        if code not in existing:
            db.session.add(
                Service(
                    tenant_id=tenant.id,
                    code=code,
                    kind=kind,
                    name_zh=name_zh,
                    name_en=name_en,
                    default_monthly_fee=Decimal(fee),
                    calendar=calendar,
                )
            )
            added += 1
    if added:
        audit.record("contracts.catalogue_seeded", tenant_id=tenant.id, count=added)
    return added


def list_services(tenant: Tenant, active_only: bool = False) -> list[Service]:
    """The tenant's catalogue, by code."""
    stmt = select(Service).where(Service.tenant_id == tenant.id)
    if active_only:
        stmt = stmt.where(Service.active)
    return db.session.scalars(stmt.order_by(Service.code)).all()


def save_service(tenant: Tenant, data: dict, service: Service | None = None) -> Service:
    """Create or update a catalogue entry; codes are unique per vendor."""
    code = data["code"].strip().upper()
    clash = select(Service.id).where(Service.tenant_id == tenant.id, Service.code == code)
    if service is not None:
        clash = clash.where(Service.id != service.id)
    if db.session.scalar(clash) is not None:
        raise ServiceError(_("Another service already has this code."))
    created = service is None
    service = service or Service(tenant_id=tenant.id)
    service.code = code
    for key in ("kind", "name_zh", "name_en", "description", "calendar", "active"):
        setattr(service, key, data[key])
    service.default_monthly_fee = quantize(data["default_monthly_fee"], tenant.currency)
    db.session.add(service)
    db.session.flush()
    audit.record(
        "contracts.service_added" if created else "contracts.service_changed",
        tenant_id=tenant.id,
        target=service,
        code=code,
    )
    return service


def defaults_for(tenant: Tenant) -> ContractDefaults:
    """The vendor's default terms; the product's own until the vendor saves theirs."""
    row = db.session.scalar(select(ContractDefaults).where(ContractDefaults.tenant_id == tenant.id))
    if row is None:  # not saved yet: the product's defaults (the columns' defaults), written only by save_defaults
        values = {c.key: c.default.arg for c in ContractDefaults.__table__.columns if c.default is not None}
        row = ContractDefaults(**values, tenant_id=tenant.id)
    return row


def draft_terms(tenant: Tenant) -> dict:
    """The terms a new contract starts from: the vendor's defaults."""
    defaults = defaults_for(tenant)
    return {name: getattr(defaults, name) for name in TERM_FIELDS}


def save_defaults(tenant: Tenant, data: dict) -> ContractDefaults:
    """Change the vendor's default terms (existing contracts keep theirs)."""
    row = defaults_for(tenant)
    for key in (*TERM_FIELDS, "number_pattern"):
        setattr(row, key, data[key])
    db.session.add(row)
    audit.record("contracts.defaults_changed", tenant_id=tenant.id)
    return row


def allocate_number(tenant: Tenant, year: int) -> str:
    """The next contract number of the year, without gaps: the counter row is locked until commit."""
    counter = locked_counter(ContractNumber, tenant_id=tenant.id, year=year)
    counter.last_value += 1
    db.session.flush()
    pattern = defaults_for(tenant).number_pattern
    return pattern.replace("{year}", str(year)).replace("{seq}", f"{counter.last_value:04d}")


def _apply(contract: Contract, data: dict, lines: list[dict]) -> None:
    for key in ("title", "effective_date", "party_a_signatory", "party_b_signatory", "signing_place", *TERM_FIELDS):
        setattr(contract, key, data[key])
    contract.ends_on = term_end(contract)
    contract.lines.clear()
    db.session.flush()
    for position, line in enumerate(lines):
        contract.lines.append(
            ContractLine(
                tenant_id=contract.tenant_id,
                client_id=contract.client_id,
                position=position,
                service_id=line.get("service_id"),
                description=line["description"],
                quantity=round_half_up(line["quantity"], 2),
                monthly_fee=quantize(line["monthly_fee"], contract.currency),
            )
        )


def create_draft(tenant: Tenant, client_id: int, data: dict, lines: list[dict], actor=None) -> Contract:
    """A new draft contract with a client of the tenant, numbered, its terms from the form."""
    from saas.core.models import Client

    client = db.session.scalar(select(Client).where(Client.id == client_id, Client.tenant_id == tenant.id))
    if client is None:
        raise ServiceError(_("Choose one of your clients."))
    contract = Contract(
        tenant_id=tenant.id,
        client_id=client.id,
        currency=tenant.currency,
        number=allocate_number(tenant, now().year),
        created_by_id=getattr(actor, "id", None),
    )
    db.session.add(contract)
    _apply(contract, data, lines)
    db.session.flush()
    record_event(contract, "created", actor)
    audit.record("contracts.created", tenant_id=tenant.id, target=contract, number=contract.number)
    return contract


def update_draft(contract: Contract, data: dict, lines: list[dict], actor=None) -> None:
    """Change a draft; a contract sent for signature or signed changes only by amendment (§10.2)."""
    if contract.status != ContractStatus.DRAFT:
        raise ServiceError(_("Only a draft can be edited; a signed contract changes only by an amendment."))
    _apply(contract, data, lines)
    record_event(contract, "edited", actor)


def transition(contract: Contract, to: ContractStatus, actor=None, kind: str = "status", note: str = "") -> None:
    """Move a contract to another status, if the machine allows it, and record who and when."""
    current = ContractStatus(contract.status)
    if to not in TRANSITIONS[current]:
        raise ServiceError(_("The agreement does not allow this change of status."))
    record_event(contract, kind, actor, from_status=current, to_status=to, note=note)
    contract.status = to
    db.session.flush()  # each step on its own, so the flush guard checks every transition


def submit_for_signatures(contract: Contract, actor=None) -> None:
    """Freeze a complete draft and ask both parties to sign it (§10.1)."""
    if not contract.lines:
        raise ServiceError(_("Before signatures, the contract needs at least one line in its fee schedule."))
    if not contract.party_a_signatory or not contract.party_b_signatory:
        raise ServiceError(_("Before signatures, the contract needs both signatories."))
    transition(contract, ContractStatus.AWAITING_SIGNATURES, actor, kind="sent_for_signatures")


def withdraw_to_draft(contract: Contract, actor=None) -> None:
    """Take a contract back from signature to draft, to change it."""
    transition(contract, ContractStatus.DRAFT, actor, kind="withdrawn")


def record_event(contract, kind, actor, from_status="", to_status="", note=""):
    """Append to a contract's history."""
    db.session.add(
        ContractEvent(
            tenant_id=contract.tenant_id,
            client_id=contract.client_id,
            contract_id=contract.id,
            actor_id=getattr(actor, "id", None),
            kind=kind,
            from_status=str(from_status),
            to_status=str(to_status),
            note=note,
        )
    )


def term_end(contract) -> date:
    """The first day after the term (§1.2): term_years after the effective date, month ends clamped."""
    return add_months(contract.effective_date, 12 * contract.term_years)


def last_day(contract) -> date:
    """The last day the contract is in force."""
    return term_end(contract) - timedelta(days=1)


def renewal_window_start(contract) -> date:
    """The day renewal talks are due (§1.2): renewal_notice_months before the term ends."""
    return add_months(term_end(contract), -contract.renewal_notice_months)


def _total(lines, currency: str) -> Decimal:
    """Lines given as (quantity, monthly fee) pairs: each rounded once to the currency, then added (§3.1.1)."""
    return sum((quantize(quantity * fee, currency) for quantity, fee in lines), Decimal(0)).quantize(Decimal("0.01"))


def monthly_total(contract) -> Decimal:
    """The fee schedule's total per month (§3.1.1): each line rounded once, then added."""
    return _total(((line.quantity, line.monthly_fee) for line in contract.lines), contract.currency)


def monthly_totals(tenant: Tenant, contracts) -> dict[int, Decimal]:
    """The monthly totals (§3.1.1) of a page of the tenant's contracts by id, from one query over their lines."""
    currency = {c.id: c.currency for c in contracts}
    lines: dict[int, list] = {contract_id: [] for contract_id in currency}
    if currency:
        rows = db.session.execute(
            select(ContractLine.contract_id, ContractLine.quantity, ContractLine.monthly_fee).where(
                ContractLine.tenant_id == tenant.id, ContractLine.contract_id.in_(list(currency))
            )
        )
        for contract_id, quantity, fee in rows:
            lines[contract_id].append((quantity, fee))
    # Added up here, not by SQL: SQLite stores these as scaled integers, and each line rounds to the currency.
    return {contract_id: _total(pairs, currency[contract_id]) for contract_id, pairs in lines.items()}


def history(contract: Contract) -> list[ContractEvent]:
    """A contract's events, oldest first, with who did each (loaded with them, not one query per event)."""
    from sqlalchemy.orm import selectinload

    return db.session.scalars(
        select(ContractEvent)
        .where(ContractEvent.tenant_id == contract.tenant_id, ContractEvent.contract_id == contract.id)
        .options(selectinload(ContractEvent.actor))
        .order_by(ContractEvent.id)
    ).all()


def refresh_statuses(tenant: Tenant) -> dict:
    """Move the tenant's in-force contracts into the renewal window or out of their term; safe to re-run."""
    today = local_today(tenant)
    moved = {"expiring": 0, "expired": 0}
    contracts = db.session.scalars(
        select(Contract).where(
            Contract.tenant_id == tenant.id,
            Contract.status.in_([ContractStatus.ACTIVE, ContractStatus.EXPIRING]),
            # renewal notice is at most MAX_NOTICE_MONTHS, so later ends cannot be in their window yet
            Contract.ends_on <= add_months(today, MAX_NOTICE_MONTHS),
        )
    ).all()
    for contract in contracts:
        if today >= term_end(contract):
            transition(contract, ContractStatus.EXPIRED, kind="expired", note=str(last_day(contract)))
            moved["expired"] += 1
        elif contract.status == ContractStatus.ACTIVE and today >= renewal_window_start(contract):
            transition(
                contract, ContractStatus.EXPIRING, kind="renewal_window", note=str(renewal_window_start(contract))
            )
            moved["expiring"] += 1
        if contract.status == ContractStatus.EXPIRING:
            remind_renewal(contract)  # every run: a reminder that failed to send goes out next time, never twice
    return moved


def list_contracts(
    tenant: Tenant,
    *,
    client_id=None,
    status="",
    expiring_days=None,
    query="",
    after=None,
    limit=25,
    exclude_drafts=False,
):
    """One page of the tenant's contracts, newest first (keyset on id); returns (rows, next_after)."""
    from sqlalchemy.orm import selectinload

    # The clients in one query; the monthly totals come from monthly_totals(), not from each row's lines.
    stmt = select(Contract).options(selectinload(Contract.client))
    stmt = stmt.where(Contract.tenant_id == tenant.id)
    if client_id:
        stmt = stmt.where(Contract.client_id == client_id)
    if status:
        stmt = stmt.where(Contract.status == status)
    if exclude_drafts:
        stmt = stmt.where(Contract.status != ContractStatus.DRAFT)
    if expiring_days is not None:
        horizon = local_today(tenant) + timedelta(days=expiring_days)
        stmt = stmt.where(
            Contract.status.in_([ContractStatus.ACTIVE, ContractStatus.EXPIRING]), Contract.ends_on <= horizon
        )
    if query:
        stmt = stmt.where(or_(Contract.number.ilike(f"%{query}%"), Contract.title.ilike(f"%{query}%")))
    if after:
        stmt = stmt.where(Contract.id < after)
    rows = db.session.scalars(stmt.order_by(Contract.id.desc()).limit(limit + 1)).all()
    return rows[:limit], (rows[limit - 1].id if len(rows) > limit else None)


def remind_renewal(contract: Contract) -> None:
    """Tell both parties' admins, once, that renewal talks are due (§1.2), in both languages."""
    admins = db.session.scalars(
        select(Membership).where(
            Membership.tenant_id == contract.tenant_id,
            or_(
                Membership.role == Role.VENDOR_ADMIN,
                (Membership.role == Role.CLIENT_ADMIN) & (Membership.client_id == contract.client_id),
            ),
        )
    ).all()
    for membership in admins:
        is_client = membership.role == Role.CLIENT_ADMIN
        page = "portal_contracts.portal_detail" if is_client else "contracts.detail"
        link = external_url(page, tenant=contract.tenant.slug, contract_id=contract.id)
        body = both_languages(
            lambda link=link: _(
                "Contract %(number)s (%(title)s) between %(vendor)s and %(client)s ends on %(day)s. Under §1.2 of the "
                "agreement, renewal talks are due from %(start)s.\n\n%(link)s",
                number=contract.number,
                title=contract.title,
                vendor=contract.tenant.legal_name,
                client=contract.client.legal_name,
                day=last_day(contract).isoformat(),
                start=renewal_window_start(contract).isoformat(),
                link=link,
            )
        )
        subject = both_languages(lambda: _("Renewal due: contract %(number)s", number=contract.number), " / ")
        send_mail(
            dedupe_key=f"renewal-reminder:{contract.id}:{membership.user_id}",
            to=membership.user.email,
            subject=subject,
            body=body,
            tenant_id=contract.tenant_id,
        )


def successor(contract: Contract) -> Contract | None:
    """The contract drafted to renew this one (§1.2), or None."""
    return db.session.scalar(
        select(Contract).where(Contract.tenant_id == contract.tenant_id, Contract.renewal_of_id == contract.id)
    )


def renew(contract: Contract, actor=None) -> Contract:
    """Draft the successor of a contract (§1.2): same client, terms and fees, from the day after it ends."""
    if contract.status not in (ContractStatus.ACTIVE, ContractStatus.EXPIRING, ContractStatus.EXPIRED):
        raise ServiceError(_("Only a contract that was in force can be renewed."))
    if db.session.scalar(select(Contract.id).where(Contract.renewal_of_id == contract.id)) is not None:
        raise ServiceError(_("This contract already has a successor."))
    data = {
        key: getattr(contract, key)
        for key in (*TERM_FIELDS, "title", "party_a_signatory", "party_b_signatory", "signing_place")
    }
    data["effective_date"] = term_end(contract)
    lines = [
        {
            "service_id": line.service_id,
            "description": line.description,
            "quantity": line.quantity,
            "monthly_fee": line.monthly_fee,
        }
        for line in contract.lines
    ]
    successor = create_draft(contract.tenant, contract.client_id, data, lines, actor)
    successor.renewal_of_id = contract.id
    record_event(contract, "renewal_drafted", actor, note=successor.number)
    return successor
