"""Item rules: visibility, edit rights, moderation, and the media files that go with items."""

from __future__ import annotations

from collections.abc import Callable
from io import BytesIO
from pathlib import Path
from typing import Any

import pytest
from PIL import Image
from sqlalchemy.orm import Session

from osnova.errors import NotFound, PermissionDenied
from osnova.models import Item
from osnova.schemas import ItemCreate, ItemUpdate
from osnova.services import items
from osnova.services.images import ImageRules
from tests.support.factories import ItemFactory, UserFactory


def png_bytes() -> BytesIO:
    out = BytesIO()
    Image.new("RGB", (8, 8), "teal").save(out, format="PNG")
    out.seek(0)
    return out


def test_someone_elses_private_item_is_not_found_not_forbidden(session: Session) -> None:
    item = ItemFactory(is_public=False)
    stranger = UserFactory()
    with pytest.raises(NotFound):
        items.get_item(session=session, actor=stranger, item_id=item.id)
    with pytest.raises(NotFound):
        items.get_item(session=session, actor=None, item_id=item.id)
    with pytest.raises(NotFound):
        items.delete_item(session=session, actor=stranger, item_id=item.id)


def test_someone_elses_public_item_is_visible_but_not_editable(session: Session) -> None:
    item = ItemFactory(is_public=True)
    stranger = UserFactory()
    assert items.get_item(session=session, actor=stranger, item_id=item.id) is item
    with pytest.raises(PermissionDenied):
        items.update_item(
            session=session, actor=stranger, item_id=item.id, data=ItemUpdate(title="mine now")
        )
    assert item.title != "mine now"


def test_a_moderator_edits_and_unpublishes_anyones_item(session: Session) -> None:
    item = ItemFactory(is_public=True, title="Original")
    moderator = UserFactory(role="moderator")
    items.update_item(
        session=session,
        actor=moderator,
        item_id=item.id,
        data=ItemUpdate(title="Tidied", is_public=False),
    )
    session.commit()
    session.expire_all()
    assert (item.title, item.is_public, item.owner_id != moderator.id) == ("Tidied", False, True)


def test_an_update_changes_only_the_fields_given(session: Session) -> None:
    item = ItemFactory(title="Keep", description="Keep too", is_public=True)
    items.update_item(
        session=session, actor=item.owner, item_id=item.id, data=ItemUpdate(is_public=False)
    )
    assert (item.title, item.description, item.is_public) == ("Keep", "Keep too", False)


@pytest.mark.parametrize("read", [items.get_item, items.view_item], ids=["object", "columns"])
def test_one_item_is_shown_only_to_those_who_may_see_it(
    session: Session, read: Callable[..., Any]
) -> None:
    """The page's read (an ORM object) and the API's (columns) apply the same rule."""
    hidden = ItemFactory(is_public=True, owner__is_active=False)
    private = ItemFactory(is_public=False)
    public = ItemFactory(is_public=True)
    stranger, admin = UserFactory(), UserFactory(role="admin")
    for item in (hidden, private):
        for actor in (None, stranger):
            with pytest.raises(NotFound):
                read(session=session, actor=actor, item_id=item.id)
        assert read(session=session, actor=admin, item_id=item.id).id == item.id
    assert read(session=session, actor=private.owner, item_id=private.id).id == private.id
    assert read(session=session, actor=None, item_id=public.id).title == public.title
    with pytest.raises(NotFound):
        read(session=session, actor=None, item_id=public.id + 1000)


def test_owner_lists_show_private_items_only_to_the_owner_and_staff(session: Session) -> None:
    owner = UserFactory(username="olena")
    public = ItemFactory(owner=owner, is_public=True)
    private = ItemFactory(owner=owner, is_public=False)
    everyone = items.list_items(session=session, actor=UserFactory(), owner="olena")
    own = items.list_items(session=session, actor=owner, owner="olena")
    staff = items.list_items(session=session, actor=UserFactory(role="moderator"), owner="olena")
    assert [i.id for i in everyone.items] == [public.id]
    assert {i.id for i in own.items} == {public.id, private.id}
    assert {i.id for i in staff.items} == {public.id, private.id}


def test_deleting_an_item_deletes_its_image_after_commit(session: Session, tmp_path: Path) -> None:
    rules = ImageRules(media_dir=tmp_path / "media", max_bytes=1024 * 1024)
    owner = UserFactory()
    item = items.create_item(
        session=session,
        owner=owner,
        data=ItemCreate(title="With a picture"),
        image=png_bytes(),
        image_rules=rules,
    )
    session.commit()
    assert item.image is not None
    stored = rules.media_dir / item.image
    assert stored.is_file()
    items.delete_item(session=session, actor=owner, item_id=item.id, image_rules=rules)
    assert stored.is_file()  # still there until the deletion commits
    session.commit()
    assert not stored.exists()
    assert session.get(Item, item.id) is None


def test_an_image_stored_for_a_rolled_back_item_is_removed(
    session: Session, tmp_path: Path
) -> None:
    rules = ImageRules(media_dir=tmp_path / "media", max_bytes=1024 * 1024)
    item = items.create_item(
        session=session,
        owner=UserFactory(),
        data=ItemCreate(title="Never saved"),
        image=png_bytes(),
        image_rules=rules,
    )
    assert item.image is not None
    stored = rules.media_dir / item.image
    assert stored.is_file()
    session.rollback()
    assert not stored.exists()
