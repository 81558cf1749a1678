"""Forms and labels of the support team (§5, Annex 2)."""

from flask_babel import lazy_gettext as _l
from wtforms import BooleanField, SelectField, SelectMultipleField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional

from saas.core.forms import AppForm, DateField, choices, coerce_id
from saas.team.models import Availability, TeamRole

TEAM_ROLE_LABELS = {
    TeamRole.SYSTEM_ENGINEER: _l("System engineer"),
    TeamRole.DBA: _l("Database administrator"),
    TeamRole.NETWORK_ENGINEER: _l("Network engineer"),
    TeamRole.SECURITY_ENGINEER: _l("Security engineer"),
    TeamRole.SUPPORT_ENGINEER: _l("Support engineer"),
    TeamRole.PROJECT_MANAGER: _l("Project manager"),
}
AVAILABILITY_LABELS = {
    Availability.AVAILABLE: _l("Available"),
    Availability.BUSY: _l("Busy"),
    Availability.AWAY: _l("Away"),
}


class MemberForm(AppForm):
    name = StringField(_l("Name"), validators=[DataRequired(), Length(max=120)])
    team_role = SelectField(_l("Team role"), choices=choices(TEAM_ROLE_LABELS.items()))
    skills = TextAreaField(
        _l("Skills"),
        validators=[Optional(), Length(max=2000)],
        description=_l("Products and systems this person knows, e.g. Oracle 19c, Cisco IOS."),
    )
    phone = StringField(_l("Phone"), validators=[Optional(), Length(max=40)])
    availability = SelectField(
        _l("Availability"), choices=choices(AVAILABILITY_LABELS.items()), default=Availability.AVAILABLE
    )
    #: Checked by the service (one of the tenant's own staff), so its message is the one people read.
    user_id = SelectField(
        _l("Sign-in account"),
        coerce=coerce_id,
        validate_choice=False,
        default=0,
        description=_l("Optional: the member's own account, to receive the requests given to them."),
    )
    active = BooleanField(_l("On the team"), default=True)


class CertificateForm(AppForm):
    name = StringField(
        _l("Certificate"),
        validators=[DataRequired(), Length(max=120)],
        description=_l("For example Oracle OCP, CCNP, RHCE."),
    )
    issuer = StringField(_l("Issued by"), validators=[Optional(), Length(max=120)])
    number = StringField(_l("Certificate number"), validators=[Optional(), Length(max=80)])
    issued_on = DateField(_l("Issued on"), validators=[Optional()])
    expires_on = DateField(
        _l("Expires on"), validators=[Optional()], description=_l("Leave empty when it never expires.")
    )


class AvailabilityForm(AppForm):
    availability = SelectField(_l("Availability"), choices=choices(AVAILABILITY_LABELS.items()))


class RuleForm(AppForm):
    category_id = SelectField(_l("Category"), coerce=coerce_id, validate_choice=False, default=0)
    team_role = SelectField(_l("Team role"), choices=choices(TEAM_ROLE_LABELS.items()))


class ContractEngineersForm(AppForm):
    member_ids = SelectMultipleField(_l("Named engineers"), coerce=coerce_id, validate_choice=False)
