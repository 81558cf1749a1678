"""Screens of changes because of a third party (Part 2 §9.1, §10): tie an amendment of the agreement to the
subcontractor that makes it necessary, or propose ending the agreement because of one (signed as any termination)."""

from flask import flash, redirect, url_for
from flask_babel import gettext as _
from flask_login import current_user

from plugins.third_party import tp_changes
from plugins.third_party.forms import ThirdPartyTerminationForm, TieChangeForm
from plugins.third_party.liability import claimable_subcontractors
from plugins.third_party.models import Subcontractor
from plugins.third_party.views import _error_to_form, admin_only, bp
from saas.contracts.models import Contract, ContractChange
from saas.core.errors import ServiceError
from saas.core.forms import choices
from saas.core.tenancy import current_tenant, get_or_404
from saas.extensions import db


def change_forms(contract: Contract, tie: TieChangeForm | None = None, end: ThirdPartyTerminationForm | None = None):
    """The two forms of the agreement's third-party block, with their choices."""
    subs = [(0, _("— choose —"))] + [(s.id, s.legal_name) for s in claimable_subcontractors(contract)]
    tie = tie or TieChangeForm(formdata=None)
    tie.change_id.choices = choices([(0, _("— choose —"))] + [(c.id, c.number) for c in tp_changes.linkable(contract)])
    tie.subcontractor_id.choices = choices(subs)
    end = end or ThirdPartyTerminationForm(formdata=None)
    end.subcontractor_id.choices = choices(subs)
    return tie, end


def _back(contract: Contract, message: str, category: str):
    flash(message, category)
    return redirect(url_for("contracts.detail", contract_id=contract.id))


def _refused(form) -> str:
    return " ".join(str(e) for errors in form.errors.values() for e in errors)


@bp.post("/contracts/<int:contract_id>/changes/tie")
@admin_only
def tie_change(contract_id):
    """Record that an amendment of the agreement is raised because of a third party (Part 2 §9.1)."""
    contract = get_or_404(Contract, contract_id, current_tenant, for_update=True)
    form, _end = change_forms(contract, tie=TieChangeForm())
    if not form.validate_on_submit():
        return _back(contract, _refused(form), "error")
    try:
        change = ContractChange.get_in(current_tenant, form.change_id.data)
        if change is not None and change.contract_id != contract.id:
            change = None
        tp_changes.tie_amendment(
            change,
            Subcontractor.get_in(current_tenant, form.subcontractor_id.data),
            form.reason.data,
            current_user._get_current_object(),
        )
    except ServiceError as exc:
        db.session.rollback()
        return _back(contract, str(exc), "error")
    db.session.commit()
    return _back(
        contract, _("The amendment is recorded as raised because of the third party (Part 2 §9.1)."), "success"
    )


@bp.post("/contracts/<int:contract_id>/changes/terminate")
@admin_only
def terminate_because(contract_id):
    """Propose ending the agreement because of a third party (Part 2 §10): both parties then sign it."""
    contract = get_or_404(Contract, contract_id, current_tenant, for_update=True)
    _tie, form = change_forms(contract, end=ThirdPartyTerminationForm())
    if not form.validate_on_submit():
        return _back(contract, _refused(form), "error")
    try:
        change = tp_changes.propose_termination(
            contract,
            Subcontractor.get_in(current_tenant, form.subcontractor_id.data),
            form.last_day.data,
            form.reason.data,
            current_user._get_current_object(),
        )
    except ServiceError as exc:
        db.session.rollback()
        _error_to_form(form, exc, "reason")
        return _back(contract, str(exc), "error")
    db.session.commit()
    flash(_("Termination proposed because of the third party: both parties sign it now."), "success")
    return redirect(url_for("contracts.change", contract_id=contract.id, change_id=change.id))
