"""Admin pages for accounts: search, email, roles, activation, reset links."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any, TypeVar

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext
from flask_login import current_user
from pydantic import ValidationError
from werkzeug.wrappers import Response

from osnova.errors import Conflict, InvalidInput, NotFound
from osnova.extensions import db
from osnova.http.account_mail import send_admin_email_change, send_reset_link
from osnova.models import Role, User
from osnova.schemas import AccountAdminUpdate, RoleChange
from osnova.services import account_admin, accounts, policy
from osnova.web.forms import ActionForm, ActiveForm, AdminEmailForm, RoleForm
from osnova.web.helpers import login_required, remote_addr, signed_in_user

bp = Blueprint("admin", __name__, url_prefix="/admin")
F = TypeVar("F", bound=Callable[..., Any])


def permission_required(permission: policy.Permission) -> Callable[[F], F]:
    """Signed-in users without ``permission`` get 403; anonymous visitors go to the login page."""

    def decorate(view: F) -> F:
        @wraps(view)
        @login_required
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            if not policy.can(current_user, permission):
                abort(403)
            return view(*args, **kwargs)

        return wrapper  # type: ignore[return-value]

    return decorate


admin_required = permission_required(policy.Permission.MANAGE_ACCOUNTS)


def _user_or_404(user_id: int) -> User:
    user = accounts.get_by_id(session=db.session(), user_id=user_id)
    if user is None:
        raise NotFound(gettext("No such user."))
    return user


@bp.get("/users")
@admin_required
def users() -> str:
    q = request.args.get("q", "")
    page = account_admin.list_users(
        session=db.session(), actor=signed_in_user(), q=q, after=request.args.get("after")
    )
    return render_template(
        "admin/users.html",
        page=page,
        q=q,
        role_form=RoleForm(),
        email_form=AdminEmailForm(),
        action_form=ActionForm(),
        roles=list(Role),
    )


def _back() -> Response:
    return redirect(url_for("admin.users", q=request.args.get("q", "")))


@bp.post("/users/<id:user_id>/role")
@admin_required
def change_role(user_id: int) -> Response:
    form = RoleForm()
    user = _user_or_404(user_id)
    if form.validate_on_submit():
        try:
            change = RoleChange(role=form.role.data)
            account_admin.set_role(
                session=db.session(),
                actor=signed_in_user(),
                user=user,
                role=change.role,
                remote_addr=remote_addr(),
            )
        except ValidationError:
            flash(gettext("This value is not valid."), "error")
        except Conflict as error:
            db.session.rollback()
            flash(gettext(error.message), "error")
        else:
            db.session.commit()
            flash(gettext("Role of %(name)s changed.", name=user.username), "success")
    else:
        flash(gettext("The form expired. Please try again."), "error")
    return _back()


@bp.post("/users/<id:user_id>/email")
@admin_required
def change_email(user_id: int) -> Response:
    """Applies at once; the old and the new address are both told."""
    form = AdminEmailForm()
    user = _user_or_404(user_id)
    if not form.validate_on_submit():
        flash(gettext("The form expired. Please try again."), "error")
        return _back()
    try:
        changes = AccountAdminUpdate(email=form.email.data)
        change = account_admin.update_account(
            session=db.session(),
            actor=signed_in_user(),
            user=user,
            changes=changes,
            remote_addr=remote_addr(),
        )
    except ValidationError:
        flash(gettext("Enter a valid email address."), "error")
    except (InvalidInput, Conflict) as error:
        db.session.rollback()
        flash(gettext(error.message), "error")
    else:
        db.session.commit()
        if change is not None:
            send_admin_email_change(change)
            flash(
                gettext(
                    "The email of %(name)s is now %(email)s; both addresses were told.",
                    name=user.username,
                    email=change.new_email,
                ),
                "success",
            )
    return _back()


@bp.post("/users/<id:user_id>/active")
@admin_required
def change_active(user_id: int) -> Response:
    form = ActiveForm()
    user = _user_or_404(user_id)
    if form.validate_on_submit() and form.active.data in ("0", "1"):
        try:
            account_admin.set_active(
                session=db.session(),
                actor=signed_in_user(),
                user=user,
                active=form.active.data == "1",
                remote_addr=remote_addr(),
            )
        except Conflict as error:
            db.session.rollback()
            flash(gettext(error.message), "error")
        else:
            db.session.commit()
            flash(gettext("Account %(name)s updated.", name=user.username), "success")
    else:
        flash(gettext("The form expired. Please try again."), "error")
    return _back()


@bp.post("/users/<id:user_id>/send-reset")
@admin_required
def send_reset(user_id: int) -> Response:
    user = _user_or_404(user_id)
    if ActionForm().validate_on_submit() and user.is_active:
        send_reset_link(user)
        flash(gettext("A reset link was sent to %(email)s.", email=user.email), "success")
    return _back()
