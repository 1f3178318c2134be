"""Deleting an account through the API removes its items and their image files."""

from __future__ import annotations

from io import BytesIO

from flask.testing import FlaskClient
from PIL import Image
from sqlalchemy import select
from sqlalchemy.orm import Session

from osnova.config import Settings
from osnova.models import Item, User
from osnova.schemas import ItemCreate
from osnova.services import items
from osnova.services.images import ImageRules
from tests.support.clients import bearer, token_for
from tests.support.factories import UserFactory


def test_deleting_a_user_removes_their_items_and_image_files(
    client: FlaskClient, session: Session, settings: Settings
) -> None:
    admin = UserFactory(username="boss", role="admin")
    member = UserFactory(username="member")
    picture = BytesIO()
    Image.new("RGB", (8, 8), "red").save(picture, format="PNG")
    picture.seek(0)
    item = items.create_item(
        session=session,
        owner=member,
        data=ItemCreate(title="With a picture"),
        image=picture,
        image_rules=ImageRules.from_settings(settings),
    )
    session.commit()
    assert item.image is not None
    stored = settings.resolved_media_dir() / item.image
    assert stored.is_file()
    response = client.delete("/api/v1/users/member", headers=bearer(token_for(admin)))
    assert response.status_code == 204
    session.expire_all()
    assert session.scalar(select(User).where(User.username == "member")) is None
    assert session.scalars(select(Item)).first() is None
    assert not stored.exists()
