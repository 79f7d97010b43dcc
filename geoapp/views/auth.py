"""登录 / 退出: a form with a CSRF token, rate-limited, that starts a session cookie."""

from __future__ import annotations

from flask import Blueprint, redirect, render_template, request, url_for
from flask_babel import lazy_gettext
from flask_login import current_user, login_user, logout_user
from flask_wtf import FlaskForm
from wtforms import PasswordField, StringField
from wtforms.validators import DataRequired, Length

from geoapp.auth.access import limiter, safe_next
from geoapp.auth.users import check_password
from geoapp.services import services

bp = Blueprint("auth", __name__)


class LoginForm(FlaskForm):
    username = StringField(lazy_gettext("User name"), validators=[DataRequired(), Length(max=64)])
    password = PasswordField(lazy_gettext("Password"), validators=[DataRequired(), Length(max=200)])


@bp.route("/login", methods=["GET", "POST"])
@limiter.limit(lambda: services().config.login_limit, methods=["POST"])
def login():
    form = LoginForm()
    failed = False
    if form.validate_on_submit():
        user = check_password(services().store, form.username.data, form.password.data)
        if user is not None:
            login_user(user)
            return redirect(safe_next(request.args.get("next")))
        failed = True
    status = 401 if failed else (400 if form.errors else 200)
    return render_template("login.html", form=form, failed=failed), status


@bp.post("/logout")
def logout():
    logout_user()
    return redirect(url_for("auth.login"))


def signed_in_name() -> str:
    return current_user.username if current_user.is_authenticated else ""
