"""Item pages: browse and search, create, show, edit, delete; and the media files.

Views only translate between forms and the item service; visibility and rights are decided
by the service (through the policy), which answers NotFound for what the visitor may not see.
"""

from __future__ import annotations

from typing import IO, Any

from flask import (
    Blueprint,
    abort,
    flash,
    redirect,
    render_template,
    request,
    send_from_directory,
    url_for,
)
from flask_babel import gettext
from flask_login import current_user
from werkzeug.datastructures import FileStorage
from werkzeug.wrappers import Response

from osnova.errors import FieldError, InvalidInput, TooLarge
from osnova.extensions import current_settings, db
from osnova.models import Item
from osnova.schemas import ItemCreate, ItemUpdate
from osnova.services import images, items
from osnova.web.forms import ActionForm, ItemForm
from osnova.web.helpers import (
    checked,
    has_errors,
    login_required,
    show_errors,
    signed_in_user,
    submitted,
)

bp = Blueprint("catalogue", __name__)


def image_rules() -> images.ImageRules:
    return images.ImageRules.from_settings(current_settings())


def _upload(form: ItemForm) -> IO[bytes] | None:
    data = form.image.data
    if isinstance(data, FileStorage) and data.filename:
        return data.stream
    return None


def _form_values(form: ItemForm) -> dict[str, Any]:
    """The item fields as the schemas take them (the schemas apply the rules)."""
    return {
        "title": form.title.data or "",
        "description": form.description.data or "",
        "is_public": bool(form.is_public.data),
    }


def _show_image_problem(form: ItemForm) -> None:
    """An upload sent with wrong fields is checked anyway, so its problem shows with theirs."""
    upload = _upload(form)
    if upload is None:
        return
    try:
        images.check_image(rules=image_rules(), upload=upload)
    except (InvalidInput, TooLarge) as error:
        show_errors(form, [FieldError("image", gettext(error.message, **error.params))])


def _saved(item_id: int) -> Response:
    db.session.commit()
    flash(gettext("The item is saved."), "success")
    return redirect(url_for("catalogue.show", item_id=item_id))


def _cursor_args(**extra: str | None) -> dict[str, Any]:
    return {k: v for k, v in extra.items() if v}


@bp.get("/items")
def index() -> str:
    q = request.args.get("q", "").strip()[:200]
    page = items.list_items(
        session=db.session(), actor=current_user, q=q or None, cursor=request.args.get("cursor")
    )
    older = (
        url_for("catalogue.index", **_cursor_args(q=q, cursor=page.next_cursor))
        if page.next_cursor
        else None
    )
    newer = url_for("catalogue.index", **_cursor_args(q=q)) if request.args.get("cursor") else None
    return render_template("items/list.html", page=page, q=q, older=older, newer=newer)


@bp.route("/items/new", methods=["GET", "POST"])
@login_required
def create() -> Response | tuple[str, int]:
    form = ItemForm()
    del form.remove_image
    if submitted(form):
        data = checked(form, ItemCreate, _form_values(form))
        if data is None or has_errors(form):
            _show_image_problem(form)
        else:
            try:
                item = items.create_item(
                    session=db.session(),
                    owner=signed_in_user(),
                    data=data,
                    image=_upload(form),
                    image_rules=image_rules(),
                )
            except InvalidInput as error:
                db.session.rollback()
                show_errors(form, error)
            else:
                return _saved(item.id)
    status = 422 if form.is_submitted() else 200
    return render_template("items/form.html", form=form, item=None), status


@bp.get("/items/<id:item_id>")
def show(item_id: int) -> str:
    item = items.get_item(session=db.session(), actor=current_user, item_id=item_id)
    return render_template("items/detail.html", item=item, action_form=ActionForm())


@bp.route("/items/<id:item_id>/edit", methods=["GET", "POST"])
@login_required
def edit(item_id: int) -> Response | tuple[str, int]:
    item = items.get_item_for_edit(session=db.session(), actor=current_user, item_id=item_id)
    form = ItemForm(obj=item)
    if submitted(form):
        data = checked(form, ItemUpdate, _form_values(form))
        if data is None or has_errors(form):
            _show_image_problem(form)
        else:
            try:
                items.update_item(
                    session=db.session(),
                    actor=signed_in_user(),
                    item_id=item.id,
                    data=data,
                    image=_upload(form),
                    remove_image=bool(form.remove_image.data),
                    image_rules=image_rules(),
                )
            except InvalidInput as error:
                db.session.rollback()
                show_errors(form, error)
            else:
                return _saved(item_id)
    status = 422 if form.is_submitted() else 200
    return render_template("items/form.html", form=form, item=item), status


@bp.route("/items/<id:item_id>/delete", methods=["GET", "POST"])
@login_required
def delete(item_id: int) -> Response | str:
    """GET asks for confirmation; POST (with the CSRF token) deletes."""
    item = items.get_item_for_edit(session=db.session(), actor=current_user, item_id=item_id)
    form = ActionForm()
    if request.method == "POST" and form.validate_on_submit():
        items.delete_item(
            session=db.session(), actor=signed_in_user(), item_id=item.id, image_rules=image_rules()
        )
        db.session.commit()
        flash(gettext("The item is deleted."), "success")
        return redirect(url_for("account.index"))
    return render_template("items/delete.html", item=item, form=form)


@bp.get("/media/<path:name>")
def media(name: str) -> Response:
    """Stored images, for development; in production nginx serves this folder itself."""
    path = images.media_path(image_rules().media_dir, name)
    if path is None or not path.is_file():
        abort(404)
    extension = path.suffix.lstrip(".")
    response = send_from_directory(
        path.parent, path.name, mimetype=images.CONTENT_TYPES[extension], max_age=86400
    )
    response.headers["Content-Security-Policy"] = "default-src 'none'; sandbox"
    return response


def owner_items_page(owner_username: str) -> items.ItemPage:
    """The signed-in user's own items (private ones too), for the account page."""
    return items.list_items(
        session=db.session(),
        actor=current_user,
        owner=owner_username,
        cursor=request.args.get("cursor"),
    )


def image_url(item: Item) -> str | None:
    return url_for("catalogue.media", name=item.image) if item.image else None
