"""Forms of Party A's materials: the vendor's ask, the client's supply, the withdrawal, and the §8.2 penalty."""

from flask_babel import lazy_gettext as _l
from flask_wtf.file import MultipleFileField
from wtforms import SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional

from saas.core.forms import AmountField, AppForm, DateTimeLocalField, coerce_id

LOCAL_TIME = ["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M"]


class AskForm(AppForm):
    """The vendor asks the client for the technical materials a request needs, by a deadline."""

    what = TextAreaField(
        _l("Materials needed"),
        validators=[DataRequired(message=_l("Say which materials are needed, in what format.")), Length(max=5000)],
        description=_l("What, in which format and with what content (Part 3, 说明二 1.2)."),
    )
    due_at = DateTimeLocalField(
        _l("Needed by"),
        format=LOCAL_TIME,
        validators=[DataRequired(message=_l("Give the deadline by which the materials are needed."))],
        description=_l("The request's clocks stand still until then or until they come."),
    )


class SupplyForm(AppForm):
    """The client supplies what was asked: a note, files, or both."""

    note = TextAreaField(_l("Note"), validators=[Optional(), Length(max=5000)])
    files = MultipleFileField(_l("Files (up to 5 of 10 MB each)"))


class WithdrawForm(AppForm):
    """The vendor withdraws an ask it no longer needs, saying why (the client reads it)."""

    reason = StringField(
        _l("Why they are no longer needed"),
        validators=[DataRequired(message=_l("Say why the materials are no longer needed.")), Length(max=500)],
    )


class ProposePenaltyForm(AppForm):
    """The base of a §8.2 penalty for a client breach: a service line's monthly fee, or an amount explained."""

    line_id = SelectField(_l("Base"), coerce=coerce_id, choices=[])
    basis = AmountField(_l("Or an amount"), places=2, validators=[Optional()])
    basis_note = StringField(_l("How the amount was found"), validators=[Optional(), Length(max=500)])


class ConfirmPenaltyForm(AppForm):
    note = StringField(_l("Note"), validators=[Optional(), Length(max=500)])


class WaivePenaltyForm(AppForm):
    reason = StringField(
        _l("Reason"), validators=[DataRequired(message=_l("Say why the penalty is waived.")), Length(max=500)]
    )
