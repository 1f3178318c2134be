"""The moderation list: every item, filtered and ordered from the URL; unpublish and delete,
one at a time or (unpublish) for the rows ticked, after one confirmation step.

Moderators and admins use it (``MODERATE_ITEMS``); the rest of the console is for admins.
"""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext, ngettext
from werkzeug.wrappers import Response

from osnova.extensions import current_settings, db
from osnova.services import images, item_moderation, items, policy
from osnova.services.item_moderation import ItemFilter
from osnova.web.admin import permission_required
from osnova.web.admin_forms import BulkConfirmForm, ItemFilterForm, ReturnForm
from osnova.web.helpers import remote_addr, safe_next, signed_in_user

bp = Blueprint("admin_items", __name__, url_prefix="/admin/items")
moderator_required = permission_required(policy.Permission.MODERATE_ITEMS)


def _back(form: ReturnForm) -> Response:
    return redirect(safe_next(form.next.data, url_for("admin_items.index")))


def _chosen_ids() -> list[int]:
    """The ticked rows: ids as the form sent them, anything not a number left out."""
    return [int(value) for value in request.form.getlist("item") if value.isdigit()][:100]


@bp.get("")
@moderator_required
def index() -> str:
    filters = ItemFilterForm()
    filters.validate()
    chosen = ItemFilter(
        q=filters.value("q") or "",
        owner=filters.value("owner") or "",
        is_public=filters.is_public(),
        has_image=filters.has_image(),
        created_from=filters.value("created_from"),
        created_to=filters.value("created_to"),
        order=filters.order(),
    )
    cursor = request.args.get("cursor") or None
    page = item_moderation.list_items(
        session=db.session(), actor=signed_in_user(), filters=chosen, cursor=cursor
    )
    kept = filters.query_args()
    return render_template(
        "admin/items.html",
        filters=filters,
        page=page,
        first_page=url_for("admin_items.index", **kept) if cursor else None,
        next_page=(
            url_for("admin_items.index", **kept, cursor=page.next_cursor)
            if page.next_cursor
            else None
        ),
        here=request.full_path if request.query_string else request.path,
        action_form=ReturnForm(formdata=None),
    )


@bp.post("/<id:item_id>/unpublish")
@moderator_required
def unpublish(item_id: int) -> Response:
    form = ReturnForm()
    if form.validate_on_submit():
        changed = item_moderation.unpublish(
            session=db.session(),
            actor=signed_in_user(),
            item_ids=[item_id],
            remote_addr=remote_addr(),
        )
        db.session.commit()
        if changed:
            flash(gettext("The item is private now."), "success")
        else:
            flash(gettext("The item was private already."), "success")
    return _back(form)


@bp.post("/unpublish")
@moderator_required
def bulk_unpublish() -> Response | str:
    """First the chosen rows and a confirmation button; then, confirmed, the change."""
    form = BulkConfirmForm()
    if not form.validate_on_submit():
        flash(gettext("The form expired. Please try again."), "error")
        return _back(form)
    chosen = item_moderation.selected_items(
        session=db.session(), actor=signed_in_user(), item_ids=_chosen_ids()
    )
    if not chosen:
        flash(gettext("Tick at least one item first."), "error")
        return _back(form)
    if form.confirmed.data != "yes":
        confirm = BulkConfirmForm(formdata=None, next=form.next.data, confirmed="yes")
        back = safe_next(form.next.data, url_for("admin_items.index"))
        return render_template("admin/items_unpublish.html", chosen=chosen, form=confirm, back=back)
    changed = item_moderation.unpublish(
        session=db.session(),
        actor=signed_in_user(),
        item_ids=[item.id for item in chosen],
        remote_addr=remote_addr(),
    )
    db.session.commit()
    flash(
        ngettext("%(num)d item is private now.", "%(num)d items are private now.", changed),
        "success",
    )
    return _back(form)


@bp.route("/<id:item_id>/delete", methods=["GET", "POST"])
@moderator_required
def delete(item_id: int) -> Response | str:
    """A page that names the item and asks; the button on it deletes."""
    item = items.get_item(session=db.session(), actor=signed_in_user(), item_id=item_id)
    form = ReturnForm()
    if form.validate_on_submit():
        item_moderation.delete(
            session=db.session(),
            actor=signed_in_user(),
            item_id=item.id,
            image_rules=images.ImageRules.from_settings(current_settings()),
            remote_addr=remote_addr(),
        )
        db.session.commit()
        flash(gettext("The item is deleted."), "success")
        return _back(form)
    back = safe_next(request.args.get("next"), url_for("admin_items.index"))
    confirm = ReturnForm(formdata=None, next=back)
    return render_template("admin/item_delete.html", item=item, form=confirm, back=back)
