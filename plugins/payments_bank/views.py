"""Screens of the bank-transfer plugin: the vendor's bank accounts."""

from flask import abort, flash, redirect, url_for
from flask_babel import gettext as _

from plugins.payments_bank.forms import BankAccountForm
from plugins.payments_bank.models import BankAccount
from plugins.payments_bank.services import delete_account, list_accounts, save_account
from saas.core.forms import ConfirmForm
from saas.core.models import Role
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
    """Remove a bank account."""
    row = get_or_404(BankAccount, account_id, current_tenant)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    delete_account(row)
    db.session.commit()
    flash(_("Removed."), "success")
    return redirect(url_for("plugin_payments_bank.accounts"))
