"""Every account's API tokens for account managers: list, revoke one, revoke an account's all."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext, ngettext
from werkzeug.wrappers import Response

from osnova.database import utcnow
from osnova.extensions import db
from osnova.services import policy, token_admin
from osnova.services.token_admin import TokenFilter, TokenState
from osnova.web.admin import permission_required
from osnova.web.admin_forms import STATE_LABELS, ReturnForm, TokenFilterForm
from osnova.web.helpers import remote_addr, safe_next, signed_in_user

bp = Blueprint("admin_tokens", __name__, url_prefix="/admin/tokens")
account_manager_required = permission_required(policy.Permission.MANAGE_ACCOUNTS)


def _back(form: ReturnForm) -> Response:
    return redirect(safe_next(form.next.data, url_for("admin_tokens.index")))


@bp.get("")
@account_manager_required
def index() -> str:
    filters = TokenFilterForm()
    filters.validate()
    state = filters.value("state")
    now = utcnow()
    cursor = request.args.get("cursor") or None
    page = token_admin.list_tokens(
        session=db.session(),
        actor=signed_in_user(),
        filters=TokenFilter(
            username=filters.value("user") or "",
            state=TokenState(state) if state else None,
        ),
        now=now,
        cursor=cursor,
    )
    kept = filters.query_args()
    return render_template(
        "admin/tokens.html",
        filters=filters,
        page=page,
        now=now,
        states=STATE_LABELS,
        first_page=url_for("admin_tokens.index", **kept) if cursor else None,
        next_page=(
            url_for("admin_tokens.index", **kept, cursor=page.next_cursor)
            if page.next_cursor
            else None
        ),
        here=request.full_path if request.query_string else request.path,
        action_form=ReturnForm(formdata=None),
    )


@bp.post("/<id:token_id>/revoke")
@account_manager_required
def revoke(token_id: int) -> Response:
    form = ReturnForm()
    if form.validate_on_submit():
        token = token_admin.revoke_one(
            session=db.session(),
            actor=signed_in_user(),
            token_id=token_id,
            remote_addr=remote_addr(),
        )
        db.session.commit()
        flash(gettext("The token “%(name)s” is revoked.", name=token.name), "success")
    return _back(form)


@bp.post("/users/<id:user_id>/revoke-all")
@account_manager_required
def revoke_all(user_id: int) -> Response:
    form = ReturnForm()
    if form.validate_on_submit():
        user, revoked = token_admin.revoke_all_of(
            session=db.session(), actor=signed_in_user(), user_id=user_id, remote_addr=remote_addr()
        )
        db.session.commit()
        flash(
            ngettext(
                "%(num)d token of %(name)s is revoked.",
                "%(num)d tokens of %(name)s are revoked.",
                revoked,
                name=user.username,
            ),
            "success",
        )
    return _back(form)
