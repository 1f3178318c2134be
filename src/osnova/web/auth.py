"""Registration, sign-in and sign-out, password reset, email verification, and the pages an
email change's links open."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, session, url_for
from flask_babel import gettext
from flask_login import current_user
from werkzeug.wrappers import Response

from osnova.errors import Conflict, InvalidInput, NotFound
from osnova.extensions import current_settings, db, limiter, signing_key
from osnova.http.account_mail import (
    send_already_registered,
    send_reset_link_to_address,
    send_verification,
)
from osnova.http.device_cookie import presented_cookie, set_device_cookie
from osnova.http.sign_in import password_sign_in
from osnova.i18n import N_
from osnova.models import User
from osnova.schemas import UserCreate
from osnova.services import account_links, accounts, email_changes, sign_in
from osnova.services.email_changes import CancelOutcome
from osnova.services.passwords import PasswordOwner
from osnova.services.sign_in import InvalidCredentials
from osnova.web.forms import (
    ActionForm,
    ForgotPasswordForm,
    LoginForm,
    RegisterForm,
    ResetPasswordForm,
)
from osnova.web.helpers import (
    checked,
    has_errors,
    remote_addr,
    safe_next,
    show_errors,
    signed_in_user,
    submitted,
    valid_values,
)
from osnova.web.sessions import end_session, start_session, stop_remembering_here

bp = Blueprint("auth", __name__)


def _limit(setting: str) -> str:
    return str(getattr(current_settings(), setting))


@bp.route("/register", methods=["GET", "POST"])
@limiter.limit(lambda: _limit("registrations_per_ip"), methods=["POST"])
def register() -> str | Response:
    if not current_settings().registration_open:
        abort(403, gettext("Registration is closed."))
    form = RegisterForm()
    if submitted(form):
        values = {
            "username": form.username.data or "",
            "email": form.email.data or "",
            "full_name": form.full_name.data or "",
            "password": form.password.data or "",
        }
        data = checked(form, UserCreate, values)
        if data is None or has_errors(form):
            _show_registration_problems(form, values)
        else:
            try:
                outcome = accounts.register(
                    session=db.session(),
                    settings=current_settings(),
                    data=data,
                    remote_addr=remote_addr(),
                )
            except (InvalidInput, Conflict) as error:
                db.session.rollback()
                show_errors(form, error)
            else:
                db.session.commit()
                if outcome.user is not None:
                    send_verification(outcome.user)
                elif outcome.existing is not None:
                    send_already_registered(outcome.existing)
                flash(
                    gettext(
                        "We sent a confirmation link to %(email)s. You can sign in now.",
                        email=data.email,
                    ),
                    "success",
                )
                return redirect(url_for("auth.login"))
    return render_template("auth/register.html", form=form)


def _show_registration_problems(form: RegisterForm, values: dict[str, str]) -> None:
    """What the service would also refuse, found while other fields are wrong: a weak
    password and a taken username show with the rest, not on the next submit."""
    valid = valid_values(UserCreate, values)
    owner = PasswordOwner(
        username=valid.get("username", values["username"]),
        email=valid.get("email", values["email"]),
        full_name=valid.get("full_name", values["full_name"]),
    )
    problems = accounts.registration_problems(
        session=db.session(),
        settings=current_settings(),
        username=valid.get("username"),
        owner=owner,
        password=values["password"],
    )
    show_errors(form, problems)


@bp.route("/login", methods=["GET", "POST"])
@limiter.limit(lambda: _limit("login_attempts_per_ip"), methods=["POST"])
def login() -> str | Response:
    form = LoginForm(next=request.args.get("next", ""))
    if form.validate_on_submit():
        try:
            user = password_sign_in(
                login=form.login.data or "",
                password=form.password.data or "",
                remote_addr=remote_addr(),
                device_cookie=presented_cookie(),
            )
        except InvalidCredentials as error:
            form.form_errors.append(gettext(error.message))
        else:
            start_session(user, remember=bool(form.remember.data))
            db.session.commit()
            response = redirect(safe_next(form.next.data))
            set_device_cookie(response, username=user.username)
            return response
    return render_template(
        "auth/login.html", form=form, remember_days=current_settings().remember_days
    )


@bp.post("/logout")
def logout() -> Response:
    form = ActionForm()
    if not form.validate_on_submit():
        abort(403, gettext("The form expired. Please try again."))
    if current_user.is_authenticated:
        sign_in.logout(session=db.session(), user=signed_in_user(), remote_addr=remote_addr())
    end_session()
    db.session.commit()
    flash(gettext("You are signed out."), "success")
    return redirect(url_for("pages.index"))


@bp.route("/password/forgot", methods=["GET", "POST"])
@limiter.limit(lambda: _limit("password_resets_per_ip"), methods=["POST"])
def forgot_password() -> str | Response:
    form = ForgotPasswordForm()
    if form.validate_on_submit():
        # Whether the address has an account is looked up by the mail job, not here: the
        # answer and its timing are the same either way.
        send_reset_link_to_address(form.email.data or "")
        flash(
            gettext("If an account uses that address, we sent it a link to reset the password."),
            "success",
        )
        return redirect(url_for("auth.login"))
    return render_template("auth/forgot.html", form=form)


RESET_TOKEN_KEY = "password_reset_token"  # noqa: S105 - a session key, not a secret
# Set when the token in the session is an invitation's (an admin opened the account).
INVITATION_KEY = "password_reset_is_invitation"


def _reset_user(token: str, *, invitation: bool = False) -> User:
    """The account a reset (or invitation) token is for; an invalid, used or expired one is a
    404 page."""
    settings = current_settings()
    if invitation:
        return account_links.user_for_invitation_token(
            session=db.session(),
            secret_key=signing_key(),
            token=token,
            max_age_seconds=settings.invitation_link_days * 86_400,
        )
    return account_links.user_for_reset_token(
        session=db.session(),
        secret_key=signing_key(),
        token=token,
        max_age_seconds=settings.reset_link_minutes * 60,
    )


@bp.get("/password/reset/<token>")
def reset_link(token: str) -> Response:
    """The mailed link: the token leaves the address bar at once (as Django's reset view
    does). It is kept in the session and the form lives at a token-free address, so no later
    request line, log or Referer carries it."""
    _reset_user(token)
    session[RESET_TOKEN_KEY] = token
    session.pop(INVITATION_KEY, None)
    return redirect(url_for("auth.reset_password"))


@bp.get("/password/invitation/<token>")
def invitation_link(token: str) -> Response:
    """An invitation's link: as a reset link, to the same form, with a welcome's wording."""
    _reset_user(token, invitation=True)
    session[RESET_TOKEN_KEY] = token
    session[INVITATION_KEY] = True
    return redirect(url_for("auth.reset_password"))


@bp.route("/password/reset", methods=["GET", "POST"])
@limiter.limit(lambda: _limit("password_resets_per_ip"), methods=["POST"])
def reset_password() -> str | Response:
    token = session.get(RESET_TOKEN_KEY)
    if not isinstance(token, str):
        raise NotFound(account_links.INVALID_LINK)
    invitation = session.get(INVITATION_KEY) is True
    user = _reset_user(token, invitation=invitation)
    form = ResetPasswordForm()
    if submitted(form):
        new_password = form.password.data or ""
        if has_errors(form):
            show_errors(
                form,
                accounts.new_password_problems(
                    settings=current_settings(), user=user, password=new_password
                ),
            )
        else:
            choose = accounts.accept_invitation if invitation else accounts.reset_password
            try:
                choose(
                    session=db.session(),
                    settings=current_settings(),
                    user=user,
                    new_password=new_password,
                    remote_addr=remote_addr(),
                )
            except InvalidInput as error:
                show_errors(form, error)
            else:
                end_session()
                db.session.commit()
                if invitation:
                    flash(gettext("Your password is set. Sign in to start."), "success")
                else:
                    flash(gettext("Your password is changed. Sign in with the new one."), "success")
                return redirect(url_for("auth.login"))
    return render_template("auth/reset.html", form=form, invitation=invitation, user=user)


@bp.get("/email/verify/<token>")
def verify_email(token: str) -> Response:
    user = account_links.user_for_verify_token(
        session=db.session(),
        secret_key=signing_key(),
        token=token,
        max_age_seconds=current_settings().verify_link_hours * 3600,
    )
    accounts.mark_email_verified(session=db.session(), user=user)
    db.session.commit()
    # The link confirms the address and nothing more: it never signs anyone in, so a mail
    # that leaks is not a login for the 48 hours the link lives.
    flash(gettext("Your email address is confirmed."), "success")
    return redirect(url_for("account.index" if current_user.is_authenticated else "auth.login"))


_CANCEL_MESSAGES = {
    CancelOutcome.CANCELLED: N_(
        "The email change is cancelled, and the account is signed out everywhere. "
        "If someone else knows your password, choose a new one now."
    ),
    CancelOutcome.RESTORED: N_(
        "The email change is undone: the account uses this address again, and it is signed "
        "out everywhere. If you cannot sign in, reset your password from the sign-in page."
    ),
    CancelOutcome.SECURED: N_(
        "The account is signed out everywhere, but this address belongs to another account "
        "now, so the change could not be undone. Please contact the site's administrators."
    ),
}


# An email change's links open a page with a button: the change happens on the POST, so a
# mail scanner that fetches every link in a message neither confirms nor cancels anything.


@bp.route("/email/confirm/<token>", methods=["GET", "POST"])
def confirm_email_change(token: str) -> str | Response:
    user = account_links.user_for_email_change_token(
        session=db.session(),
        secret_key=signing_key(),
        token=token,
        max_age_seconds=current_settings().email_change_link_hours * 3600,
    )
    form = ActionForm()
    if form.validate_on_submit():
        change = email_changes.confirm_change(
            session=db.session(), user=user, remote_addr=remote_addr()
        )
        db.session.commit()
        if current_user.is_authenticated and current_user.id == user.id:
            stop_remembering_here()  # every device is forgotten; this browser stays signed in
        # As with verification, following the link signs no one in.
        flash(gettext("Your email address is now %(email)s.", email=change.new_email), "success")
        return redirect(url_for("account.index" if current_user.is_authenticated else "auth.login"))
    return render_template(
        "auth/email_confirm.html", form=form, user=user, new_email=user.pending_email
    )


@bp.route("/email/cancel/<token>", methods=["GET", "POST"])
def cancel_email_change(token: str) -> str | Response:
    link = account_links.change_for_cancel_token(
        session=db.session(),
        secret_key=signing_key(),
        token=token,
        max_age_seconds=current_settings().email_change_undo_days * 86400,
    )
    form = ActionForm()
    if form.validate_on_submit():
        outcome = email_changes.cancel_from_old_address(
            session=db.session(), link=link, remote_addr=remote_addr()
        )
        db.session.commit()  # every session of the account, this browser's too, has ended
        flash(gettext(_CANCEL_MESSAGES[outcome]), "success")
        return redirect(url_for("auth.login"))
    return render_template("auth/email_cancel.html", form=form, link=link)
