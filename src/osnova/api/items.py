"""Items over JSON: list and search, create, read, change, delete.

Each view calls one function of ``services.items``; visibility, ownership and moderation
rules live there and in ``services.policy``.
"""

from __future__ import annotations

from typing import Any

from apiflask import APIBlueprint
from flask import Response, request

from osnova.api.auth import caller, check_request, require_caller
from osnova.api.docs import ANONYMOUS, responses
from osnova.api.responses import json_response
from osnova.api.schemas import ItemCreate, ItemPage, ItemPublic, ItemQuery, ItemUpdate
from osnova.database import MAX_ROW_ID
from osnova.errors import NotFound
from osnova.extensions import current_settings, db
from osnova.models import Item
from osnova.services import images, items
from osnova.services.items import ListedItem

bp = APIBlueprint("items", __name__, url_prefix="/api/v1/items", tag="Items")
bp.before_request(check_request)

ITEM_EXAMPLE = {
    "id": 42,
    "title": "Brass compass",
    "description": "Still points north.",
    "is_public": True,
    "owner": "olena",
    "created_at": "2026-11-24T12:00:00+00:00",
    "updated_at": "2026-11-24T12:00:00+00:00",
}


def item_out(item: Item) -> ItemPublic:
    return ItemPublic(
        id=item.id,
        title=item.title,
        description=item.description,
        is_public=item.is_public,
        owner=item.owner.username,
        created_at=item.created_at,
        updated_at=item.updated_at,
    )


def listed_item_out(item: ListedItem) -> dict[str, Any]:
    """A listed item in the shape of ``ItemPublic``, built without a model: lists are the
    API's hottest path, and validating rows just read from the database buys nothing."""
    return {
        "id": item.id,
        "title": item.title,
        "description": item.description,
        "is_public": item.is_public,
        "owner": item.owner_username,
        "created_at": item.created_at,
        "updated_at": item.updated_at,
    }


def _checked_id(item_id: int) -> int:
    """Ids beyond the column's range cannot exist; say so before any query."""
    if item_id > MAX_ROW_ID:
        raise NotFound(items.ITEM_NOT_FOUND)
    return item_id


@bp.get("")
@bp.input(ItemQuery, location="query", arg_name="query")
@bp.output(ItemPage, example={"items": [ITEM_EXAMPLE], "next_cursor": None})
@bp.doc(
    summary="List and search items",
    operation_id="listItems",
    description="Newest first. Without `owner`, public items only; `q` searches title and "
    "description. Pass `next_cursor` back as `cursor` for the next page.",
    responses=responses(200, 401, 422),
    extensions=ANONYMOUS,
)
def list_items(query: ItemQuery) -> Response:
    page = items.list_items(
        session=db.session(),
        # Only one owner's list depends on who asks (their private items); a public list
        # does not load the caller's account.
        actor=caller() if query.owner else None,
        q=query.q,
        owner=query.owner,
        cursor=query.cursor,
        limit=query.limit,
        include_total=query.include_total,
    )
    body: dict[str, Any] = {
        "items": [listed_item_out(item) for item in page.items],
        "next_cursor": page.next_cursor,
    }
    if page.total is not None:
        body["total"] = page.total
    return json_response(body)


@bp.post("")
@bp.input(ItemCreate, arg_name="body", example={"title": "Brass compass", "is_public": True})
@bp.output(ItemPublic, status_code=201, example=ITEM_EXAMPLE)
@bp.doc(
    summary="Create an item",
    operation_id="createItem",
    responses=responses(201, 400, 401, 403, 413, 415, 422),
)
def create_item(body: ItemCreate) -> tuple[ItemPublic, int, dict[str, str]]:
    item = items.create_item(session=db.session(), owner=require_caller(), data=body)
    db.session.commit()
    location = f"{request.base_url.rstrip('/')}/{item.id}"
    return item_out(item), 201, {"Location": location}


@bp.get("/<int:item_id>")
@bp.output(ItemPublic, example=ITEM_EXAMPLE)
@bp.doc(
    summary="Get an item",
    operation_id="getItem",
    description="Public items are open to anyone; a private one only to its owner, "
    "moderators and admins (404 to anyone else).",
    responses=responses(200, 401, 404),
    extensions=ANONYMOUS,
)
def get_item(item_id: int) -> Response:
    item = items.view_item(session=db.session(), actor=caller(), item_id=_checked_id(item_id))
    return json_response(listed_item_out(item), sorted_keys=True)


@bp.patch("/<int:item_id>")
@bp.input(ItemUpdate, arg_name="body", example={"title": "Brass compass (1920s)"})
@bp.output(ItemPublic, example=ITEM_EXAMPLE)
@bp.doc(
    summary="Change an item",
    operation_id="updateItem",
    description="Only the fields sent are changed. The owner, moderators and admins may.",
    responses=responses(200, 400, 401, 403, 404, 413, 415, 422),
)
def update_item(item_id: int, body: ItemUpdate) -> ItemPublic:
    item = items.update_item(
        session=db.session(), actor=require_caller(), item_id=_checked_id(item_id), data=body
    )
    db.session.commit()
    return item_out(item)


@bp.delete("/<int:item_id>")
@bp.output({}, status_code=204)
@bp.doc(
    summary="Delete an item", operation_id="deleteItem", responses=responses(204, 401, 403, 404)
)
def delete_item(item_id: int) -> tuple[str, int]:
    settings = current_settings()
    items.delete_item(
        session=db.session(),
        actor=require_caller(),
        item_id=_checked_id(item_id),
        image_rules=images.ImageRules(
            media_dir=settings.resolved_media_dir(), max_bytes=settings.max_image_bytes
        ),
    )
    db.session.commit()
    return "", 204
