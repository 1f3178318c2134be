"""Demo data for a first look at the site: an admin, a few users and their items.

Idempotent: when the demo admin exists nothing is touched. The admin's password is random
and returned once so the caller can show it; it is never a fixed default.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from osnova.config import Settings
from osnova.models import Role, User
from osnova.schemas import ItemCreate, UserCreate
from osnova.services import accounts, items

DEMO_ADMIN = "admin"
DEMO_PEOPLE = {
    "olena": ("Olena Kovalenko", ["Field guide to Carpathian birds", "Kyiv tram map, 1970"]),
    "taras": ("Taras Melnyk", ["Linocut print: sunflowers", "Handmade oak chess set"]),
    "maria": ("Maria Shevchuk", ["Embroidered vyshyvanka pattern book"]),
}


@dataclass(frozen=True)
class SeedResult:
    created: bool
    admin_username: str
    admin_password: str | None


def seed_demo(*, session: Session, settings: Settings) -> SeedResult:
    """Create the demo accounts and items unless the demo admin already exists."""
    if session.scalar(select(User.id).where(User.username == DEMO_ADMIN)) is not None:
        return SeedResult(created=False, admin_username=DEMO_ADMIN, admin_password=None)
    password = secrets.token_urlsafe(15)
    accounts.create_user(
        session=session,
        settings=settings,
        data=UserCreate(
            username=DEMO_ADMIN,
            email="admin@example.com",
            full_name="Demo Admin",
            password=password,
        ),
        role=Role.ADMIN,
    )
    for username, (full_name, titles) in DEMO_PEOPLE.items():
        owner = accounts.create_user(
            session=session,
            settings=settings,
            data=UserCreate(
                username=username, email=f"{username}@example.com", full_name=full_name
            ),
        )
        for title in titles:
            items.create_item(
                session=session,
                owner=owner,
                data=ItemCreate(title=title, description=f"Shared by {full_name}.", is_public=True),
            )
        items.create_item(
            session=session,
            owner=owner,
            data=ItemCreate(title=f"{full_name}'s private notes", is_public=False),
        )
    return SeedResult(created=True, admin_username=DEMO_ADMIN, admin_password=password)
