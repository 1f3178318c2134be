"""The signed-in user's own account: profile, email (a change waits for confirmation),
password, API tokens, remembered devices."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, url_for
from flask_babel import gettext
from flask_login import current_user
from werkzeug.wrappers import Response

from osnova.errors import Conflict, InvalidInput
from osnova.extensions import current_settings, current_time, db
from osnova.http.account_mail import send_email_change_mails, send_verification
from osnova.http.sign_in import password_checked
from osnova.schemas import EmailChange, ProfileUpdate
from osnova.services import accounts, email_changes, remembered_devices, tokens
from osnova.web.forms import ActionForm, ChangePasswordForm, EmailForm, ProfileForm, TokenForm
from osnova.web.helpers import (
    checked,
    device_label,
    has_errors,
    login_required,
    remote_addr,
    show_errors,
    signed_in_user,
    submitted,
)
from osnova.web.items import owner_items_page
from osnova.web.sessions import remembered_device_id, start_session, stop_remembering_here

bp = Blueprint("account", __name__, url_prefix="/account")
bp.add_app_template_filter(device_label, "device_label")


def _page(
    profile: ProfileForm | None = None,
    email: EmailForm | None = None,
    password: ChangePasswordForm | None = None,
    token: TokenForm | None = None,
    new_secret: str | None = None,
) -> tuple[str, int]:
    status = 200 if profile is email is password is token is None else 422
    now = current_time()
    page = render_template(
        "account/index.html",
        profile_form=profile or ProfileForm(full_name=current_user.full_name),
        email_form=email or EmailForm(),
        password_form=password or ChangePasswordForm(),
        token_form=token or TokenForm(),
        action_form=ActionForm(),
        my_items=owner_items_page(current_user.username),
        api_tokens=tokens.list_tokens(session=db.session(), user=signed_in_user()),
        new_secret=new_secret,
        devices=remembered_devices.list_devices(
            session=db.session(), user=signed_in_user(), now=now
        ),
        this_device=remembered_device_id(),
        remember_days=current_settings().remember_days,
        now=now,
    )
    return page, status


@bp.get("")
@login_required
def index() -> tuple[str, int]:
    return _page()


@bp.post("/profile")
@login_required
def update_profile() -> Response | tuple[str, int]:
    form = ProfileForm()
    if submitted(form):
        data = checked(form, ProfileUpdate, {"full_name": form.full_name.data or ""})
        if data is not None and not has_errors(form):
            accounts.update_profile(
                session=db.session(), user=signed_in_user(), full_name=data.full_name
            )
            db.session.commit()
            flash(gettext("Your profile is saved."), "success")
            return redirect(url_for("account.index"))
    return _page(profile=form)


@bp.post("/email")
@login_required
def change_email() -> Response | tuple[str, int]:
    """Ask for a new address: it takes effect once its owner follows the link mailed to it."""
    form = EmailForm()
    if submitted(form):
        user = signed_in_user()
        data = checked(form, EmailChange, {"email": form.email.data or ""})
        change: email_changes.EmailChange | None = None
        try:
            with password_checked(user):
                if data is None or has_errors(form):
                    # The address is refused; the password is still checked, so that both
                    # errors show now rather than one after the other.
                    if form.current_password.data:
                        email_changes.check_current_password(
                            settings=current_settings(),
                            user=user,
                            current_password=form.current_password.data,
                        )
                else:
                    change = email_changes.request_change(
                        session=db.session(),
                        settings=current_settings(),
                        user=user,
                        new_email=data.email,
                        current_password=form.current_password.data,
                        remote_addr=remote_addr(),
                    )
        except (InvalidInput, Conflict) as error:
            show_errors(form, error)
        if not has_errors(form):
            db.session.commit()
            if change is None:
                flash(gettext("This is already your email address."), "success")
            else:
                send_email_change_mails(change)
                flash(
                    gettext(
                        "We sent a link to %(email)s. Your email address changes when you "
                        "follow it; we told %(current)s too.",
                        email=change.new_email,
                        current=change.old_email,
                    ),
                    "success",
                )
            return redirect(url_for("account.index"))
    return _page(email=form)


@bp.post("/email/cancel")
@login_required
def withdraw_email_change() -> Response:
    if ActionForm().validate_on_submit():
        withdrawn = email_changes.withdraw_change(
            session=db.session(), user=signed_in_user(), remote_addr=remote_addr()
        )
        db.session.commit()
        if withdrawn:
            flash(gettext("The email change is cancelled."), "success")
    return redirect(url_for("account.index"))


@bp.post("/password")
@login_required
def change_password() -> Response | tuple[str, int]:
    form = ChangePasswordForm()
    if submitted(form):
        current_password = form.current_password.data or ""
        new_password = form.new_password.data or ""
        if has_errors(form):
            show_errors(
                form,
                accounts.password_change_problems(
                    settings=current_settings(),
                    user=signed_in_user(),
                    current_password=current_password,
                    new_password=new_password,
                ),
            )
        else:
            try:
                accounts.change_password(
                    session=db.session(),
                    settings=current_settings(),
                    user=signed_in_user(),
                    current_password=current_password,
                    new_password=new_password,
                    remote_addr=remote_addr(),
                )
            except InvalidInput as error:
                show_errors(form, error)
            else:
                start_session(signed_in_user())  # this browser stays signed in; others are out
                db.session.commit()
                flash(
                    gettext(
                        "Your password is changed. Other sessions are signed out and "
                        "remembered devices forgotten."
                    ),
                    "success",
                )
                return redirect(url_for("account.index"))
    return _page(password=form)


@bp.post("/verify-email")
@login_required
def resend_verification() -> Response:
    if ActionForm().validate_on_submit() and current_user.email_verified_at is None:
        send_verification(signed_in_user())
        flash(gettext("We sent a new confirmation link."), "success")
    return redirect(url_for("account.index"))


@bp.post("/tokens")
@login_required
def create_token() -> tuple[str, int]:
    """Make an API token; its secret is shown in this answer only, never stored or flashed."""
    form = TokenForm()
    if not form.validate_on_submit():
        return _page(token=form)
    issued = tokens.create_token(
        session=db.session(),
        user=signed_in_user(),
        name=form.name.data or "",
        remote_addr=remote_addr(),
    )
    db.session.commit()
    return _page(new_secret=issued.secret)


@bp.post("/tokens/<id:token_id>/revoke")
@login_required
def revoke_token(token_id: int) -> Response:
    if ActionForm().validate_on_submit():
        tokens.revoke(
            session=db.session(),
            actor=signed_in_user(),
            token_id=token_id,
            remote_addr=remote_addr(),
        )
        db.session.commit()
        flash(gettext("The token is revoked."), "success")
    return redirect(url_for("account.index"))


@bp.post("/devices/<id:device_id>/forget")
@login_required
def forget_device(device_id: int) -> Response:
    """Forget one remembered device: it is signed out at once, unless it is this one, which
    stays signed in until its session ends."""
    if ActionForm().validate_on_submit():
        remembered_devices.forget(
            session=db.session(),
            user=signed_in_user(),
            device_id=device_id,
            remote_addr=remote_addr(),
        )
        db.session.commit()
        if device_id == remembered_device_id():
            stop_remembering_here()
        flash(gettext("The device is forgotten."), "success")
    return redirect(url_for("account.index"))


@bp.post("/devices/forget")
@login_required
def forget_all_devices() -> Response:
    if ActionForm().validate_on_submit():
        remembered_devices.forget_all_on_request(
            session=db.session(), user=signed_in_user(), remote_addr=remote_addr()
        )
        db.session.commit()
        stop_remembering_here()
        flash(gettext("Every remembered device is forgotten."), "success")
    return redirect(url_for("account.index"))
