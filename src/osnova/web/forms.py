"""Flask-WTF forms: they carry CSRF protection and field labels.

Length limits come from the same constants as the pydantic schemas; the full rules are
applied by the schemas and services, whose errors are put back on the fields
(see ``web.helpers.show_errors``). No input carries a ``maxlength`` attribute: a browser cuts
pasted text to it without a word, and the cut text would be saved. Over-long input is
refused by the server instead, with the limit in the message (``MaxLength``).
"""

from __future__ import annotations

from typing import Any

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import (
    BooleanField,
    EmailField,
    HiddenField,
    PasswordField,
    SelectChoice,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.validators import DataRequired, EqualTo, Length

from osnova.models import (
    DESCRIPTION_MAX,
    EMAIL_MAX,
    FULL_NAME_MAX,
    TITLE_MAX,
    TOKEN_NAME_MAX,
    USERNAME_MAX,
)
from osnova.schemas import CURRENT_PASSWORD_MAX, PASSWORD_MAX
from osnova.services.transfer import Kind

PASSWORDS_DIFFER = _l("The two passwords differ.")
TOO_LONG = _l("Use at most %(max)d characters; this has %(length)d.")


class MaxLength(Length):
    """``Length(max=limit)`` without the ``maxlength`` attribute it would put on the input."""

    def __init__(self, limit: int) -> None:
        super().__init__(max=limit, message=TOO_LONG)
        self.field_flags: dict[str, object] = {}


class RegisterForm(FlaskForm):
    username = StringField(_l("Username"), validators=[DataRequired(), MaxLength(USERNAME_MAX)])
    email = EmailField(_l("Email"), validators=[DataRequired(), MaxLength(EMAIL_MAX)])
    full_name = StringField(_l("Full name (optional)"), validators=[MaxLength(FULL_NAME_MAX)])
    password = PasswordField(_l("Password"), validators=[DataRequired(), MaxLength(PASSWORD_MAX)])
    password_confirm = PasswordField(
        _l("Repeat the password"),
        validators=[DataRequired(), EqualTo("password", PASSWORDS_DIFFER)],
    )


class LoginForm(FlaskForm):
    login = StringField(_l("Username or email"), validators=[DataRequired(), MaxLength(EMAIL_MAX)])
    password = PasswordField(_l("Password"), validators=[DataRequired(), MaxLength(PASSWORD_MAX)])
    remember = BooleanField(_l("Keep me signed in on this device"))
    next = HiddenField()


class ForgotPasswordForm(FlaskForm):
    email = EmailField(_l("Email"), validators=[DataRequired(), MaxLength(EMAIL_MAX)])


class ResetPasswordForm(FlaskForm):
    password = PasswordField(
        _l("New password"), validators=[DataRequired(), MaxLength(PASSWORD_MAX)]
    )
    password_confirm = PasswordField(
        _l("Repeat the new password"),
        validators=[DataRequired(), EqualTo("password", PASSWORDS_DIFFER)],
    )


class ProfileForm(FlaskForm):
    full_name = StringField(_l("Full name"), validators=[MaxLength(FULL_NAME_MAX)])


class EmailForm(FlaskForm):
    email = EmailField(_l("New email"), validators=[DataRequired(), MaxLength(EMAIL_MAX)])
    # Its own id: the password form on the same page has a current_password field too.
    current_password = PasswordField(
        _l("Current password"),
        validators=[DataRequired(), MaxLength(CURRENT_PASSWORD_MAX)],
        id="email_current_password",
    )


class ChangePasswordForm(FlaskForm):
    current_password = PasswordField(
        _l("Current password"), validators=[DataRequired(), MaxLength(PASSWORD_MAX)]
    )
    new_password = PasswordField(
        _l("New password"), validators=[DataRequired(), MaxLength(PASSWORD_MAX)]
    )
    new_password_confirm = PasswordField(
        _l("Repeat the new password"),
        validators=[DataRequired(), EqualTo("new_password", PASSWORDS_DIFFER)],
    )


class ActionForm(FlaskForm):
    """A button that only needs CSRF protection (log out, send a link, ...)."""


class LanguageForm(FlaskForm):
    lang = HiddenField(validators=[DataRequired()])
    next = HiddenField()


# Role names, listed so they are extracted for translation (templates show _(role)).
ROLE_LABELS = (_l("user"), _l("moderator"), _l("admin"))


class RoleForm(FlaskForm):
    """The template renders the <select>; RoleChange (pydantic) validates the value."""

    role = StringField(_l("Role"), validators=[DataRequired()])


class AdminEmailForm(FlaskForm):
    """The template renders the input per row; the schema validates the address."""

    email = EmailField(_l("Email"), validators=[DataRequired(), MaxLength(EMAIL_MAX)])


class ActiveForm(FlaskForm):
    active = HiddenField(validators=[DataRequired()])


class ItemForm(FlaskForm):
    title = StringField(_l("Title"), validators=[DataRequired(), MaxLength(TITLE_MAX)])
    description = TextAreaField(_l("Description"), validators=[MaxLength(DESCRIPTION_MAX)])
    is_public = BooleanField(_l("Public: anyone can see it"))
    image = FileField(_l("Image (JPEG, PNG or WebP)"))
    remove_image = BooleanField(_l("Remove the current image"))


class TokenForm(FlaskForm):
    name = StringField(_l("Token name"), validators=[DataRequired(), MaxLength(TOKEN_NAME_MAX)])


# The import form's choices; the report page shows the chosen ones with the same labels.
IMPORT_KINDS = {Kind.USERS.value: _l("Users"), Kind.ITEMS.value: _l("Items")}
IMPORT_FORMATS = {
    "auto": _l("From the file name (.csv, .json, .jsonl)"),
    "csv": "CSV",
    "json": "JSON",
    "jsonl": "JSON Lines",
}
IMPORT_CONFLICTS = {
    "error": _l("Refuse the file"),
    "skip": _l("Keep the stored row"),
    "update": _l("Update the stored row from the file"),
}


def _choices(labels: dict[str, Any]) -> list[SelectChoice]:
    return [SelectChoice(value, label) for value, label in labels.items()]


class ImportForm(FlaskForm):
    """An upload to check with a dry run; the service validates the rows."""

    kind = SelectField(_l("What the file holds"), choices=_choices(IMPORT_KINDS))
    file = FileField(_l("File"), validators=[FileRequired(_l("Choose a file to upload."))])
    file_format = SelectField(_l("Format"), choices=_choices(IMPORT_FORMATS))
    on_conflict = SelectField(
        _l("When a row is already stored"), choices=_choices(IMPORT_CONFLICTS)
    )


class ConfirmImportForm(FlaskForm):
    """Carries the signed ticket of a checked upload (see ``web.pending_imports``)."""

    ticket = HiddenField(validators=[DataRequired()])
