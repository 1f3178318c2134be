"""Mail about accounts (confirm an address, reset a password, "already registered").

Both doors queue these with the ``send_*`` functions, after their transaction commits; the
background job ``account_mail`` then writes and sends them with ``deliver``, retried while the
mail server is down. A request therefore never waits for SMTP, never fails because of it,
and answers "forgot password" in the same time whether or not the address has an account:
that lookup happens in the job too. Links point at the HTML pages, built on
``OSNOVA_BASE_URL`` when it is set, so a forged Host header never ends up in a mail; tokens
are made when the mail is written, so the queue never holds one.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from enum import StrEnum
from typing import Any

from flask import current_app, request, url_for
from flask_babel import force_locale, get_locale, gettext

from osnova.extensions import current_settings, db, enqueue_job, signing_key
from osnova.models import User
from osnova.services import account_links, accounts
from osnova.services.mail import Mail, send

log = logging.getLogger("osnova.mail")


class AccountMail(StrEnum):
    VERIFY = "verify"
    RESET = "reset"
    # "Forgot password": only the address is known; the job looks for its account.
    RESET_REQUESTED = "reset-requested"
    ALREADY_REGISTERED = "already-registered"


def external_url(endpoint: str, **values: Any) -> str:
    """An absolute link for mail, on OSNOVA_BASE_URL when set (never the request's Host)."""
    base = current_settings().base_url
    if base:
        return base.rstrip("/") + url_for(endpoint, **values)
    return url_for(endpoint, _external=True, **values)


def send_verification(user: User) -> None:
    _queue(AccountMail.VERIFY, user_id=user.id)


def send_reset_link(user: User) -> None:
    _queue(AccountMail.RESET, user_id=user.id)


def send_reset_link_to_address(email: str) -> None:
    """Queue a reset link for whichever active account uses ``email``, if any."""
    _queue(AccountMail.RESET_REQUESTED, email=email)


def send_already_registered(user: User) -> None:
    _queue(AccountMail.ALREADY_REGISTERED, user_id=user.id)


def _queue(kind: AccountMail, *, user_id: int | None = None, email: str | None = None) -> None:
    enqueue_job(
        "account_mail",
        kind=kind.value,
        user_id=user_id,
        email=email,
        locale=str(get_locale() or "en"),
        link_base=current_settings().base_url or request.host_url,
    )


def deliver(
    *, kind: str, user_id: int | None, email: str | None, locale: str, link_base: str
) -> None:
    """The job: write the mail in the requester's language and send it (raises to retry)."""
    mail_kind = AccountMail(kind)
    with current_app.test_request_context("/", base_url=link_base), force_locale(locale):
        session = db.session()
        if mail_kind is AccountMail.RESET_REQUESTED:
            user = accounts.account_for_reset(session=session, email=email or "")
        else:
            user = session.get(User, user_id) if user_id is not None else None
        if user is None or (mail_kind is AccountMail.RESET and not user.is_active):
            log.info("no mail to send", extra={"mail": kind})
            return
        subject, body = _WRITERS[mail_kind](user)
        send(settings=current_settings(), mail=Mail(user.email, subject, body))


def _verification(user: User) -> tuple[str, str]:
    token = account_links.make_verify_token(secret_key=signing_key(), user=user)
    body = gettext(
        "Hello %(name)s,\n\nplease confirm your email address for osnova by opening this link "
        "(valid for %(hours)s hours):\n\n%(link)s\n",
        name=user.display_name,
        hours=current_settings().verify_link_hours,
        link=external_url("auth.verify_email", token=token),
    )
    return gettext("Confirm your email"), body


def _reset_link(user: User) -> tuple[str, str]:
    token = account_links.make_reset_token(secret_key=signing_key(), user=user)
    body = gettext(
        "Hello %(name)s,\n\nsomeone asked to reset the password of your osnova account. If it "
        "was you, open this link (valid for %(minutes)s minutes):\n\n%(link)s\n\n"
        "If it was not you, ignore this message; your password stays as it is.\n",
        name=user.display_name,
        minutes=current_settings().reset_link_minutes,
        link=external_url("auth.reset_link", token=token),
    )
    return gettext("Reset your password"), body


def _already_registered(user: User) -> tuple[str, str]:
    body = gettext(
        "Hello %(name)s,\n\nsomeone tried to register a new osnova account with this email "
        "address, which already has one. If it was you, sign in, or reset your password "
        "here:\n\n%(link)s\n",
        name=user.display_name,
        link=external_url("auth.forgot_password"),
    )
    return gettext("Your osnova account"), body


_WRITERS: dict[AccountMail, Callable[[User], tuple[str, str]]] = {
    AccountMail.VERIFY: _verification,
    AccountMail.RESET: _reset_link,
    AccountMail.RESET_REQUESTED: _reset_link,
    AccountMail.ALREADY_REGISTERED: _already_registered,
}
