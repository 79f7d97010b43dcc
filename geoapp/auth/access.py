"""Who may open which route: sessions, API tokens, CSRF, rate limits and security headers.

Every blueprint names the least role it serves in ``ACCESS``; a route of a blueprint not in
the table is refused to everyone but admins, so a new route cannot be left open by mistake.
People sign in with a session cookie (Flask-Login) and send a CSRF token with every write
(Flask-WTF). Desktop GIS clients and scripts send a personal API token, as
``Authorization: Bearer <token>`` or as the password of HTTP Basic (what QGIS's
authentication manager and ``GDAL_HTTP_AUTH`` offer). A bearer token is never sent by a
browser on its own, so such requests need no CSRF token; Basic credentials are (browsers
remember them), so Basic may only read.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import Flask, Response, redirect, request, url_for
from flask_babel import lazy_gettext
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_login import AnonymousUserMixin, LoginManager, current_user
from flask_wtf.csrf import CSRFError, CSRFProtect

from geoapp.auth.scope import Scope
from geoapp.auth.users import user_for_session, user_for_token
from geoapp.errors import GeoappError
from geoapp.handlers import handle_geoapp_error, wants_json

# The least role each endpoint (or else its blueprint) serves; None: anyone, signed in or not.
ACCESS: dict[str | None, str | None] = {
    "static": None,
    "tiles.public_tile": None,
    "auth": None,
    "public_ogc": None,
    "basemap": None,  # the background map carries no data of ours
    "invest": None,  # 招商地图: public layers and fields only
    "siting": None,  # 智能选址: ranks the public sites by public fields
    "invest_compare": None,  # 对比: the same public sites side by side
    "invest_files": None,  # the photos and documents attached to a public site: public too
    "map": "official",
    "api": "official",
    "rates": "official",
    "dashboard": "official",
    "search": "official",
    "tiles": "official",
    "export": "official",
    "prints": "official",  # the wall map: the officials' projects, like the exports
    "ogc": "official",
    "imports": "editor",
    "edit": "editor",
    "attachments": "editor",  # a site's photos and documents (of the editor's jurisdiction)
    "history": "official",  # restoring a version: admins (checked by the route)
    "admin": "admin",  # accounts, retired records
    "photos": "official",  # a project's site photos, to whoever may see the project
    "leads": "official",  # 招商线索: moving one along needs an editor (checked by the route)
}
SAFE_METHODS = ("GET", "HEAD", "OPTIONS")
# POSTs that change nothing: an OGC search whose filter is too long for a URL.
READ_ONLY_POSTS = ("ogc.items", "public_ogc.items")
csrf = CSRFProtect()
# Counts kept where RATELIMIT_STORAGE_URI says (GEOAPP_RATELIMIT_STORAGE, set by create_app).
limiter = Limiter(get_remote_address, strategy="fixed-window")


class Anonymous(AnonymousUserMixin):
    """Not signed in: the public pages only."""

    role = "anonymous"
    username = ""
    scope = Scope.of(())

    def may(self, role: str) -> bool:
        return False


class NotSignedIn(GeoappError):
    status = 401

    @property
    def code(self) -> str:
        return "Unauthorized"


class Forbidden(GeoappError):
    status = 403

    @property
    def code(self) -> str:
        return "Forbidden"


def current_scope(audience: str = "internal") -> Scope:
    """The rows the request's user may see of an audience's layers: every public row; of
    the officials' data the user's jurisdiction (nothing when no one is signed in)."""
    return Scope.everything() if audience == "public" else current_user.scope


def init_access(app: Flask, store_of) -> None:
    """Wire sessions, tokens, CSRF, limits and headers into ``app``; ``store_of()`` gives the
    store of record (accounts live there, shared by every worker and server)."""
    manager = LoginManager(app)
    manager.anonymous_user = Anonymous
    manager.session_protection = "basic"
    manager.user_loader(lambda session_id: user_for_session(store_of(), session_id))
    manager.request_loader(lambda req: _user_from_header(store_of(), req))
    app.config["WTF_CSRF_CHECK_DEFAULT"] = False  # checked in ``guard``, after who is known
    app.config["WTF_CSRF_TIME_LIMIT"] = None  # valid as long as the session
    csrf.init_app(app)
    limiter.init_app(app)
    app.before_request(guard)
    app.after_request(security_headers)
    app.register_error_handler(CSRFError, _csrf_refused)


def _user_from_header(store, req):
    header = req.headers.get("Authorization", "")
    kind, _, credentials = header.partition(" ")
    if kind.lower() == "bearer":
        return user_for_token(store, credentials.strip())
    if kind.lower() == "basic" and req.authorization is not None:
        user = user_for_token(store, req.authorization.password or "")
        return user if user is not None and user.username == req.authorization.username else None
    return None


def guard() -> Response | None:
    """Refuse a request the user's role does not reach, and a write without its CSRF token."""
    needed = needed_role()
    if needed is not None and not current_user.is_authenticated:
        if request.authorization is not None or wants_json():
            raise NotSignedIn(lazy_gettext("Sign in, or send an API token, to use this."))
        return redirect(url_for("auth.login", next=_local_path()))
    if needed is not None and not current_user.may(needed):
        raise Forbidden(lazy_gettext("Your account may not open this page."))
    if request.method not in SAFE_METHODS and request.endpoint not in READ_ONLY_POSTS:
        auth = request.authorization
        if auth is not None and auth.type == "basic":
            raise Forbidden(lazy_gettext("HTTP Basic may only read; send a bearer token."))
        if auth is None or auth.type != "bearer":
            csrf.protect()
    return None


def needed_role() -> str | None:
    """The least role the request's route serves: unknown routes are for admins only."""
    if request.endpoint in ACCESS:
        return ACCESS[request.endpoint]
    return ACCESS.get(request.blueprint, "admin")


def _local_path() -> str:
    """Where to return after signing in: this path, never another site."""
    return request.full_path.rstrip("?") if request.query_string else request.path


def safe_next(target: str | None) -> str:
    """A ``next`` parameter only if it stays on this site."""
    parts = urlsplit(target or "")
    if not target or parts.scheme or parts.netloc or not target.startswith("/"):
        return url_for("map.index")
    if target.startswith("//") or "\\" in target:
        return url_for("map.index")
    return target


def security_headers(response: Response) -> Response:
    """No framing by other sites (clickjacking), no sniffing, no referrer to other sites; an
    answer that depends on who asks is never kept by a shared cache."""
    response.headers.setdefault("X-Frame-Options", "DENY")
    response.headers.setdefault("Content-Security-Policy", "frame-ancestors 'none'")
    response.headers.setdefault("X-Content-Type-Options", "nosniff")
    response.headers.setdefault("Referrer-Policy", "same-origin")
    if response.status_code == 401:
        response.headers["WWW-Authenticate"] = 'Bearer realm="geoapp", Basic realm="geoapp"'
    if needed_role() is not None:
        response.headers["Vary"] = _vary(response.headers.get("Vary"))
        cache = response.headers.get("Cache-Control", "")
        if "public" in cache:
            response.headers["Cache-Control"] = cache.replace("public", "private")
    return response


def _vary(current: str | None) -> str:
    names = [v.strip() for v in (current or "").split(",") if v.strip()]
    for name in ("Cookie", "Authorization"):
        if name not in names:
            names.append(name)
    return ", ".join(names)


def _csrf_refused(error: CSRFError):
    return handle_geoapp_error(
        Forbidden(
            lazy_gettext("This form has expired or lacks its security token: reload the page.")
        )
    )
