"""Sign-in, sign-out, language switch, invitations and the home page that picks the right console."""

from flask import Blueprint, abort, current_app, flash, redirect, request, session, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from saas.core import dbscope
from saas.core.auth import authenticate, sign_in, sign_out, sign_out_everywhere
from saas.core.errors import ServiceError
from saas.core.forms import ConfirmForm, LoginForm, SetPasswordForm
from saas.core.invitation_tokens import invitation_from_token
from saas.core.models import Role
from saas.core.people import accept_invitation, create_user, user_by_email
from saas.core.rendering import render
from saas.core.security import safe_next_url
from saas.extensions import db, limiter

bp = Blueprint("auth", __name__)
#: Signing in, out and up, and invitations: people and tenants are looked up before any tenant is chosen.
bp.before_request(dbscope.enter_platform)


def home_url_for(user) -> str:
    """Where a signed-in person lands: their first tenant's console or portal, or the platform console."""
    memberships = sorted(user.memberships, key=lambda m: m.id)
    active = [m for m in memberships if m.tenant.is_active]
    if active:
        return tenant_home_url(active[0])
    if user.is_platform_admin:
        return url_for("platform.tenants")
    return url_for("auth.no_access")


def tenant_home_url(membership) -> str:
    """The landing page for one membership: vendor console, client portal or third-party page."""
    role = membership.role_enum
    if role.is_client:
        return url_for("portal.home", tenant=membership.tenant.slug)
    if role == Role.THIRD_PARTY:
        return url_for("console.third_party_home", tenant=membership.tenant.slug)
    return url_for("console.dashboard", tenant=membership.tenant.slug)


@bp.get("/")
def index():
    """Send people to their console, or to sign in."""
    if current_user.is_authenticated:
        return redirect(home_url_for(current_user))
    return redirect(url_for("auth.login"))


def _login_rate_key() -> str:
    # Per address and per account typed, so one address cannot spray many accounts fast.
    return f"{request.remote_addr}|{(request.form.get('email') or '').strip().lower()}"


@bp.route("/login", methods=["GET", "POST"])
@limiter.limit(lambda: current_app.config["LOGIN_RATE_LIMIT"], methods=["POST"], key_func=_login_rate_key)
@limiter.limit("30 per minute", methods=["POST"])
def login():
    """The sign-in form."""
    form = LoginForm()
    next_url = safe_next_url(request.values.get("next"))
    if form.validate_on_submit():
        user = authenticate(form.email.data, form.password.data)
        if user is None:
            form.password.errors.append(_("The e-mail or the password is wrong."))
        else:
            sign_in(user)
            return redirect(next_url or home_url_for(user))
    return render("auth/login.html", form=form, next_url=next_url)


@bp.post("/logout")
@login_required
def logout():
    """Sign out."""
    sign_out(current_user._get_current_object())
    flash(_("You are signed out."), "info")
    return redirect(url_for("auth.login"))


@bp.post("/logout/everywhere")
@login_required
def logout_everywhere():
    """Sign out on every device: each sign-in of this account ends, this one too."""
    sign_out_everywhere(current_user._get_current_object())
    flash(_("You are signed out on every device."), "info")
    return redirect(url_for("auth.login"))


@bp.post("/language")
def set_language():
    """Switch the interface language (kept in the session and on the account)."""
    lang = request.form.get("lang", "")
    if lang not in current_app.config["LANGUAGES"]:
        abort(400)
    session["lang"] = lang
    if current_user.is_authenticated:
        current_user.locale = lang
        db.session.commit()
    return redirect(safe_next_url(request.form.get("next")) or url_for("auth.index"))


@bp.get("/favicon.ico")
def favicon():
    """Browsers ask for /favicon.ico on pages without an icon link (the stored agreement documents)."""
    return redirect(url_for("static", filename="favicon.svg"), code=301)


@bp.get("/no-access")
@login_required
def no_access():
    """Shown to a signed-in person who belongs to no active tenant."""
    return render("auth/no_access.html")


@bp.route("/invite/<token>", methods=["GET", "POST"])
@limiter.limit("20 per minute", methods=["POST"])
def invitation(token):
    """Accept an invitation: create an account (new e-mail) or join with the signed-in account."""
    invite = invitation_from_token(token)
    if invite is None:
        return render("auth/invitation_invalid.html", status=404)
    existing = user_by_email(invite.email)
    if existing is not None:
        if not current_user.is_authenticated or current_user.id != existing.id:
            flash(_("Sign in as %(email)s to accept the invitation.", email=invite.email), "info")
            return redirect(url_for("auth.login", next=request.path))
        form = ConfirmForm()
        if form.validate_on_submit():
            try:
                membership = accept_invitation(invite, existing)
            except ServiceError as exc:
                flash(str(exc), "error")
                return redirect(url_for("auth.index"))
            db.session.commit()
            flash(_("You have joined %(tenant)s.", tenant=invite.tenant.name), "success")
            return redirect(tenant_home_url(membership))
        return render("auth/invitation.html", invite=invite, form=form, new_account=False)
    form = SetPasswordForm()
    if form.validate_on_submit():
        user = create_user(email=invite.email, name=form.name.data.strip(), password=form.password.data)
        membership = accept_invitation(invite, user)
        db.session.commit()
        sign_in(user)
        flash(_("Welcome to %(tenant)s.", tenant=invite.tenant.name), "success")
        return redirect(tenant_home_url(membership))
    return render("auth/invitation.html", invite=invite, form=form, new_account=True)
