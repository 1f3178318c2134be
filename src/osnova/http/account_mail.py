"""Mail about accounts (confirm an address, reset a password, "already registered").

Both doors send these: the HTML pages and the JSON API. Links point at the HTML pages, built
on ``OSNOVA_BASE_URL`` when it is set, so a forged Host header never ends up in a mail.
"""

from __future__ import annotations

from typing import Any

from flask import url_for
from flask_babel import gettext

from osnova.extensions import current_settings, signing_key
from osnova.models import User
from osnova.services import account_links
from osnova.services.mail import Mail, send


def external_url(endpoint: str, **values: Any) -> str:
    """An absolute link for mail, on OSNOVA_BASE_URL when set (never the request's Host)."""
    base = current_settings().base_url
    if base:
        return base.rstrip("/") + url_for(endpoint, **values)
    return url_for(endpoint, _external=True, **values)


def send_verification(user: User) -> None:
    token = account_links.make_verify_token(secret_key=signing_key(), user=user)
    link = external_url("auth.verify_email", token=token)
    body = gettext(
        "Hello %(name)s,\n\nplease confirm your email address for osnova by opening this link "
        "(valid for %(hours)s hours):\n\n%(link)s\n",
        name=user.display_name,
        hours=current_settings().verify_link_hours,
        link=link,
    )
    _send(user, gettext("Confirm your email"), body)


def send_reset_link(user: User) -> None:
    token = account_links.make_reset_token(secret_key=signing_key(), user=user)
    link = external_url("auth.reset_password", token=token)
    body = gettext(
        "Hello %(name)s,\n\nsomeone asked to reset the password of your osnova account. If it "
        "was you, open this link (valid for %(minutes)s minutes):\n\n%(link)s\n\n"
        "If it was not you, ignore this message; your password stays as it is.\n",
        name=user.display_name,
        minutes=current_settings().reset_link_minutes,
        link=link,
    )
    _send(user, gettext("Reset your password"), body)


def send_already_registered(user: User) -> None:
    body = gettext(
        "Hello %(name)s,\n\nsomeone tried to register a new osnova account with this email "
        "address, which already has one. If it was you, sign in, or reset your password "
        "here:\n\n%(link)s\n",
        name=user.display_name,
        link=external_url("auth.forgot_password"),
    )
    _send(user, gettext("Your osnova account"), body)


def _send(user: User, subject: str, body: str) -> None:
    send(settings=current_settings(), mail=Mail(user.email, subject, body))
