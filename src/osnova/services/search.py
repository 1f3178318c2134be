"""Full-text matching of items, through each database's own index (migration 0003).

The visitor's text is reduced to its words (Unicode letters and digits) before it reaches
any query language, so operators, quotes, ``%``, ``_`` and ``*`` are plain text and a query
never raises: SQLite FTS5 gets each word as a quoted string, PostgreSQL ``plainto_tsquery``,
MariaDB a boolean-mode query that requires every word. All words must match (on MariaDB,
words under three letters and InnoDB's stopwords are not indexed, so they are ignored).

How a list finds its matches depends on how many there are, which a capped count through
the full-text index tells first (``how_many``): a few are fetched from the index and sorted
(``Matching.FEW``); many are found by walking the list's own order and testing each row
(``Matching.MANY``), which reaches a page of them after a few dozen rows. Either way alone
fails on a big catalogue: on 1,000,000 items, walking the order for a word with no match
tested every row (1.2 s on PostgreSQL), and sorting the 333,000 matches of a common word
took 57 ms on SQLite where the walk takes 2 ms.
"""

from __future__ import annotations

import re
from enum import Enum
from typing import Any

from sqlalchemy import (
    Boolean,
    ColumnElement,
    Integer,
    any_,
    column,
    exists,
    false,
    func,
    literal,
    literal_column,
    select,
    table,
    text,
)
from sqlalchemy.dialects.mysql import match
from sqlalchemy.orm import Session
from sqlalchemy.sql.expression import UnaryExpression
from sqlalchemy.sql.operators import custom_op

from osnova.models import Item

MAX_TERMS = 16
MAX_TERM_LENGTH = 64
MARIADB_MIN_WORD = 3
_WORD = re.compile(r"\w+")
_fts = table("items_fts", column("rowid"))
_found = table("items", column("id", Integer()), column("search_vector")).alias("found")
# Up to this many matches a list starts from them; beyond, it walks its order. Counting
# rowids in SQLite's FTS5 index is cheap (0.7 ms for 20,000) and testing a row there dear
# (30-120 us, the query is parsed again for each), so SQLite sorts up to 100,000 matches
# (about 20 ms); PostgreSQL tests a row in about a microsecond and fetches a match in three.
MANY_MATCHES = {"sqlite": 100_000, "postgresql": 2_000}
_COUNT_MATCHES = {
    "sqlite": text(
        "SELECT count(*) FROM (SELECT rowid FROM items_fts WHERE items_fts MATCH :match LIMIT :cap)"
    ),
    "postgresql": text(
        "SELECT count(*) FROM (SELECT 1 FROM items "
        "WHERE search_vector @@ plainto_tsquery('simple', :match) LIMIT :cap) AS probe"
    ),
}


class Matching(Enum):
    """How a list reaches the items matching a search (see the module's docstring)."""

    FEW = "few"
    MANY = "many"


def how_many(session: Session, dialect: str, query: str) -> Matching | None:
    """Whether ``query`` (from ``match_text``) matches few items or many, or None for none."""
    statement = _COUNT_MATCHES.get(dialect)
    if statement is None:  # MariaDB always starts from its FULLTEXT index
        return Matching.FEW
    cap = MANY_MATCHES[dialect]
    found = session.connection().execute(statement, {"match": query, "cap": cap}).scalar_one()
    if not found:
        return None
    return Matching.MANY if found >= cap else Matching.FEW


def owner_id_for_join(dialect: str, how: Matching | None) -> ColumnElement[int]:
    """``items.owner_id`` as a list joins it to its owner. While walking the list's order for
    many matches on SQLite it is wrapped in a unary ``+``: otherwise the planner may start
    from the accounts, read every item and sort them (9 s instead of 2 ms on 1,000,000)."""
    if how is Matching.MANY and dialect == "sqlite":
        return UnaryExpression(Item.owner_id.expression, operator=custom_op("+"), type_=Integer())
    return Item.owner_id.expression


def public_only(few_matches: bool, dialect: str) -> ColumnElement[bool]:
    """The "public items" condition of a list.

    While searching for few matches on SQLite it is wrapped in a unary ``+``, which keeps the
    planner off the ``(is_public, created_at, id)`` index: it then starts from the full-text
    matches and sorts them, instead of walking the newest-first index and testing each row
    against the matches. Measured on 100,000 items: a word in 0.1% of them 0.12 ms instead of
    8 ms.
    """
    if few_matches and dialect == "sqlite":
        plus = UnaryExpression(Item.is_public.expression, operator=custom_op("+"), type_=Boolean())
        return plus.is_(True)
    return Item.is_public.is_(True)


def search_terms(q: str) -> list[str]:
    """The words of ``q``, at most 16 of at most 64 characters each."""
    return [word[:MAX_TERM_LENGTH] for word in _WORD.findall(q)][:MAX_TERMS]


def item_matches(q: str, session: Session) -> tuple[ColumnElement[bool], Matching | None]:
    """A WHERE condition: the item's title and description contain every word of ``q``; and
    how many match (None: none, and the condition is false)."""
    dialect = session.get_bind().dialect.name
    query = match_text(q, dialect)
    how = None if query is None else how_many(session, dialect, query)
    if query is None or how is None:
        return false(), None
    return matches(dialect, literal(query), how), how


def match_text(q: str, dialect: str) -> str | None:
    """``q`` in the database's full-text query language, or None when nothing can match.

    Kept apart from the condition (``matches``) so that a list's statement can be built once
    with a bound parameter in its place and reused for every search.
    """
    terms = search_terms(q)
    if dialect == "mysql":
        # InnoDB indexes no word shorter than innodb_ft_min_token_size (3): requiring one
        # would match nothing, so such words are left out of the query.
        terms = [term for term in terms if len(term) >= MARIADB_MIN_WORD]
    if not terms:
        return None
    if dialect == "sqlite":
        return " ".join(f'"{term}"' for term in terms)
    if dialect == "postgresql":
        return " ".join(terms)
    return " ".join(f'+"{term}"' for term in terms)


def matches(dialect: str, text: ColumnElement[str], how: Matching) -> ColumnElement[bool]:
    """A WHERE condition: the item matches ``text``, a query made by ``match_text``, in the
    form that suits ``how`` many items match."""
    if dialect == "sqlite":
        in_index = literal_column("items_fts").op("MATCH")(text)
        if how is Matching.MANY:
            return exists().where(in_index, _fts.c.rowid == Item.id)
        return Item.id.in_(select(_fts.c.rowid).where(in_index))
    if dialect == "postgresql":
        query = func.plainto_tsquery("simple", text)
        if how is Matching.MANY:
            vector: ColumnElement[Any] = literal_column("items.search_vector")
            return vector.op("@@")(query)
        # ARRAY(subquery) runs once; its ids are then looked up by primary key and sorted.
        found = select(_found.c.id).where(_found.c.search_vector.op("@@")(query))
        return Item.id == any_(func.array(found.scalar_subquery()))
    return match(Item.title.expression, Item.description.expression, against=text).in_boolean_mode()
