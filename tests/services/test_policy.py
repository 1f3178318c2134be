"""The access rules of DESIGN.md §3 as one table."""

from __future__ import annotations

import pytest

from osnova.models import Item, Role, User
from osnova.services.policy import Permission, can, can_edit_item, can_view_item


def person(user_id: int, role: Role, active: bool = True) -> User:
    return User(
        id=user_id,
        username=f"u{user_id}",
        email=f"u{user_id}@example.org",
        role=role.value,
        is_active=active,
    )


OWNER, OTHER = person(1, Role.USER), person(2, Role.USER)
MODERATOR, ADMIN = person(3, Role.MODERATOR), person(4, Role.ADMIN)
INACTIVE_ADMIN = person(5, Role.ADMIN, active=False)


@pytest.mark.parametrize(
    ("actor", "permission", "allowed"),
    [
        (None, Permission.MANAGE_OWN_ITEMS, False),
        (OWNER, Permission.MANAGE_OWN_ITEMS, True),
        (OWNER, Permission.MODERATE_ITEMS, False),
        (OWNER, Permission.MANAGE_ACCOUNTS, False),
        (OWNER, Permission.TRANSFER_DATA, False),
        (MODERATOR, Permission.MODERATE_ITEMS, True),
        (MODERATOR, Permission.MANAGE_ACCOUNTS, False),
        (MODERATOR, Permission.TRANSFER_DATA, False),
        (MODERATOR, Permission.VIEW_ACTIVITY, False),
        (OWNER, Permission.VIEW_ACTIVITY, False),
        (ADMIN, Permission.VIEW_ACTIVITY, True),
        (ADMIN, Permission.MODERATE_ITEMS, True),
        (ADMIN, Permission.MANAGE_ACCOUNTS, True),
        (ADMIN, Permission.TRANSFER_DATA, True),
        (INACTIVE_ADMIN, Permission.MANAGE_ACCOUNTS, False),
    ],
)
def test_role_permissions(actor: User | None, permission: Permission, allowed: bool) -> None:
    assert can(actor, permission) is allowed


@pytest.mark.parametrize(
    ("actor", "public", "view", "edit"),
    [
        (None, True, True, False),
        (None, False, False, False),
        (OWNER, False, True, True),
        (OTHER, True, True, False),
        (OTHER, False, False, False),
        (MODERATOR, False, True, True),
        (ADMIN, False, True, True),
    ],
)
def test_item_rules(actor: User | None, public: bool, view: bool, edit: bool) -> None:
    item = Item(id=10, owner_id=OWNER.id, owner=OWNER, title="t", is_public=public)
    assert can_view_item(actor, item) is view
    assert can_edit_item(actor, item) is edit
