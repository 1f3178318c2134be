"""factory_boy factories for users and items, committed through the app's session."""

from __future__ import annotations

from typing import Any, cast

import factory
from argon2 import PasswordHasher
from sqlalchemy.orm import scoped_session

from osnova.models import Item, Role, User

DEFAULT_PASSWORD = "correct horse battery staple"
# Same cheap parameters as the testing profile, computed once for all factories.
DEFAULT_PASSWORD_HASH = PasswordHasher(time_cost=1, memory_cost=8, parallelism=1).hash(
    DEFAULT_PASSWORD
)


class _Base(factory.alchemy.SQLAlchemyModelFactory):  # type: ignore[misc]
    class Meta:
        abstract = True
        sqlalchemy_session_persistence = "commit"


class _UserRows(_Base):
    class Meta:
        model = User

    username = factory.Sequence(lambda n: f"user{n}")
    email = factory.LazyAttribute(lambda u: f"{u.username}@example.org")
    full_name = factory.Faker("name")
    password_hash = DEFAULT_PASSWORD_HASH
    role = Role.USER.value
    is_active = True


class _ItemRows(_Base):
    class Meta:
        model = Item

    owner = factory.SubFactory(_UserRows)
    title = factory.Sequence(lambda n: f"Item number {n}")
    description = "A thing worth sharing."
    is_public = True


def bind(session: scoped_session[Any]) -> None:
    """Point every factory at the current app's session."""
    for factory_class in (_UserRows, _ItemRows):
        factory_class._meta.sqlalchemy_session = session


def UserFactory(**fields: Any) -> User:  # noqa: N802 - reads as the factory it wraps
    """A committed user; any field may be given, the rest are made up."""
    return cast(User, _UserRows(**fields))


def ItemFactory(**fields: Any) -> Item:  # noqa: N802 - reads as the factory it wraps
    """A committed public item, with a new owner unless ``owner`` is given."""
    return cast(Item, _ItemRows(**fields))
