"""What the contracts screens show, built by the views from the services: templates get these, never a service."""

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from saas.contracts import changes, services, signing
from saas.contracts.models import Contract, ContractStatus
from saas.core.models import Client, Tenant


@dataclass(frozen=True)
class ContractRow:
    """One line of a list of contracts."""

    id: int
    number: str
    title: str
    client_name: str
    status: str
    currency: str
    effective_date: date
    last_day: date
    monthly_total: Decimal


def contract_rows(tenant: Tenant, contracts: list[Contract]) -> list[ContractRow]:
    """A page of contracts as rows, their totals from one query (constant queries whatever the page's size)."""
    totals = services.monthly_totals(tenant, contracts)
    return [
        ContractRow(
            id=c.id,
            number=c.number,
            title=c.title,
            client_name=c.client.legal_name,
            status=c.status,
            currency=c.currency,
            effective_date=c.effective_date,
            last_day=services.last_day(c),
            monthly_total=totals[c.id],
        )
        for c in contracts
    ]


@dataclass(frozen=True)
class FeeLine:
    """A line of the fee schedule as shown: its amount per month is quantity × monthly fee."""

    description: str
    quantity: Decimal
    monthly_fee: Decimal
    amount: Decimal


@dataclass(frozen=True)
class SigningBlock:
    """The agreement's current version, its texts and its signatures by party (the signatures tab)."""

    version: int
    documents: list
    signatures: dict


@dataclass(frozen=True)
class ContractPage:
    """A contract's page: the header, the renewal and confidentiality notices, and the data of the open tab.

    Only the open tab's data is loaded; the others are left empty (a tab is asked for on its own by HTMX).
    """

    contract: Contract
    client: Client
    tab: str
    last_day: date
    renewal_from: date
    #: The contract drafted to renew this one (§1.2), if any.
    successor: Contract | None
    #: The day the duty of confidentiality ends (§7.2), once the contract has ended.
    confidentiality_until: date | None
    #: How a terminated contract ended: "terminated" (by agreement) or "terminated_for_breach" (by notice, §10.3).
    termination: str | None
    #: Someone has signed the current version (then the draft can no longer be taken back).
    has_signatures: bool
    sections: list
    lines: list[FeeLine] = field(default_factory=list)
    monthly_total: Decimal = Decimal(0)
    term_total: Decimal = Decimal(0)
    signing: SigningBlock | None = None
    changes: list = field(default_factory=list)
    #: The vendor may propose an amendment or termination now (in force, none open, §10.2–10.3).
    can_propose_change: bool = False
    obligations: list = field(default_factory=list)
    history: list = field(default_factory=list)


def contract_page(contract: Contract, tab: str, *, vendor_actions: bool, obligations, sections) -> ContractPage:
    """Everything `contract`'s page shows with `tab` open; `obligations` is called only for that tab."""
    status = contract.status
    ended = status in (ContractStatus.TERMINATED, ContractStatus.EXPIRED)
    awaiting = status == ContractStatus.AWAITING_SIGNATURES
    extra: dict = {}
    if tab == "fees":
        lines = contract.lines
        total = services.monthly_total(contract)
        extra.update(
            lines=[
                FeeLine(line.description, line.quantity, line.monthly_fee, line.quantity * line.monthly_fee)
                for line in lines
            ],
            monthly_total=total,
            term_total=total * 12 * contract.term_years,
        )
    elif tab == "signatures":
        version = signing.current_version(contract)
        if version:
            extra["signing"] = SigningBlock(
                version, signing.documents(contract, version), signing.signatures(contract, version)
            )
    elif tab == "changes":
        extra["changes"] = changes.list_changes(contract)
        in_force = status in (ContractStatus.ACTIVE, ContractStatus.EXPIRING)
        extra["can_propose_change"] = vendor_actions and in_force and changes.open_change(contract) is None
    elif tab == "obligations":
        extra["obligations"] = obligations()
    elif tab == "history":
        extra["history"] = services.history(contract)
    return ContractPage(
        contract=contract,
        client=contract.client,
        tab=tab,
        last_day=services.last_day(contract),
        renewal_from=services.renewal_window_start(contract),
        successor=services.successor(contract),
        confidentiality_until=changes.confidentiality_ends(contract) if ended else None,
        termination=changes.how_terminated(contract) if status == ContractStatus.TERMINATED else None,
        has_signatures=awaiting and bool(signing.signatures(contract)),
        sections=sections,
        **extra,
    )
