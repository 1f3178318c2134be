"""Who may do what: roles map to permissions, plus ownership rules for items.

This is the one place to read (and test as a table) the access rules of DESIGN.md §3.
Views and services ask here; they never compare roles themselves.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Protocol

from osnova.errors import PermissionDenied
from osnova.i18n import N_
from osnova.models import Item, Role, User


class Permission(StrEnum):
    MANAGE_OWN_ITEMS = "manage_own_items"
    MODERATE_ITEMS = "moderate_items"  # edit, unpublish or delete anyone's item
    VIEW_PRIVATE_ITEMS = "view_private_items"
    MANAGE_ACCOUNTS = "manage_accounts"  # list, change role, (de)activate, send reset links
    TRANSFER_DATA = "transfer_data"  # import/export users and everyone's items
    VIEW_ACTIVITY = "view_activity"  # the dashboard's figures and the audit trail


ROLE_PERMISSIONS: dict[Role, frozenset[Permission]] = {
    Role.USER: frozenset({Permission.MANAGE_OWN_ITEMS}),
    Role.MODERATOR: frozenset({Permission.MANAGE_OWN_ITEMS, Permission.MODERATE_ITEMS}),
    Role.ADMIN: frozenset(Permission),
}


class Actor(Protocol):
    """Anything that may act: a User, or Flask-Login's anonymous user."""

    @property
    def is_authenticated(self) -> bool: ...


class SystemActor:
    """The operator at the terminal (``osnova import``/``export``): acts with an admin's rights."""

    is_authenticated = True

    def __repr__(self) -> str:
        return "<system>"


SYSTEM = SystemActor()


def permissions_of(actor: Actor | None) -> frozenset[Permission]:
    if actor is SYSTEM:
        return ROLE_PERMISSIONS[Role.ADMIN]
    if not isinstance(actor, User) or not actor.is_active:
        return frozenset()
    return ROLE_PERMISSIONS.get(Role(actor.role), frozenset())


def can(actor: Actor | None, permission: Permission) -> bool:
    return permission in permissions_of(actor)


def denied() -> PermissionDenied:
    return PermissionDenied(N_("You are not allowed to do this."))


def _sees_everything(actor: Actor | None) -> bool:
    return can(actor, Permission.VIEW_PRIVATE_ITEMS) or can(actor, Permission.MODERATE_ITEMS)


def _is_self(actor: Actor | None, user_id: int) -> bool:
    return isinstance(actor, User) and actor.is_active and actor.id == user_id


def can_view_item(actor: Actor | None, item: Item) -> bool:
    """Public items of active accounts are for everyone; the rest for the owner, moderators
    and admins."""
    return can_view(actor, item.is_public, item.owner.is_active, item.owner_id)


def can_view(actor: Actor | None, is_public: bool, owner_is_active: bool, owner_id: int) -> bool:
    """``can_view_item`` for an item read as columns, not as an object."""
    if is_public and owner_is_active:
        return True
    return _is_self(actor, owner_id) or _sees_everything(actor)


def can_see_private_items_of(actor: Actor | None, owner: User) -> bool:
    """Whether a list of ``owner``'s items shows ``actor`` the private ones too."""
    return _is_self(actor, owner.id) or _sees_everything(actor)


def can_edit_item(actor: Actor | None, item: Item) -> bool:
    if can(actor, Permission.MODERATE_ITEMS):
        return True
    return (
        isinstance(actor, User)
        and actor.id == item.owner_id
        and can(actor, Permission.MANAGE_OWN_ITEMS)
    )
