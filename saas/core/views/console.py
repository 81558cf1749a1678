"""The vendor console: dashboard, clients, people and invitations, audit log, plugins, outbox."""

from flask import abort, flash, redirect, request, url_for
from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from saas.core import audit
from saas.core.clients import add_contact, list_clients, member_counts, remove_contact, save_client
from saas.core.clock import now
from saas.core.errors import ServiceError
from saas.core.forms import ClientForm, ConfirmForm, ContactForm, InviteForm, RoleForm, TenantProfileForm, choices
from saas.core.mail import list_mail
from saas.core.models import VENDOR_ROLES, Client, ClientContact, Invitation, Membership, Role
from saas.core.parsing import parse_id
from saas.core.people import change_role, invite, remove_member, resend_invitation, revoke_invitation
from saas.core.plugins import plugin_manager
from saas.core.rendering import is_fragment_request, render
from saas.core.tenancy import current_membership, current_tenant, get_or_404, roles_required, tenant_blueprint
from saas.core.tenants import plugin_settings, save_plugin_settings, update_profile
from saas.extensions import db

bp = tenant_blueprint("console", __name__)

ADMIN = Role.VENDOR_ADMIN
vendor_only = roles_required(*VENDOR_ROLES)


def _client_choices():
    clients = db.session.execute(
        select(Client.id, Client.legal_name).where(Client.tenant_id == current_tenant.id).order_by(Client.legal_name)
    ).all()
    return choices([(0, _("— none —")), *[(c.id, c.legal_name) for c in clients]])


def _cards() -> list:
    """The dashboard figures the core and every enabled plugin give the signed-in person, in their order."""
    cards = [
        c
        for cards in plugin_manager()
        .for_tenant(current_tenant)
        .saas_dashboard_cards(
            tenant=current_tenant._get_current_object(), membership=current_membership._get_current_object()
        )
        for c in cards
        if not c.roles or current_membership.role in c.roles
    ]
    return sorted(cards, key=lambda c: c.order)


@bp.get("/")
@vendor_only
def dashboard():
    """The vendor's dashboard: figures from the core and every enabled plugin."""
    cards = _cards()
    events, _next = audit.list_events(tenant_id=current_tenant.id, limit=8)
    return render("console/dashboard.html", cards=cards, events=events)


@bp.get("/clients")
@vendor_only
def clients():
    """Clients of the vendor, searchable, with keyset pagination ("load more")."""
    query = request.args.get("q", "").strip()
    rows, next_after = list_clients(current_tenant, query=query, after=request.args.get("after", type=parse_id))
    counts = member_counts(current_tenant, [c.id for c in rows])
    block = "rows" if request.args.get("after") else "results" if is_fragment_request() else "content"
    return render("console/clients.html", block=block, clients=rows, counts=counts, next_after=next_after, q=query)


@bp.route("/clients/new", methods=["GET", "POST"])
@roles_required(ADMIN, Role.VENDOR_BILLING)
def new_client():
    """Register a client organisation."""
    form = ClientForm()
    if form.validate_on_submit():
        try:
            client = save_client(current_tenant, form.data)
        except ServiceError as exc:
            form.uscc.errors.append(str(exc))
        else:
            db.session.commit()
            flash(_("Client %(name)s added.", name=client.legal_name), "success")
            return redirect(url_for("console.client", client_id=client.id))
    return render("console/client_form.html", form=form, client=None)


@bp.get("/clients/<int:client_id>")
@vendor_only
def client(client_id):
    """A client: details, contacts and its people."""
    row = get_or_404(Client, client_id, current_tenant)
    people = db.session.scalars(
        select(Membership)
        .options(selectinload(Membership.user))
        .where(Membership.tenant_id == current_tenant.id, Membership.client_id == row.id)
        .order_by(Membership.id)
    ).all()
    return render("console/client.html", client=row, people=people, contact_form=ContactForm(), confirm=ConfirmForm())


@bp.route("/clients/<int:client_id>/edit", methods=["GET", "POST"])
@roles_required(ADMIN, Role.VENDOR_BILLING)
def edit_client(client_id):
    """Edit a client's details."""
    row = get_or_404(Client, client_id, current_tenant)
    form = ClientForm(obj=row)
    if form.validate_on_submit():
        try:
            save_client(current_tenant, form.data, row)
        except ServiceError as exc:
            form.uscc.errors.append(str(exc))
        else:
            db.session.commit()
            flash(_("Saved."), "success")
            return redirect(url_for("console.client", client_id=row.id))
    return render("console/client_form.html", form=form, client=row)


@bp.post("/clients/<int:client_id>/contacts")
@roles_required(ADMIN, Role.VENDOR_BILLING)
def add_client_contact(client_id):
    """Add a contact person (HTMX swaps the contacts block; errors stay in the form)."""
    row = get_or_404(Client, client_id, current_tenant)
    form = ContactForm()
    if form.validate_on_submit():
        data = {k: v for k, v in form.data.items() if k != "csrf_token"}
        add_contact(row, {k: (v.strip() if isinstance(v, str) else v) for k, v in data.items()})
        db.session.commit()
        form = ContactForm(formdata=None)
    elif not is_fragment_request():
        flash(_("The contact was not added: check the form."), "error")
    if not is_fragment_request():
        return redirect(url_for("console.client", client_id=row.id))
    return render("console/client.html", block="contacts", client=row, contact_form=form, confirm=ConfirmForm())


@bp.post("/clients/<int:client_id>/contacts/<int:contact_id>/delete")
@roles_required(ADMIN, Role.VENDOR_BILLING)
def delete_client_contact(client_id, contact_id):
    """Remove a contact person."""
    row = get_or_404(Client, client_id, current_tenant)
    contact = get_or_404(ClientContact, contact_id, current_tenant, client_id=row.id)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    remove_contact(contact)
    db.session.commit()
    db.session.refresh(row)
    if not is_fragment_request():
        return redirect(url_for("console.client", client_id=row.id))
    return render(
        "console/client.html", block="contacts", client=row, contact_form=ContactForm(), confirm=ConfirmForm()
    )


def _people_context(invite_form=None):
    members = db.session.scalars(
        select(Membership)
        .options(selectinload(Membership.user), selectinload(Membership.client))
        .where(Membership.tenant_id == current_tenant.id)
        .order_by(Membership.role, Membership.id)
    ).all()
    invitations = db.session.scalars(
        select(Invitation)
        .options(selectinload(Invitation.client))
        .where(
            Invitation.tenant_id == current_tenant.id, Invitation.accepted_at.is_(None), Invitation.revoked_at.is_(None)
        )
        .order_by(Invitation.id.desc())
    ).all()
    choices = _client_choices()
    invite_form = invite_form or InviteForm(formdata=None)
    invite_form.client_id.choices = choices
    return {
        "members": members,
        "invitations": invitations,
        "invite_form": invite_form,
        "client_choices": choices,
        "confirm": ConfirmForm(),
        "now": now(),
    }


@bp.get("/people")
@roles_required(ADMIN)
def people():
    """Members of the tenant with their roles, and open invitations."""
    return render("console/people.html", **_people_context())


@bp.post("/people/invite")
@roles_required(ADMIN)
def invite_person():
    """Invite someone by e-mail with a role."""
    form = InviteForm()
    form.client_id.choices = _client_choices()
    if form.validate_on_submit():
        try:
            invite(current_tenant, email=form.email.data, role=form.role.data, client_id=form.client_id.data or None)
        except ServiceError as exc:
            db.session.rollback()
            form.email.errors.append(str(exc))
        else:
            flash(_("Invitation sent to %(email)s.", email=form.email.data), "success")
            return redirect(url_for("console.people"))
    return render(
        "console/people.html", status=422 if is_fragment_request() else 200, **_people_context(invite_form=form)
    )


@bp.route("/people/<int:membership_id>/role", methods=["GET", "POST"])
@roles_required(ADMIN)
def member_role(membership_id):
    """Change a member's role (an inline HTMX form on the people page)."""
    membership = get_or_404(Membership, membership_id, current_tenant)
    form = RoleForm(obj=membership) if request.method == "GET" else RoleForm()
    form.client_id.choices = _client_choices()
    if request.method == "GET":
        form.client_id.data = membership.client_id or 0
    elif form.validate_on_submit():
        try:
            change_role(membership, form.role.data, form.client_id.data or None)
        except ServiceError as exc:
            db.session.rollback()
            form.role.errors.append(str(exc))
        else:
            db.session.commit()
            if not is_fragment_request():
                return redirect(url_for("console.people"))
            return render("console/people.html", block="member_row", member=membership, confirm=ConfirmForm())
    return render("console/member_role.html", block="role_form", member=membership, form=form)


@bp.get("/people/<int:membership_id>")
@roles_required(ADMIN)
def member_row(membership_id):
    """One member's row (HTMX: cancel of the inline role form)."""
    membership = get_or_404(Membership, membership_id, current_tenant)
    return render("console/people.html", block="member_row", member=membership, **_people_context())


@bp.post("/people/<int:membership_id>/remove")
@roles_required(ADMIN)
def remove_person(membership_id):
    """Take a person out of the tenant."""
    membership = get_or_404(Membership, membership_id, current_tenant)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    name = membership.user.name  # read before the row is gone
    try:
        remove_member(membership)
    except ServiceError as exc:
        db.session.rollback()
        flash(str(exc), "error")
    else:
        db.session.commit()
        flash(_("%(name)s was removed from %(tenant)s.", name=name, tenant=current_tenant.name), "success")
    return redirect(url_for("console.people"))


@bp.post("/invitations/<int:invitation_id>/<any(resend, revoke):action>")
@roles_required(ADMIN)
def invitation_action(invitation_id, action):
    """Resend (fresh link) or revoke an open invitation."""
    row = get_or_404(Invitation, invitation_id, current_tenant)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    try:
        if action == "resend":
            resend_invitation(row)
            flash(_("Invitation sent again to %(email)s.", email=row.email), "success")
        else:
            revoke_invitation(row)
            db.session.commit()
            flash(_("Invitation withdrawn."), "success")
    except ServiceError as exc:
        db.session.rollback()
        flash(str(exc), "error")
    return redirect(url_for("console.people"))


@bp.get("/audit")
@roles_required(ADMIN)
def audit_log():
    """The tenant's audit log, newest first, filterable by action."""
    action = request.args.get("action", "")
    events, next_before = audit.list_events(
        tenant_id=current_tenant.id, before=request.args.get("before", type=parse_id), action=action
    )
    block = "rows" if request.args.get("before") else "content"
    return render("console/audit.html", block=block, events=events, next_before=next_before, action=action)


@bp.get("/outbox")
@roles_required(ADMIN)
def outbox():
    """Mail sent on behalf of this tenant (invitations and, later, invoices and notices)."""
    messages, next_before = list_mail(tenant_id=current_tenant.id, before=request.args.get("before", type=parse_id))
    return render("console/outbox.html", messages=messages, next_before=next_before)


@bp.get("/plugins")
@roles_required(ADMIN)
def plugins():
    """The plugins the platform has enabled for this tenant."""
    pm = plugin_manager()
    rows = [(name, pm.info(name)) for name in pm.plugin_names() if pm.is_enabled(name, current_tenant)]
    return render("console/plugins.html", plugins=rows)


@bp.route("/plugins/<name>/settings", methods=["GET", "POST"])
@roles_required(ADMIN)
def plugin_settings_page(name):
    """The tenant's settings for an enabled plugin, edited with the plugin's own form."""
    pm = plugin_manager()
    if name not in pm.plugin_names() or not pm.is_enabled(name, current_tenant):
        abort(404)
    info = pm.info(name)
    if info.settings_form is None:
        abort(404)
    stored = plugin_settings(current_tenant, name)
    form = info.settings_form(data=stored) if request.method == "GET" else info.settings_form()
    if form.validate_on_submit():
        save_plugin_settings(current_tenant, name, form.settings_data())
        db.session.commit()
        flash(_("Settings saved."), "success")
        return redirect(url_for("console.plugin_settings_page", name=name))
    return render("console/plugin_settings.html", name=name, info=info, form=form)


@bp.route("/organisation", methods=["GET", "POST"])
@roles_required(ADMIN)
def organisation():
    """The vendor's own details (Party B): names, code, address, time zone, currency."""
    form = TenantProfileForm(obj=current_tenant._get_current_object())
    if form.validate_on_submit():
        update_profile(current_tenant, form.data)
        db.session.commit()
        flash(_("Saved."), "success")
        return redirect(url_for("console.organisation"))
    return render("console/organisation.html", form=form)


@bp.get("/third-party")
@roles_required(Role.THIRD_PARTY)
def third_party_home():
    """The landing page of a third-party (subcontractor) user: who they work for, their access, and the figures of
    their work that plugins give (the third-party plugin: requests assigned to their company)."""
    # Only the figures meant for third parties: a card without roles is the vendor's own dashboard's.
    cards = [c for c in _cards() if c.roles and Role.THIRD_PARTY in c.roles]
    return render("console/third_party_home.html", cards=cards)
