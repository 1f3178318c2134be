"""Admin pages for accounts: the list (search, filters, order, keyset pages) and the changes
made on its rows: email, role, activation, a reset link. Inviting, deleting and bulk actions
are in ``admin_accounts``."""

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
from osnova.services import account_admin, account_bulk, account_list, accounts, policy
from osnova.services.account_list import AccountFilter
from osnova.web.admin_forms import AccountFilterForm, ReturnForm
from osnova.web.forms import ActionForm, ActiveForm, AdminEmailForm, RoleForm
from osnova.web.helpers import login_required, remote_addr, safe_next, signed_in_user

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
    filters = AccountFilterForm()
    filters.validate()
    chosen = AccountFilter(
        q=filters.value("q") or "",
        role=filters.chosen_role(),
        is_active=filters.yes_no("active"),
        verified=filters.yes_no("verified"),
        order=filters.order(),
    )
    cursor = request.args.get("cursor") or None
    page = account_list.list_accounts(
        session=db.session(), actor=signed_in_user(), filters=chosen, cursor=cursor
    )
    kept = filters.query_args()
    return render_template(
        "admin/users.html",
        filters=filters,
        page=page,
        first_page=url_for("admin.users", **kept) if cursor else None,
        next_page=(
            url_for("admin.users", **kept, cursor=page.next_cursor) if page.next_cursor else None
        ),
        here=request.full_path if request.query_string else request.path,
        action_form=ReturnForm(formdata=None),
        roles=list(Role),
    )


def _back() -> Response:
    """To the list as it was: its filters and page travel in ``next``."""
    return redirect(safe_next(request.form.get("next"), url_for("admin.users")))


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
        # An over-long address is named as such (the input has no maxlength to cut it).
        flash(
            str(form.email.errors[0])
            if form.email.errors
            else gettext("The form expired. Please try again."),
            "error",
        )
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
    if not ActionForm().validate_on_submit():
        flash(gettext("The form expired. Please try again."), "error")
        return _back()
    sent = account_bulk.reset_link_recipients(
        session=db.session(), actor=signed_in_user(), user_ids=[user.id], remote_addr=remote_addr()
    )
    db.session.commit()
    for recipient in sent.done:
        send_reset_link(recipient)
        flash(gettext("A reset link was sent to %(email)s.", email=recipient.email), "success")
    for skipped, reason in sent.skipped:
        flash(
            gettext("Skipped %(name)s: %(reason)s", name=skipped.username, reason=gettext(reason)),
            "error",
        )
    return _back()
