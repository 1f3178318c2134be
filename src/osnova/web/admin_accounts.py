"""Admin pages that open, delete and change accounts in bulk: an invitation instead of a
password, a deletion that says first what goes with the account, and deactivation or reset
links for the ticked rows after one confirmation page. The list itself is ``admin.users``."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext, ngettext
from pydantic import ValidationError
from werkzeug.wrappers import Response

from osnova.errors import Conflict, InvalidInput, NotFound
from osnova.extensions import current_settings, db
from osnova.http.account_mail import send_invitation, send_reset_link
from osnova.models import User
from osnova.schemas import AccountInvite
from osnova.services import account_admin, account_bulk, account_list, accounts
from osnova.services.account_list import MAX_PAGE_SIZE
from osnova.web.admin import admin_required
from osnova.web.admin_forms import AccountBulkForm, InviteForm, ReturnForm
from osnova.web.helpers import remote_addr, safe_next, show_errors, signed_in_user

bp = Blueprint("admin_accounts", __name__, url_prefix="/admin/users")
BULK_ACTIONS = ("deactivate", "reset")


def _list_url() -> str:
    return url_for("admin.users")


def _user_or_404(user_id: int) -> User:
    user = accounts.get_by_id(session=db.session(), user_id=user_id)
    if user is None:
        raise NotFound(gettext("No such user."))
    return user


@bp.route("/new", methods=["GET", "POST"])
@admin_required
def invite() -> Response | str:
    """An account without a password; the mailed invitation's link chooses one."""
    form = InviteForm()
    if form.validate_on_submit():
        try:
            values = AccountInvite(
                username=form.username.data or "",
                email=form.email.data or "",
                full_name=form.full_name.data or "",
                role=form.role.data,
            )
            user = account_admin.invite_account(
                session=db.session(),
                settings=current_settings(),
                actor=signed_in_user(),
                invite=values,
                remote_addr=remote_addr(),
            )
        except (ValidationError, InvalidInput, Conflict) as error:
            db.session.rollback()
            show_errors(form, error)
            if isinstance(error, Conflict) and not error.errors:
                form.form_errors.append(gettext(error.message))
        else:
            db.session.commit()
            send_invitation(user)
            flash(
                gettext(
                    "The account %(name)s is open; an invitation went to %(email)s.",
                    name=user.username,
                    email=user.email,
                ),
                "success",
            )
            return redirect(url_for("admin.users", q=user.username))
    days = current_settings().invitation_link_days
    return render_template("admin/user_new.html", form=form, invitation_days=days)


@bp.route("/<id:user_id>/delete", methods=["GET", "POST"])
@admin_required
def delete(user_id: int) -> Response | str:
    """A page that says what goes with the account and asks; the button on it deletes."""
    user = _user_or_404(user_id)
    actor = signed_in_user()
    form = ReturnForm()
    if form.validate_on_submit():
        name = user.username
        try:
            account_admin.delete_user(
                session=db.session(),
                settings=current_settings(),
                actor=actor,
                user=user,
                remote_addr=remote_addr(),
            )
        except Conflict as error:
            db.session.rollback()
            flash(gettext(error.message), "error")
        else:
            db.session.commit()
            flash(gettext("The account %(name)s is deleted.", name=name), "success")
        return redirect(safe_next(form.next.data, _list_url()))
    summary = account_admin.deletion_summary(session=db.session(), actor=actor, user=user)
    back = safe_next(request.args.get("next"), _list_url())
    confirm = ReturnForm(formdata=None, next=back)
    return render_template(
        "admin/user_delete.html",
        user=user,
        summary=summary,
        is_self=user.id == actor.id,
        form=confirm,
        back=back,
    )


def _chosen_ids() -> list[int]:
    """The ticked rows: ids as the form sent them, anything not a number left out."""
    return [int(v) for v in request.form.getlist("user") if v.isdigit()][:MAX_PAGE_SIZE]


@bp.post("/bulk")
@admin_required
def bulk() -> Response | str:
    """First the chosen accounts and a confirmation button; then, confirmed, the change."""
    form = AccountBulkForm()
    back = safe_next(form.next.data, _list_url())
    if not form.validate_on_submit() or form.action.data not in BULK_ACTIONS:
        flash(gettext("The form expired. Please try again."), "error")
        return redirect(back)
    actor = signed_in_user()
    chosen = account_list.selected_accounts(
        session=db.session(), actor=actor, user_ids=_chosen_ids()
    )
    if not chosen:
        flash(gettext("Tick at least one account first."), "error")
        return redirect(back)
    if form.confirmed.data != "yes":
        confirm = AccountBulkForm(
            formdata=None, next=form.next.data, confirmed="yes", action=form.action.data
        )
        template = f"admin/users_{form.action.data}.html"
        return render_template(template, chosen=chosen, form=confirm, back=back, actor=actor)
    ids = [account.id for account in chosen]
    if form.action.data == "deactivate":
        outcome = account_bulk.deactivate(
            session=db.session(), actor=actor, user_ids=ids, remote_addr=remote_addr()
        )
        db.session.commit()
        done = ngettext(
            "%(num)d account is deactivated; its sessions and API tokens are ended.",
            "%(num)d accounts are deactivated; their sessions and API tokens are ended.",
            len(outcome.done),
        )
    else:
        outcome = account_bulk.reset_link_recipients(
            session=db.session(), actor=actor, user_ids=ids, remote_addr=remote_addr()
        )
        db.session.commit()
        for user in outcome.done:
            send_reset_link(user)
        done = ngettext(
            "A reset link was sent to %(num)d account.",
            "Reset links were sent to %(num)d accounts.",
            len(outcome.done),
        )
    flash(done, "success")
    for user, reason in outcome.skipped:
        flash(
            gettext("Skipped %(name)s: %(reason)s", name=user.username, reason=gettext(reason)),
            "error",
        )
    return redirect(back)
