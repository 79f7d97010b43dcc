"""意向登记: the enquiry form of the park and parcel pages, checked field by field.

Flask-WTF gives the CSRF token (an anonymous visitor's lives in the session, as for the sign-in
form) and the checks; each refusal is a sentence in the visitor's language shown beside its
field. Text is kept as typed (trimmed) and always shown as text, never as HTML. Phones are
Chinese mobile numbers (11 digits from 13–19) or landlines with their area code (0917-4612345);
spaces, hyphens, brackets and a +86 in front are allowed.
"""

from __future__ import annotations

import re

from flask_babel import lazy_gettext
from flask_wtf import FlaskForm
from wtforms import StringField, TextAreaField
from wtforms.validators import DataRequired, Length, ValidationError

MAX_NAME = 50
MAX_COMPANY = 100
MIN_MESSAGE = 5
MAX_MESSAGE = 1000
_PHONE = re.compile(r"(1[3-9]\d{9}|0\d{9,11})")
_SEPARATORS = re.compile(r"[\s\-()（）]")
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def phone_digits(text: str) -> str | None:
    """The digits of a phone number people write, or None when it is not one."""
    digits = _SEPARATORS.sub("", text or "")
    digits = digits.removeprefix("+86").removeprefix("0086")
    return digits if _PHONE.fullmatch(digits) else None


def _phone(form, field) -> None:
    if field.data and phone_digits(field.data) is None:
        raise ValidationError(
            lazy_gettext("A mobile number (11 digits) or a landline with its area code.")
        )


def _plain_text(form, field) -> None:
    if field.data and _CONTROL.search(field.data):
        raise ValidationError(lazy_gettext("Control characters are not allowed."))


def _trim(value: str | None) -> str:
    return (value or "").strip()


def _length(least: int, most: int):
    return Length(
        min=least,
        max=most,
        message=lazy_gettext("Between %(min)d and %(max)d characters, please."),
    )


REQUIRED = lazy_gettext("Fill this in.")


class EnquiryForm(FlaskForm):
    """What a visitor sends; field names are those of a lead (``leads.FORM_FIELDS``)."""

    name = StringField(
        lazy_gettext("Your name"),
        filters=[_trim],
        validators=[DataRequired(REQUIRED), _length(1, MAX_NAME), _plain_text],
    )
    company = StringField(
        lazy_gettext("Company (optional)"),
        filters=[_trim],
        validators=[_length(0, MAX_COMPANY), _plain_text],
    )
    phone = StringField(
        lazy_gettext("Phone"), filters=[_trim], validators=[DataRequired(REQUIRED), _phone]
    )
    message = TextAreaField(
        lazy_gettext("Your enquiry"),
        filters=[_trim],
        validators=[DataRequired(REQUIRED), _length(MIN_MESSAGE, MAX_MESSAGE)],
    )

    def sent(self) -> dict[str, str]:
        return {name: self[name].data or "" for name in ("name", "company", "phone", "message")}
