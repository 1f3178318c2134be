"""The staged SQL path stores exactly what the plain ORM path (one object per row) would."""

from __future__ import annotations

import csv
import io

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from osnova.models import AuditEvent, Item, User, new_external_id
from osnova.schemas import ItemImport, UserImport
from tests.transfer.helpers import import_text, items_table, users_table, with_new_keys_named

USERS = (
    "username,email,full_name,role,is_active\n"
    "Ann,ANN@Example.org,  Ann Example  ,admin,true\n"
    "bob,bob@example.org,,user,false\n"
    "-cy,cy@example.org,'=formula,moderator,1\n"
)
ITEMS = (
    "title,description,is_public,owner,external_id\n"
    " Lamp ,Bright,true,ann, e1 \n"
    "Chair,,no,bob,\n"
    "Табурет,Дерев'яний,yes,-cy,e3\n"
)


def orm_import(session: Session) -> None:
    """The naive reference: validate with the same models, add ORM objects, commit."""
    for row in csv.DictReader(io.StringIO(USERS)):
        user = UserImport.model_validate({k: v.removeprefix("'") for k, v in row.items()})
        session.add(
            User(
                username=user.username,
                email=user.email,
                full_name=user.full_name,
                role=str(user.role),
                is_active=user.is_active,
                password_hash=user.password_hash,
            )
        )
    session.flush()
    for row in csv.DictReader(io.StringIO(ITEMS)):
        item = ItemImport.model_validate(row)
        owner = session.scalars(select(User).where(User.username == item.owner)).one()
        session.add(
            Item(
                owner=owner,
                title=item.title,
                description=item.description,
                is_public=item.is_public,
                external_id=item.external_id or new_external_id(),
            )
        )
    session.commit()


def test_fast_path_and_orm_path_store_the_same_rows(session: Session) -> None:
    assert import_text(session, "users", USERS).ok
    assert import_text(session, "items", ITEMS).ok
    fast = (users_table(session), with_new_keys_named(items_table(session)))
    for model in (AuditEvent, Item, User):
        session.execute(delete(model))
    session.commit()
    orm_import(session)
    assert (users_table(session), with_new_keys_named(items_table(session))) == fast
    assert fast[0][0][:3] == ("-cy", "cy@example.org", "=formula")
