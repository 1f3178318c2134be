"""Signed-in sessions on top of Flask-Login, invalidated on the server when needed.

The session stores ``<user id>.<session version>``; logout, a password change or a
deactivation bumps the version in the database, so an old cookie (or remember-me cookie)
no longer loads a user. Sessions also end after an idle period and an absolute lifetime.
"""

from __future__ import annotations

import time
from datetime import timedelta

from flask import Flask, session
from flask_babel import gettext
from flask_login import login_user, logout_user

from osnova.extensions import current_settings, db, login_manager
from osnova.i18n import N_
from osnova.models import User

LOGIN_AT, SEEN_AT = "_osnova_login_at", "_osnova_seen_at"
SEEN_RESOLUTION_SECONDS = 60


def load_user(session_id: str) -> User | None:
    user_part, _, version_part = session_id.partition(".")
    if not (user_part.isdigit() and version_part.isdigit()):
        return None
    user = db.session.get(User, int(user_part))
    if user is None or not user.is_active or user.session_version != int(version_part):
        return None
    return user


def start_session(user: User, *, remember: bool = False) -> None:
    """A fresh session for ``user``: nothing from the anonymous session is carried over."""
    session.clear()
    settings = current_settings()
    login_user(
        user,
        remember=remember and settings.remember_days > 0,
        duration=timedelta(days=settings.remember_days),
        force=True,
    )
    now = int(time.time())
    session[LOGIN_AT] = now
    session[SEEN_AT] = now
    session.permanent = True


def end_session() -> None:
    """Forget the user here and tell the browser to drop its remember-me cookie."""
    session.clear()
    logout_user()


def _enforce_lifetimes() -> None:
    if "_user_id" not in session:
        return
    settings = current_settings()
    now = int(time.time())
    login_at = int(session.get(LOGIN_AT, now))
    seen_at = int(session.get(SEEN_AT, now))
    too_old = now - login_at > settings.session_lifetime_hours * 3600
    too_idle = now - seen_at > settings.session_idle_minutes * 60
    if too_old or too_idle:
        # A remember-me cookie, if any, may still start a new session.
        session.clear()
        return
    session.setdefault(LOGIN_AT, now)
    if now - seen_at >= SEEN_RESOLUTION_SECONDS or SEEN_AT not in session:
        session[SEEN_AT] = now


def init_sessions(app: Flask) -> None:
    login_manager.user_loader(load_user)
    login_manager.login_view = "auth.login"
    login_manager.login_message = N_("Please sign in to see this page.")
    login_manager.localize_callback = gettext
    login_manager.session_protection = "basic"
    app.before_request(_enforce_lifetimes)
