"""Items: the catalogue's entries, owned by users."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session, joinedload

from osnova.models import Item, User
from osnova.schemas import ItemCreate


def create_item(*, session: Session, owner: User, data: ItemCreate) -> Item:
    item = Item(
        owner=owner, title=data.title, description=data.description, is_public=data.is_public
    )
    session.add(item)
    session.flush()
    return item


def list_newest_public(*, session: Session, limit: int = 20) -> list[Item]:
    """The newest public items of active owners, newest first."""
    query = (
        select(Item)
        .join(Item.owner)
        .where(Item.is_public.is_(True), User.is_active.is_(True))
        .order_by(Item.created_at.desc(), Item.id.desc())
        .limit(limit)
        .options(joinedload(Item.owner))
    )
    return list(session.scalars(query))


def list_public_by_owner(*, session: Session, owner: User, limit: int = 20) -> list[Item]:
    query = (
        select(Item)
        .where(Item.owner_id == owner.id, Item.is_public.is_(True))
        .order_by(Item.created_at.desc(), Item.id.desc())
        .limit(limit)
    )
    return list(session.scalars(query))
