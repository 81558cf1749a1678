"""The form that makes an API token."""

from flask_babel import lazy_gettext as _l
from wtforms import SelectField, SelectMultipleField, StringField
from wtforms.validators import DataRequired, Length, ValidationError
from wtforms.widgets import CheckboxInput, ListWidget

from saas.api.tokens import SCOPES
from saas.core.forms import AppForm, choices, coerce_id


class TokenForm(AppForm):
    name = StringField(
        _l("Name"),
        validators=[DataRequired(), Length(max=120)],
        description=_l("The system that will use it, such as “Zabbix” or “Client ITSM”."),
    )
    scopes = SelectMultipleField(
        _l("May"), choices=choices(SCOPES.items()), widget=ListWidget(prefix_label=False), option_widget=CheckboxInput()
    )
    client_id = SelectField(
        _l("Client"),
        coerce=coerce_id,
        default=0,
        description=_l("A token for one client sees and acts for that client only."),
    )

    def validate_scopes(self, field):
        # Not DataRequired: its `required` flag would make every checkbox required.
        if not field.data:
            raise ValidationError(_l("Choose what the token may do."))
