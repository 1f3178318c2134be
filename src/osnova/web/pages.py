"""Public pages: the home page and public profiles."""

from __future__ import annotations

from datetime import datetime

from flask import Blueprint, redirect, render_template, request
from flask_babel import get_locale, gettext
from flask_login import current_user
from werkzeug.wrappers import Response

from osnova.extensions import csrf, current_settings, db
from osnova.i18n import LANGUAGE_COOKIE, LANGUAGES
from osnova.services import accounts, items, policy
from osnova.web.forms import ActionForm, LanguageForm
from osnova.web.helpers import safe_next

bp = Blueprint("pages", __name__)
LANGUAGE_COOKIE_DAYS = 365


@bp.get("/")
def index() -> str:
    name = current_user.username if current_user.is_authenticated else gettext("World")
    newest = items.list_newest_public(session=db.session())
    return render_template("index.html", name=name, items=newest)


@bp.post("/language")
def switch_language() -> Response:
    """Remember the chosen language in a cookie and go back where the visitor was.

    Without a CSRF token: a forged switch changes nothing but the language a page is shown
    in, and a token here would give every anonymous visitor a session (a cookie and its
    signing on every public page). Nothing else is read from or written to the session.
    """
    form = LanguageForm(meta={"csrf": False})
    response = redirect(safe_next(form.next.data))
    if form.validate_on_submit() and form.lang.data in LANGUAGES:
        response.set_cookie(
            LANGUAGE_COOKIE,
            form.lang.data,
            max_age=LANGUAGE_COOKIE_DAYS * 86400,
            samesite="Lax",
            httponly=True,
            secure=current_settings().is_production,
        )
    return response


csrf.exempt(switch_language)


@bp.get("/user/<username>")
def profile(username: str) -> str:
    user = accounts.get_by_username(session=db.session(), username=username)
    page = items.list_items(
        session=db.session(),
        actor=None,  # the profile shows what everyone sees, also to its owner
        owner=user.username,
        cursor=request.args.get("cursor"),
    )
    return render_template("user.html", user=user, page=page, items=page.items)


@bp.app_template_filter("iso")
def iso_timestamp(moment: datetime) -> str:
    """``2026-12-02T11:22:44+00:00``, for ``<time datetime>``. A filter is called directly,
    where ``moment.isoformat()`` in a template goes through Jinja's context call (20 per list)."""
    return moment.isoformat()


@bp.app_template_filter("day")
def calendar_day(moment: datetime) -> str:
    """``2026-12-02``: the date a list shows (``date().isoformat()`` is a seventh of
    ``strftime``, which a list of 20 calls 20 times)."""
    return moment.date().isoformat()


@bp.app_context_processor
def layout_context() -> dict[str, object]:
    """What the base layout needs on every page: the navigation's forms and rights."""
    user = current_user._get_current_object()
    rights = policy.permissions_of(user)
    return {
        # The sign-out form, for signed-in visitors only: making it makes a CSRF token, and
        # with it a session, which an anonymous page does not need.
        "nav_form": ActionForm(formdata=None) if user.is_authenticated else None,
        "languages": LANGUAGES,
        "locale": str(get_locale() or "en"),
        "can_manage_accounts": policy.Permission.MANAGE_ACCOUNTS in rights,
        "can_transfer_data": policy.Permission.TRANSFER_DATA in rights,
        "can_moderate_items": policy.Permission.MODERATE_ITEMS in rights,
        "can_view_activity": policy.Permission.VIEW_ACTIVITY in rights,
        "can_edit_item": lambda item: policy.can_edit_item(user, item),
        "max_image_mib": current_settings().max_image_bytes // (1024 * 1024),
    }
