"""Mail about accounts (confirm an address, reset a password, an admin's invitation,
"already registered", email changes).

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
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any

from flask import current_app, request, url_for
from flask_babel import force_locale, get_locale, gettext

from osnova.extensions import current_settings, db, enqueue_job, signing_key
from osnova.models import User
from osnova.services import account_links, accounts, email_changes
from osnova.services.email_changes import EmailChange
from osnova.services.mail import Mail, send

log = logging.getLogger("osnova.mail")


class AccountMail(StrEnum):
    VERIFY = "verify"
    RESET = "reset"
    # An account an admin opened: the link chooses its first password.
    INVITATION = "invitation"
    # "Forgot password": only the address is known; the job looks for its account.
    RESET_REQUESTED = "reset-requested"
    ALREADY_REGISTERED = "already-registered"
    # An account holder's change: the link to the new address, the notice to the old one.
    EMAIL_CHANGE_CONFIRM = "email-change-confirm"
    EMAIL_CHANGE_NOTICE = "email-change-notice"
    # An admin's change: one mail to each address (``email`` says which).
    EMAIL_CHANGED_BY_ADMIN = "email-changed-by-admin"


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


def send_invitation(user: User) -> None:
    _queue(AccountMail.INVITATION, user_id=user.id)


def send_reset_link_to_address(email: str) -> None:
    """Queue a reset link for whichever active account uses ``email``, if any."""
    _queue(AccountMail.RESET_REQUESTED, email=email)


def send_already_registered(user: User) -> None:
    _queue(AccountMail.ALREADY_REGISTERED, user_id=user.id)


def send_email_change_mails(change: EmailChange) -> None:
    """The confirmation link to the new address, and to the old one the notice with its
    cancel link."""
    _queue(AccountMail.EMAIL_CHANGE_CONFIRM, user_id=change.user_id, change=change)
    _queue(AccountMail.EMAIL_CHANGE_NOTICE, user_id=change.user_id, change=change)


def send_admin_email_change(change: EmailChange) -> None:
    """Tell the old and the new address that an admin changed the account's email."""
    for address in (change.old_email, change.new_email):
        _queue(
            AccountMail.EMAIL_CHANGED_BY_ADMIN,
            user_id=change.user_id,
            email=address,
            change=change,
        )


def _queue(
    kind: AccountMail,
    *,
    user_id: int | None = None,
    email: str | None = None,
    change: EmailChange | None = None,
) -> None:
    extra: dict[str, str] = {}
    if change is not None:
        extra = {
            "old_email": change.old_email,
            "new_email": change.new_email,
            "requested_at": change.requested_at.isoformat(),
        }
    enqueue_job(
        "account_mail",
        kind=kind.value,
        user_id=user_id,
        email=email,
        locale=str(get_locale() or "en"),
        link_base=current_settings().base_url or request.host_url,
        **extra,
    )


@dataclass(frozen=True)
class Job:
    """What a mail job was queued with besides the account: the addresses of a change as
    they were then (the account may have moved on by the time the job runs)."""

    email: str | None = None
    old_email: str | None = None
    new_email: str | None = None
    requested_at: str | None = None


def deliver(
    *,
    kind: str,
    user_id: int | None,
    email: str | None,
    locale: str,
    link_base: str,
    old_email: str | None = None,
    new_email: str | None = None,
    requested_at: str | None = None,
) -> None:
    """The job: write the mail in the requester's language and send it (raises to retry)."""
    mail_kind = AccountMail(kind)
    job = Job(email, old_email, new_email, requested_at)
    with current_app.test_request_context("/", base_url=link_base), force_locale(locale):
        session = db.session()
        if mail_kind is AccountMail.RESET_REQUESTED:
            user = accounts.account_for_reset(session=session, email=email or "")
        else:
            user = session.get(User, user_id) if user_id is not None else None
        needs_active = mail_kind in (AccountMail.RESET, AccountMail.INVITATION)
        if user is None or (needs_active and not user.is_active):
            log.info("no mail to send", extra={"mail": kind})
            return
        mail = _WRITERS[mail_kind](user, job)
        if mail is None:
            log.info("no mail to send", extra={"mail": kind})
            return
        send(settings=current_settings(), mail=mail)


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


def _invitation(user: User) -> tuple[str, str]:
    token = account_links.make_invitation_token(secret_key=signing_key(), user=user)
    body = gettext(
        "Hello %(name)s,\n\nan administrator opened an osnova account for you: your username "
        "is %(username)s. To start, choose your password by opening this link (valid for "
        "%(days)s days):\n\n%(link)s\n\nIf you did not expect this, ignore this message; "
        "nobody can sign in to the account until a password is chosen.\n",
        name=user.display_name,
        username=user.username,
        days=current_settings().invitation_link_days,
        link=external_url("auth.invitation_link", token=token),
    )
    return gettext("You are invited to osnova"), body


def _already_registered(user: User) -> tuple[str, str]:
    body = gettext(
        "Hello %(name)s,\n\nsomeone tried to register a new osnova account with this email "
        "address, which already has one. If it was you, sign in, or reset your password "
        "here:\n\n%(link)s\n",
        name=user.display_name,
        link=external_url("auth.forgot_password"),
    )
    return gettext("Your osnova account"), body


def _confirm_new_address(user: User, job: Job) -> Mail | None:
    """The link to the pending address; the mail says so instead when that address is
    another account's (the request looked the same, so it cannot probe addresses)."""
    if job.new_email is None or user.pending_email != job.new_email:
        return None  # cancelled, confirmed or replaced since it was queued
    if email_changes.address_taken(session=db.session(), email=job.new_email, user_id=user.id):
        body = gettext(
            "Hello,\n\nsomeone asked to move another osnova account to this email address. "
            "The address already has an account of its own, so nothing changes and you need "
            "not do anything.\n"
        )
        return Mail(job.new_email, gettext("Your osnova account"), body)
    token = account_links.make_email_change_token(secret_key=signing_key(), user=user)
    body = gettext(
        "Hello %(name)s,\n\nplease confirm that %(email)s is to be the email address of your "
        "osnova account %(username)s by opening this link (valid for %(hours)s hours):\n\n"
        "%(link)s\n\nUntil then the account keeps its current address. If you did not ask "
        "for this, ignore this message.\n",
        name=user.display_name,
        email=job.new_email,
        username=user.username,
        hours=current_settings().email_change_link_hours,
        link=external_url("auth.confirm_email_change", token=token),
    )
    return Mail(job.new_email, gettext("Confirm your new email address"), body)


def _change_notice(user: User, job: Job) -> Mail | None:
    """To the old address, at once: what was asked, and the link that cancels it."""
    if job.old_email is None or job.new_email is None or job.requested_at is None:
        return None
    token = account_links.make_email_cancel_token(
        secret_key=signing_key(),
        user_id=user.id,
        old_email=job.old_email,
        new_email=job.new_email,
        requested_at=datetime.fromisoformat(job.requested_at),
    )
    body = gettext(
        "Hello %(name)s,\n\nsomeone signed in to your osnova account %(username)s asked to "
        "change its email address from %(old)s to %(new)s. The change takes effect once the "
        "new address is confirmed.\n\nIf it was not you, open this link: it cancels the "
        "change (or undoes it, for %(days)s days), signs the account out everywhere and "
        "revokes its API tokens. Then choose a new password.\n\n%(link)s\n",
        name=user.display_name,
        username=user.username,
        old=job.old_email,
        new=job.new_email,
        days=current_settings().email_change_undo_days,
        link=external_url("auth.cancel_email_change", token=token),
    )
    return Mail(job.old_email, gettext("Your email address is being changed"), body)


def _changed_by_admin(user: User, job: Job) -> Mail | None:
    """To each address of an admin's change; the new one may confirm itself on the way."""
    if job.email is None or job.old_email is None or job.new_email is None:
        return None
    subject = gettext("Your email address was changed by an administrator")
    if job.email == job.old_email:
        body = gettext(
            "Hello %(name)s,\n\nan administrator changed the email address of your osnova "
            "account %(username)s from %(old)s to %(new)s. Mail about the account goes to the "
            "new address from now on. If you did not expect this, contact the site's "
            "administrators.\n",
            name=user.display_name,
            username=user.username,
            old=job.old_email,
            new=job.new_email,
        )
        return Mail(job.email, subject, body)
    body = gettext(
        "Hello %(name)s,\n\nan administrator made %(new)s the email address of your osnova "
        "account %(username)s (it was %(old)s).\n",
        name=user.display_name,
        username=user.username,
        old=job.old_email,
        new=job.new_email,
    )
    if user.email == job.new_email and user.email_verified_at is None:
        token = account_links.make_verify_token(secret_key=signing_key(), user=user)
        body += "\n" + gettext(
            "Please confirm the address by opening this link (valid for %(hours)s hours):"
            "\n\n%(link)s\n",
            hours=current_settings().verify_link_hours,
            link=external_url("auth.verify_email", token=token),
        )
    return Mail(job.email, subject, body)


def _to_account(write: Callable[[User], tuple[str, str]]) -> Callable[[User, Job], Mail]:
    """A writer of mail to the account's own address."""

    def to_account(user: User, _job: Job) -> Mail:
        subject, body = write(user)
        return Mail(user.email, subject, body)

    return to_account


_WRITERS: dict[AccountMail, Callable[[User, Job], Mail | None]] = {
    AccountMail.VERIFY: _to_account(_verification),
    AccountMail.RESET: _to_account(_reset_link),
    AccountMail.RESET_REQUESTED: _to_account(_reset_link),
    AccountMail.INVITATION: _to_account(_invitation),
    AccountMail.ALREADY_REGISTERED: _to_account(_already_registered),
    AccountMail.EMAIL_CHANGE_CONFIRM: _confirm_new_address,
    AccountMail.EMAIL_CHANGE_NOTICE: _change_notice,
    AccountMail.EMAIL_CHANGED_BY_ADMIN: _changed_by_admin,
}
