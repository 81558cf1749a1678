"""Forms of damages claims (§8.3): the claim with its two losses, evidence and breaches; the answers; the settlement."""

from flask_babel import lazy_gettext as _l
from flask_wtf.file import MultipleFileField
from wtforms import SelectField, SelectMultipleField, StringField, TextAreaField
from wtforms.validators import DataRequired, InputRequired, Length, Optional
from wtforms.widgets import CheckboxInput, ListWidget

from saas.core.forms import AmountField, AppForm, coerce_id


class ClaimForm(AppForm):
    """A claim for damages: the direct loss, the indirect loss (expected profit) if any, and what it rests on."""

    direct_amount = AmountField(
        _l("Amount"),
        places=2,
        # InputRequired, not DataRequired: a zero typed in is refused by the service with its reason.
        validators=[InputRequired(message=_l("Give the amount of the direct loss."))],
        description=_l("What the breach cost you directly, in the agreement's currency."),
    )
    direct_description = TextAreaField(
        _l("How the direct loss arose"),
        validators=[DataRequired(message=_l("Describe the direct loss.")), Length(max=5000)],
    )
    direct_files = MultipleFileField(_l("Evidence of the direct loss (files)"))
    indirect_amount = AmountField(
        _l("Amount"),
        places=2,
        validators=[Optional()],
        description=_l("§8.3: the loss includes the profit the agreement would have brought. Leave empty if none."),
    )
    indirect_description = TextAreaField(_l("How the indirect loss arose"), validators=[Optional(), Length(max=5000)])
    indirect_files = MultipleFileField(_l("Evidence of the indirect loss (files)"))
    breaches = SelectMultipleField(
        _l("The breaches it rests on"),
        choices=[],
        # Tick boxes, not a list box that needs Ctrl-click to choose more than one.
        widget=ListWidget(prefix_label=False),
        option_widget=CheckboxInput(),
        validators=[DataRequired(message=_l("Name at least one recorded breach the claim rests on (§8.3)."))],
        description=_l("The breaches recorded against the other party under this agreement."),
    )


class AgreeForm(AppForm):
    """The other party agrees the claim: in full (no amount) or the amount it agrees."""

    amount = AmountField(
        _l("Amount agreed"),
        places=2,
        validators=[Optional()],
        description=_l("Leave empty to agree the claim in full."),
    )
    note = StringField(_l("Note"), validators=[Optional(), Length(max=500)])


class SettleForm(AppForm):
    """How an agreed claim is settled, with the payment's reference or the invoice a credit note goes on."""

    how = SelectField(_l("Settled by"), choices=[], validators=[DataRequired(message=_l("Choose how it is settled."))])
    invoice_id = SelectField(_l("Invoice for the credit note"), coerce=coerce_id, choices=[], validate_choice=False)
    reference = StringField(
        _l("Reference"),
        validators=[Optional(), Length(max=200)],
        description=_l("The transfer's number and date, or why it is written off."),
    )


class WithdrawForm(AppForm):
    """The claimant gives the claim up, saying why (the other party reads it)."""

    reason = StringField(
        _l("Why the claim is withdrawn"),
        validators=[DataRequired(message=_l("Say why the claim is withdrawn.")), Length(max=500)],
    )
