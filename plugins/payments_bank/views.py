"""Screens of the bank-transfer plugin: accounts, statements and their lines, matching, import profiles."""

from flask import abort, flash, redirect, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select

from plugins.payments_bank import imports, matching
from plugins.payments_bank.forms import BankAccountForm, ImportForm, MatchForm, PresetForm, ProfileForm, SetAsideForm
from plugins.payments_bank.models import BankAccount, BankStatement, ImportProfile, LineStatus, StatementLine
from plugins.payments_bank.services import delete_account, list_accounts, save_account
from plugins.payments_bank.statements import COLUMNS, FORMATS, StatementError
from saas.core.clients import choices as client_choices
from saas.core.errors import ServiceError
from saas.core.forms import ConfirmForm, choices
from saas.core.i18n import format_money_filter
from saas.core.models import Client, Role
from saas.core.parsing import parse_id
from saas.core.plugins import plugin_blueprint
from saas.core.rendering import render
from saas.core.tenancy import current_tenant, get_or_404, roles_required
from saas.extensions import db

bp = plugin_blueprint("payments_bank", __name__)
staff = roles_required(Role.VENDOR_ADMIN, Role.VENDOR_BILLING)


@bp.get("/accounts")
@staff
def accounts():
    """The vendor's bank accounts."""
    return render("payments_bank/accounts.html", accounts=list_accounts(current_tenant), confirm=ConfirmForm())


@bp.route("/accounts/new", methods=["GET", "POST"])
@bp.route("/accounts/<int:account_id>", methods=["GET", "POST"])
@staff
def account(account_id=None):
    """Add or edit a bank account."""
    row = get_or_404(BankAccount, account_id, current_tenant) if account_id is not None else None
    form = BankAccountForm(obj=row)
    if form.validate_on_submit():
        save_account(current_tenant, form.data, row)
        db.session.commit()
        flash(_("Saved."), "success")
        return redirect(url_for("plugin_payments_bank.accounts"))
    return render("payments_bank/account_form.html", form=form, account=row)


@bp.post("/accounts/<int:account_id>/delete")
@staff
def delete(account_id):
    """Remove a bank account (one with imported statements stays: its lines refer to it)."""
    row = get_or_404(BankAccount, account_id, current_tenant)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    if db.session.scalar(select(BankStatement.id).where(BankStatement.account_id == row.id).limit(1)):
        flash(_("Statements were imported for this account: it cannot be removed."), "error")
        return redirect(url_for("plugin_payments_bank.accounts"))
    delete_account(row)
    db.session.commit()
    flash(_("Removed."), "success")
    return redirect(url_for("plugin_payments_bank.accounts"))


@bp.get("/statements")
@staff
def statements():
    """The statements imported so far, newest first; keyset pages."""
    rows, next_after = imports.list_statements(current_tenant, after=request.args.get("after", type=parse_id))
    return render(
        "payments_bank/statements.html",
        block="rows" if request.args.get("after") else "content",
        statements=rows,
        next_after=next_after,
        waiting=matching.waiting_count(current_tenant),
    )


def _import_form() -> ImportForm:
    form = ImportForm()
    form.account_id.choices = choices(
        (a.id, f"{a.bank_name} · {a.account_number} ({a.currency})") for a in list_accounts(current_tenant)
    )
    form.format.choices = choices(
        [*FORMATS.items()]
        + [(f"profile:{p.id}", _("%(name)s (CSV/XLSX)", name=p.name)) for p in imports.list_profiles(current_tenant)]
    )
    return form


@bp.route("/statements/import", methods=["GET", "POST"])
@staff
def import_statement():
    """Upload a statement for one of the accounts; its new credit lines are matched at once where certain."""
    form = _import_form()
    if form.validate_on_submit():
        account = get_or_404(BankAccount, form.account_id.data, current_tenant)
        profile = None
        if form.format.data.startswith("profile:"):
            profile = get_or_404(ImportProfile, form.format.data.removeprefix("profile:"), current_tenant)
        upload = form.file.data
        try:
            done = imports.import_statement(
                current_tenant, account, upload.filename or "", upload.read(), form.format.data, profile, current_user
            )
        except StatementError as exc:
            db.session.rollback()
            form.file.errors.append(str(exc))
        else:
            db.session.commit()
            flash(
                _(
                    "%(new)d new line(s), %(matched)d matched at once; %(known)d already known; %(debits)d debit(s) "
                    "skipped.",
                    **done.counts,
                ),
                "success",
            )
            _flash_warnings(done, account)
            return redirect(url_for("plugin_payments_bank.statement", statement_id=done.statement.id))
    return render("payments_bank/import.html", form=form, status=422 if form.errors else 200)


def _flash_warnings(done: imports.Imported, account: BankAccount) -> None:
    """What the import left for a person to check: other accounts' lines not taken, lines in another currency."""
    statement = done.statement
    if statement.lines_other_accounts:
        flash(
            _(
                "%(count)d line(s) of other accounts in the file were not taken: %(accounts)s. Import the file for "
                "each of those accounts to take theirs.",
                count=statement.lines_other_accounts,
                accounts=imports.listed(done.other_accounts),
            ),
            "info",
        )
    if statement.lines_other_currency:
        flash(
            _(
                "%(count)d new line(s) are not in %(currency)s, the account's currency: check them before matching "
                "them.",
                count=statement.lines_other_currency,
                currency=account.currency,
            ),
            "info",
        )


@bp.get("/statements/<int:statement_id>")
@staff
def statement(statement_id):
    """One imported statement: its file, its counts, and its credit lines with what became of each."""
    row = get_or_404(BankStatement, statement_id, current_tenant)
    lines, next_after = imports.list_lines(
        current_tenant, statement_id=row.id, after=request.args.get("after", type=parse_id)
    )
    return render(
        "payments_bank/statement.html",
        block="rows" if request.args.get("after") else "content",
        statement=row,
        lines=lines,
        next_after=next_after,
    )


@bp.get("/unmatched")
@staff
def unmatched():
    """The lines waiting for a person: whose payment each is, or that it is not a client payment."""
    lines, next_after = imports.list_lines(
        current_tenant, status=LineStatus.UNMATCHED, after=request.args.get("after", type=parse_id)
    )
    return render(
        "payments_bank/unmatched.html",
        block="rows" if request.args.get("after") else "content",
        lines=lines,
        next_after=next_after,
    )


def _match_form(line: StatementLine, client_id: int | None) -> MatchForm:
    """The matching form, its invoices those of the chosen client (or of the client the counterparty names)."""
    form = MatchForm()
    form.client_id.choices = choices([(0, _("Choose…")), *client_choices(current_tenant)])
    if client_id is None and not form.is_submitted():
        named = matching.client_named(current_tenant.id, line.counterparty_name)
        client_id = named.id if named else None
    if client_id and not form.is_submitted():
        form.client_id.data = client_id
    invoices = matching.open_invoices(client_id, line.currency) if client_id else []
    form.invoice_id.choices = choices(
        [("", _("None: the oldest open invoices first"))]
        + [
            (
                i.id,
                _(
                    "%(number)s of %(date)s, owes %(balance)s",
                    number=i.number,
                    date=i.issue_date.isoformat(),
                    balance=format_money_filter(i.balance, i.currency),
                ),
            )
            for i in invoices
        ]
    )
    return form


@bp.get("/lines/<int:line_id>")
@staff
def line(line_id):
    """One statement line: its details and, while it waits, the forms to match it or set it aside."""
    row = get_or_404(StatementLine, line_id, current_tenant)
    client_id = request.args.get("client_id", type=parse_id)
    if client_id is not None and not db.session.scalar(
        select(Client.id).where(Client.id == client_id, Client.tenant_id == current_tenant.id)
    ):
        client_id = None
    return render(
        "payments_bank/line.html",
        block="invoices" if client_id is not None else "content",
        line=row,
        form=_match_form(row, client_id),
        aside=SetAsideForm(formdata=None),
        paid=_paid_by(row),
    )


def _paid_by(row: StatementLine):
    """What the line's payment paid: the invoices it was allocated to, and the credit it left."""
    if row.payment is None:
        return []
    from saas.billing.payments import allocated_invoices

    return allocated_invoices(current_tenant, [row.payment_id])[row.payment_id]


@bp.post("/lines/<int:line_id>/match")
@staff
def match(line_id):
    """Record a waiting line as the chosen client's payment (once: a second click changes nothing)."""
    row = get_or_404(StatementLine, line_id, current_tenant)
    form = _match_form(row, request.form.get("client_id", type=parse_id))
    if form.validate_on_submit():
        try:
            payment = matching.match_manually(row, form.client_id.data, form.invoice_id.data, current_user)
        except ServiceError as exc:
            db.session.rollback()
            form.invoice_id.errors.append(str(exc))
        else:
            db.session.commit()
            if payment is None:
                flash(_("This line was already dealt with."), "info")
            else:
                flash(_("Recorded as a payment of %(client)s.", client=payment.client.legal_name), "success")
            return redirect(url_for("plugin_payments_bank.line", line_id=row.id))
    return render(
        "payments_bank/line.html", line=row, form=form, aside=SetAsideForm(formdata=None), paid=[], status=422
    )


@bp.post("/lines/<int:line_id>/set-aside")
@staff
def set_aside(line_id):
    """Mark a waiting line as not a client payment, with the reason."""
    row = get_or_404(StatementLine, line_id, current_tenant)
    aside = SetAsideForm()
    if aside.validate_on_submit():
        if matching.set_aside(row, aside.reason.data, current_user):
            flash(_("Set aside: not a client payment."), "success")
        else:
            flash(_("This line was already dealt with."), "info")
        db.session.commit()
        return redirect(url_for("plugin_payments_bank.line", line_id=row.id))
    return render("payments_bank/line.html", line=row, form=_match_form(row, None), aside=aside, paid=[], status=422)


@bp.get("/profiles")
@staff
def profiles():
    """The tenant's import profiles for CSV/XLSX exports, and the shipped presets to start from."""
    return render(
        "payments_bank/profiles.html",
        profiles=imports.list_profiles(current_tenant),
        presets=PresetForm(),
        confirm=ConfirmForm(),
        columns=COLUMNS,
    )


@bp.post("/profiles/presets")
@staff
def add_preset():
    """Copy a shipped preset (ICBC, CCB…) into the tenant's profiles."""
    form = PresetForm()
    if form.validate_on_submit():
        profile = imports.add_preset(current_tenant, form.preset.data)
        db.session.commit()
        flash(_("Profile %(name)s is ready.", name=profile.name), "success")
    return redirect(url_for("plugin_payments_bank.profiles"))


@bp.route("/profiles/new", methods=["GET", "POST"])
@bp.route("/profiles/<int:profile_id>", methods=["GET", "POST"])
@staff
def profile(profile_id=None):
    """Add or edit an import profile."""
    row = get_or_404(ImportProfile, profile_id, current_tenant) if profile_id is not None else None
    form = ProfileForm(obj=row, data=dict(row.columns) if row else None)
    if form.validate_on_submit():
        taken = db.session.scalar(
            select(ImportProfile.id).where(
                ImportProfile.tenant_id == current_tenant.id, ImportProfile.name == form.name.data.strip()
            )
        )
        if taken and (row is None or taken != row.id):
            form.name.errors.append(_("Another profile has this name."))
        else:
            imports.save_profile(current_tenant, form.data, row)
            db.session.commit()
            flash(_("Saved."), "success")
            return redirect(url_for("plugin_payments_bank.profiles"))
    return render(
        "payments_bank/profile_form.html", form=form, profile=row, columns=COLUMNS, status=422 if form.errors else 200
    )


@bp.post("/profiles/<int:profile_id>/delete")
@staff
def delete_profile(profile_id):
    """Remove an import profile."""
    row = get_or_404(ImportProfile, profile_id, current_tenant)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    imports.delete_profile(row)
    db.session.commit()
    flash(_("Removed."), "success")
    return redirect(url_for("plugin_payments_bank.profiles"))
