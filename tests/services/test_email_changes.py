"""Email change rules that the pages and the API share."""

from __future__ import annotations

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from osnova.config import Settings
from osnova.errors import Conflict, InvalidInput
from osnova.models import ApiToken, User
from osnova.services import account_links, email_changes, tokens
from osnova.services.email_changes import CancelOutcome
from tests.support.factories import DEFAULT_PASSWORD, UserFactory

SECRET = "a signing key for these tests only"


def ask(session: Session, settings: Settings, user: User, email: str) -> None:
    email_changes.request_change(
        session=session,
        settings=settings,
        user=user,
        new_email=email,
        current_password=DEFAULT_PASSWORD,
        remote_addr=None,
    )
    session.commit()


def test_two_accounts_asking_for_one_address_only_the_first_to_confirm_gets_it(
    session: Session, settings: Settings
) -> None:
    ann, bob = UserFactory(username="ann"), UserFactory(username="bob")
    ask(session, settings, ann, "shared@example.org")
    ask(session, settings, bob, "shared@example.org")

    email_changes.confirm_change(session=session, user=ann, remote_addr=None)
    session.commit()
    with pytest.raises(Conflict):
        email_changes.confirm_change(session=session, user=bob, remote_addr=None)
    session.rollback()

    assert ann.email == "shared@example.org"
    assert (bob.email, bob.pending_email) == ("bob@example.org", "shared@example.org")


def test_undoing_after_the_old_address_was_taken_still_ends_every_session_and_token(
    session: Session, settings: Settings
) -> None:
    ann = UserFactory(username="ann", email="ann@example.org")
    tokens.create_token(session=session, user=ann)
    ask(session, settings, ann, "ann.new@example.org")
    requested_at = ann.email_change_requested_at
    assert requested_at is not None
    email_changes.confirm_change(session=session, user=ann, remote_addr=None)
    session.commit()
    UserFactory(username="squatter", email="ann@example.org")  # the freed address, registered
    versions_before = ann.session_version

    token = account_links.make_email_cancel_token(
        secret_key=SECRET,
        user_id=ann.id,
        old_email="ann@example.org",
        new_email="ann.new@example.org",
        requested_at=requested_at,
    )
    link = account_links.change_for_cancel_token(
        session=session, secret_key=SECRET, token=token, max_age_seconds=3600
    )
    outcome = email_changes.cancel_from_old_address(session=session, link=link, remote_addr=None)
    session.commit()

    assert outcome is CancelOutcome.SECURED
    assert ann.email == "ann.new@example.org"
    assert ann.session_version == versions_before + 1
    live = select(ApiToken).where(ApiToken.user_id == ann.id, ApiToken.revoked_at.is_(None))
    assert session.scalars(live).all() == []


def test_an_account_without_a_password_cannot_change_its_email(
    session: Session, settings: Settings
) -> None:
    ann = UserFactory(username="ann", password_hash=None)
    with pytest.raises(InvalidInput) as refused:
        email_changes.request_change(
            session=session,
            settings=settings,
            user=ann,
            new_email="elsewhere@example.org",
            current_password="anything at all",
            remote_addr=None,
        )
    assert [error.field for error in refused.value.errors] == ["current_password"]


def test_asking_for_the_current_address_changes_nothing_and_needs_no_password(
    session: Session, settings: Settings
) -> None:
    ann = UserFactory(username="ann", email="ann@example.org")
    change = email_changes.request_change(
        session=session,
        settings=settings,
        user=ann,
        new_email="ann@example.org",
        current_password=None,
        remote_addr=None,
    )
    assert change is None
    assert ann.pending_email is None
