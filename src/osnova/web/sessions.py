"""Signed-in sessions on top of Flask-Login, with server-side limits and remembered devices.

The session stores ``<user id>.<session version>``; signing out, a password change or a
deactivation bumps the version in the database, so an old cookie no longer loads a user.
A session ends after ``OSNOVA_SESSION_IDLE_MINUTES`` without a request and
``OSNOVA_SESSION_LIFETIME_HOURS`` after sign-in, whatever happens in between.

"Keep me signed in" remembers the device (``services.remembered_devices``): its cookie
starts a new session when the old one has ended, for as long as the device row lives.
A session started that way, or at a sign-in that remembered the device, ends with the row,
so forgetting a device on the account page signs it out at once. Flask-Login's own
remember-me cookie is never issued.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from flask import Flask, current_app, g, request, session
from flask_babel import gettext
from flask_login import login_user, logout_user
from werkzeug.wrappers import Response

from osnova.extensions import current_settings, current_time, db, login_manager
from osnova.i18n import N_
from osnova.models import User
from osnova.services import audit, remembered_devices

LOGIN_AT, SEEN_AT, DEVICE = "_osnova_login_at", "_osnova_seen_at", "_osnova_device"
SEEN_RESOLUTION_SECONDS = 60


@dataclass(frozen=True)
class CookieChange:
    """What the response does to the device cookie: set a secret, or delete it (None)."""

    secret: str | None
    max_age: int = 0


def load_user(session_id: str) -> User | None:
    """The user of a session this module opened (stamped with its sign-in time), else None.

    Flask-Login also calls this for a remember-me cookie it signed itself; osnova issues
    none, and an unstamped session never loads a user, so no such cookie can sign anyone in.
    """
    if LOGIN_AT not in session:
        return None
    user_part, _, version_part = session_id.partition(".")
    if not (user_part.isdigit() and version_part.isdigit()):
        return None
    user = db.session.get(User, int(user_part))
    if user is None or not user.is_active or user.session_version != int(version_part):
        return None
    return user


def _device_cookie() -> str | None:
    return request.cookies.get(current_app.config["REMEMBER_COOKIE_NAME"])


def _drop_device_cookie() -> None:
    if _device_cookie() is not None:
        g.osnova_device_cookie = CookieChange(secret=None)


def _open(user: User, now: datetime, *, fresh: bool, device_id: int | None) -> None:
    session.clear()
    g.pop("_login_user", None)
    login_user(user, remember=False, fresh=fresh, force=True)
    stamp = int(now.timestamp())
    session[LOGIN_AT] = stamp
    session[SEEN_AT] = stamp
    if device_id is not None:
        session[DEVICE] = device_id
    session.permanent = True


def start_session(user: User, *, remember: bool = False) -> None:
    """A fresh session for ``user`` after a password: nothing of the old session is kept.

    With ``remember`` (and remembering not turned off) this device is remembered and gets a
    new cookie; otherwise any device cookie the browser had is forgotten and removed. The
    caller commits.
    """
    settings = current_settings()
    now = current_time()
    old_secret = _device_cookie()
    if old_secret is not None:
        remembered_devices.forget_secret(session=db.session(), secret=old_secret)
    if not (remember and settings.remember_days > 0):
        _open(user, now, fresh=True, device_id=None)
        _drop_device_cookie()
        return
    issued = remembered_devices.remember(
        session=db.session(),
        user=user,
        user_agent=request.user_agent.string,
        now=now,
        days=settings.remember_days,
        remote_addr=request.remote_addr,
    )
    _open(user, now, fresh=True, device_id=issued.device.id)
    max_age = int((issued.device.expires_at - now).total_seconds())
    g.osnova_device_cookie = CookieChange(secret=issued.secret, max_age=max_age)


def remembered_device_id() -> int | None:
    """The remembered device this session belongs to, if any."""
    device_id = session.get(DEVICE)
    return device_id if isinstance(device_id, int) else None


def stop_remembering_here() -> None:
    """This browser stays signed in for its session, but is no longer remembered."""
    session.pop(DEVICE, None)
    _drop_device_cookie()


def end_session() -> None:
    """Forget the user and this device here, and tell the browser to drop the cookie."""
    secret = _device_cookie()
    if secret is not None:
        remembered_devices.forget_secret(session=db.session(), secret=secret)
    session.clear()
    logout_user()
    session.pop("_remember", None)  # the device cookie is ours to delete, below
    _drop_device_cookie()


def _session_ended(now: datetime) -> bool:
    settings = current_settings()
    login_at, seen_at = session.get(LOGIN_AT), session.get(SEEN_AT)
    if not (isinstance(login_at, int) and isinstance(seen_at, int)):
        return True
    stamp = int(now.timestamp())
    if stamp - login_at > settings.session_lifetime_hours * 3600:
        return True
    if stamp - seen_at > settings.session_idle_minutes * 60:
        return True
    device_id = remembered_device_id()
    if device_id is None:
        return False
    user_id = str(session.get("_user_id", "")).partition(".")[0]
    return not (
        user_id.isdigit()
        and remembered_devices.still_remembered(
            session=db.session(), device_id=device_id, user_id=int(user_id), now=now
        )
    )


def _resume_remembered_device(now: datetime) -> None:
    secret = _device_cookie()
    if secret is None:
        return
    device = remembered_devices.resume(session=db.session(), secret=secret, now=now)
    if device is None:
        db.session.commit()  # an expired row is deleted
        _drop_device_cookie()
        return
    _open(device.user, now, fresh=False, device_id=device.id)
    audit.record(
        session=db.session(),
        action="login.remembered",
        actor=device.user,
        target=f"device:{device.id}",
        remote_addr=request.remote_addr,
    )
    db.session.commit()


def _enforce_lifetimes() -> None:
    """End a session past its limits; start one from a remembered device when there is none."""
    if not request.cookies:
        # Neither a session nor a remembered device: an anonymous visitor, which Flask-Login
        # would otherwise work out on the page's first look at current_user (its session
        # protection hashing the address and browser included).
        g._login_user = login_manager.anonymous_user()
        return
    endpoint = request.endpoint or ""
    if endpoint == "static" or endpoint.endswith(".static") or request.blueprint == "probes":
        return
    now = current_time()
    if "_user_id" in session:
        if not _session_ended(now):
            if db.session.dirty:
                db.session.commit()  # the device's last use moved
            stamp = int(now.timestamp())
            if stamp - int(session[SEEN_AT]) >= SEEN_RESOLUTION_SECONDS:
                session[SEEN_AT] = stamp
            return
        session.clear()
        g.pop("_login_user", None)
    _resume_remembered_device(now)


def _write_device_cookie(response: Response) -> Response:
    change: CookieChange | None = g.pop("osnova_device_cookie", None)
    if change is None:
        return response
    config = current_app.config
    name = config["REMEMBER_COOKIE_NAME"]
    if change.secret is None:
        response.delete_cookie(
            name,
            path="/",
            secure=config["REMEMBER_COOKIE_SECURE"],
            httponly=True,
            samesite=config["REMEMBER_COOKIE_SAMESITE"],
        )
        return response
    response.set_cookie(
        name,
        change.secret,
        max_age=change.max_age,
        path="/",
        secure=config["REMEMBER_COOKIE_SECURE"],
        httponly=True,
        samesite=config["REMEMBER_COOKIE_SAMESITE"],
    )
    return response


def init_sessions(app: Flask) -> None:
    login_manager.user_loader(load_user)
    login_manager.login_view = "auth.login"
    login_manager.login_message = N_("Please sign in to see this page.")
    login_manager.localize_callback = gettext
    login_manager.session_protection = "basic"
    app.before_request(_enforce_lifetimes)
    app.after_request(_write_device_cookie)
