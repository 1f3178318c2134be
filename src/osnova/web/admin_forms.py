"""Forms of the admin console: filters read from the URL (GET, no CSRF needed: they change
nothing) and the buttons that change something (POST, with CSRF)."""

from __future__ import annotations

from datetime import date
from typing import Any

from flask import request
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    DateField,
    EmailField,
    HiddenField,
    SearchField,
    SelectChoice,
    SelectField,
    StringField,
)
from wtforms.validators import DataRequired, Length, Optional

from osnova.models import EMAIL_MAX, FULL_NAME_MAX, TITLE_MAX, USERNAME_MAX, JobStatus, Role
from osnova.services.account_list import SEARCH_MAX, AccountOrder
from osnova.services.audit_trail import ACTION_MAX, TARGET_MAX
from osnova.services.item_moderation import ItemOrder
from osnova.services.token_admin import TokenState

ANY = ("", _l("Any"))


def _choices(*pairs: tuple[str, Any]) -> list[SelectChoice]:
    return [SelectChoice(value, label) for value, label in pairs]


STATE_LABELS = {
    TokenState.ACTIVE.value: _l("active"),
    TokenState.EXPIRED.value: _l("expired"),
    TokenState.REVOKED.value: _l("revoked"),
}
JOB_STATUS_LABELS = {
    JobStatus.QUEUED.value: _l("waiting to start"),
    JobStatus.RUNNING.value: _l("running"),
    JobStatus.DONE.value: _l("done"),
    JobStatus.FAILED.value: _l("failed"),
}


class FilterForm(FlaskForm):
    """A filter bound to the query string; its valid fields narrow a list."""

    class Meta:
        csrf = False

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(formdata=request.args, **kwargs)

    def value(self, name: str) -> Any:
        """The field's value when it is valid, else None (an invalid filter is ignored)."""
        field = self[name]
        if field.errors or field.data in ("", None):
            return None
        return field.data

    def query_args(self) -> dict[str, Any]:
        """The filters as given, to keep them in page and action links."""
        return {name: str(request.args[name]) for name in self._fields if request.args.get(name)}


def _date(label: Any) -> DateField:
    return DateField(label, validators=[Optional()], format="%Y-%m-%d")


class ItemFilterForm(FilterForm):
    q = SearchField(_l("Words in title or description"), validators=[Length(max=TITLE_MAX)])
    owner = StringField(_l("Owner (username)"), validators=[Length(max=USERNAME_MAX)])
    visibility = SelectField(
        _l("Visibility"),
        choices=_choices(ANY, ("public", _l("public")), ("private", _l("private"))),
        default="",
    )
    image = SelectField(
        _l("Image"),
        choices=_choices(ANY, ("yes", _l("with an image")), ("no", _l("without an image"))),
        default="",
    )
    created_from = _date(_l("Created from"))
    created_to = _date(_l("Created until"))
    sort = SelectField(
        _l("Order"),
        choices=_choices(
            (ItemOrder.NEWEST.value, _l("Newest first")),
            (ItemOrder.OLDEST.value, _l("Oldest first")),
            (ItemOrder.TITLE.value, _l("By title")),
        ),
        default=ItemOrder.NEWEST.value,
    )

    def is_public(self) -> bool | None:
        chosen = self.value("visibility")
        return None if chosen is None else chosen == "public"

    def has_image(self) -> bool | None:
        chosen = self.value("image")
        return None if chosen is None else chosen == "yes"

    def order(self) -> ItemOrder:
        return ItemOrder(self.value("sort") or ItemOrder.NEWEST.value)


ROLE_CHOICES = (
    (Role.USER.value, _l("user")),
    (Role.MODERATOR.value, _l("moderator")),
    (Role.ADMIN.value, _l("admin")),
)


class AccountFilterForm(FilterForm):
    q = SearchField(_l("Username, email or name"), validators=[Length(max=SEARCH_MAX)])
    role = SelectField(_l("Role"), choices=_choices(ANY, *ROLE_CHOICES), default="")
    active = SelectField(
        _l("Status"),
        choices=_choices(ANY, ("yes", _l("active")), ("no", _l("deactivated"))),
        default="",
    )
    verified = SelectField(
        _l("Email"),
        choices=_choices(ANY, ("yes", _l("confirmed")), ("no", _l("not confirmed"))),
        default="",
    )
    sort = SelectField(
        _l("Order"),
        choices=_choices(
            (AccountOrder.NEWEST.value, _l("Newest first")),
            (AccountOrder.OLDEST.value, _l("Oldest first")),
            (AccountOrder.USERNAME.value, _l("Username A to Z")),
            (AccountOrder.USERNAME_DESC.value, _l("Username Z to A")),
            (AccountOrder.LAST_SIGN_IN.value, _l("Last sign-in")),
        ),
        default=AccountOrder.NEWEST.value,
    )

    def yes_no(self, name: str) -> bool | None:
        chosen = self.value(name)
        return None if chosen is None else chosen == "yes"

    def chosen_role(self) -> Role | None:
        chosen = self.value("role")
        return None if chosen is None else Role(chosen)

    def order(self) -> AccountOrder:
        return AccountOrder(self.value("sort") or AccountOrder.NEWEST.value)


class TokenFilterForm(FilterForm):
    user = StringField(_l("Account (username)"), validators=[Length(max=USERNAME_MAX)])
    state = SelectField(_l("State"), choices=_choices(ANY, *STATE_LABELS.items()), default="")


class AuditFilterForm(FilterForm):
    action = StringField(_l("Action"), validators=[Length(max=ACTION_MAX)])
    actor = StringField(_l("Actor (username)"), validators=[Length(max=USERNAME_MAX)])
    target = StringField(_l("Target (such as user:12)"), validators=[Length(max=TARGET_MAX)])
    since = _date(_l("From"))
    until = _date(_l("Until"))

    def day(self, name: str) -> date | None:
        found = self.value(name)
        return found if isinstance(found, date) else None


class JobFilterForm(FilterForm):
    status = SelectField(
        _l("Status"), choices=_choices(ANY, *JOB_STATUS_LABELS.items()), default=""
    )


class ReturnForm(FlaskForm):
    """A button that changes something, then returns to the list it was pressed on."""

    next = HiddenField()


class BulkConfirmForm(ReturnForm):
    """The second step of a bulk action: the chosen rows travel again, as hidden fields."""

    confirmed = HiddenField()


class AccountBulkForm(BulkConfirmForm):
    """A bulk action on accounts: which one travels with the rows (the pressed button)."""

    action = HiddenField()


class InviteForm(ReturnForm):
    """A new account from the console; AccountInvite (pydantic) validates the values."""

    username = StringField(_l("Username"), validators=[DataRequired(), Length(max=USERNAME_MAX)])
    email = EmailField(_l("Email"), validators=[DataRequired(), Length(max=EMAIL_MAX)])
    full_name = StringField(_l("Full name (optional)"), validators=[Length(max=FULL_NAME_MAX)])
    role = SelectField(_l("Role"), choices=_choices(*ROLE_CHOICES), default=Role.USER.value)
