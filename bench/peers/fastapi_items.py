"""A FastAPI peer for osnova's first page of items, written the way FastAPI's SQL tutorial
writes one: a sync endpoint, one SQLAlchemy session per request from a ``Depends``
generator, and a pydantic response model.

It reads osnova's own ``items`` table (``BENCH_DATABASE_URL``) and does only what a tutorial
does: no owner join, no account check, no cursor, request id, metrics or security headers.
Served by ``uvicorn fastapi_items:app --workers 2`` from bench/.venv-peers.
"""

import os
from collections.abc import Iterator
from datetime import datetime
from typing import Annotated

from fastapi import Depends, FastAPI
from pydantic import BaseModel, ConfigDict
from sqlalchemy import Boolean, DateTime, ForeignKey, String, Text, create_engine, select
from sqlalchemy.orm import DeclarativeBase, Mapped, Session, mapped_column, sessionmaker

DATABASE_URL = os.environ["BENCH_DATABASE_URL"]
# FastAPI runs a sync endpoint in a thread pool; SQLite connections must be allowed to move.
connect_args = {"check_same_thread": False} if DATABASE_URL.startswith("sqlite") else {}
engine = create_engine(DATABASE_URL, connect_args=connect_args)
SessionLocal = sessionmaker(bind=engine, autoflush=False)


class Base(DeclarativeBase):
    pass


class Item(Base):
    __tablename__ = "items"

    id: Mapped[int] = mapped_column(primary_key=True)
    owner_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    title: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text)
    is_public: Mapped[bool] = mapped_column(Boolean)
    created_at: Mapped[datetime] = mapped_column(DateTime)
    updated_at: Mapped[datetime] = mapped_column(DateTime)


class ItemOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    owner_id: int
    title: str
    description: str
    is_public: bool
    created_at: datetime
    updated_at: datetime


def get_session() -> Iterator[Session]:
    with SessionLocal() as session:
        yield session


app = FastAPI()


@app.get("/items", response_model=list[ItemOut])
def read_items(session: Annotated[Session, Depends(get_session)], limit: int = 20) -> list[Item]:
    query = (
        select(Item)
        .where(Item.is_public.is_(True))
        .order_by(Item.created_at.desc(), Item.id.desc())
        .limit(limit)
    )
    return list(session.scalars(query))
