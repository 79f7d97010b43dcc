"""UI language: zh-CN by default, English on request; the choice sticks in a cookie.

Every user-facing string goes through gettext (``_``); layer texts carry zh/en in the TOML.
"""

from __future__ import annotations

from urllib.parse import quote, urlencode

from flask import Flask, Response, request
from flask_babel import Babel
from werkzeug.datastructures import MultiDict

LOCALES = ("zh", "en")
COOKIE = "lang"


def select_locale() -> str:
    """``?lang=`` first, then the cookie, then the configured default."""
    from geoapp.services import services

    for candidate in (request.args.get("lang"), request.cookies.get(COOKIE)):
        if candidate in LOCALES:
            return candidate
    return services().config.locale


def remember_locale(response: Response) -> Response:
    chosen = request.args.get("lang")
    if chosen in LOCALES:
        response.set_cookie(COOKIE, chosen, max_age=365 * 24 * 3600, samesite="Lax")
    return response


def language_url(locale: str) -> str:
    """The page being shown, in ``locale``: the same path and query, only ``lang`` changed
    (the language switch stays on the map, the import report or an OGC API page)."""
    args = MultiDict(request.args)
    args.setlist("lang", [locale])
    path = quote(request.script_root + request.path)
    return f"{path}?{urlencode(list(args.items(multi=True)))}"


def init_i18n(app: Flask) -> None:
    Babel(app, locale_selector=select_locale)
    app.after_request(remember_locale)
    app.add_template_global(language_url)
