"""用户管理 and 已移除的记录: the admin's pages.

Accounts are changed only through ``geoapp.auth.users`` (the command line's functions), so the
web and ``geoapp users`` refuse the same values with the same reasons, shown here beside the
field they concern. A new password or token is shown once, on the answer to the form that
made it, and never stored or logged in clear: the answer is marked ``no-store``.

Retired records are rows that an editor or an import deleted: gone from the tables, kept in
the history. The admin lists them per layer, reads a retired record's history and brings it
back (``Store.restore``, recorded as ``restore:<admin>``).
"""

from __future__ import annotations

from dataclasses import dataclass

from flask import Blueprint, redirect, render_template, request, url_for
from flask_babel import get_locale, lazy_gettext
from flask_babel import gettext as _
from flask_login import current_user

from geoapp import editing
from geoapp.auth import users as accounts
from geoapp.errors import BadRequest, NotFound
from geoapp.layers import LayerDef
from geoapp.query import whole_number
from geoapp.services import services
from geoapp.stores import ChangeRefused
from geoapp.stores.base import restore_retired
from geoapp.stores.changes import GEOMETRY, HistoryEntry
from geoapp.views import OFFICIAL_AUDIENCE
from geoapp.views.edit import history_page

bp = Blueprint("admin", __name__, url_prefix="/admin")

ROLE_LABELS = {
    "investor": lazy_gettext("Investor"),
    "official": lazy_gettext("Official (reads)"),
    "editor": lazy_gettext("Editor"),
    "admin": lazy_gettext("Admin"),
}
RETIRED_SHOWN = 200  # per layer: the newest; more is a sign of an import run with --retire


@dataclass(frozen=True)
class Secret:
    """A password or token shown once: ``kind`` is ``password`` or ``token``."""

    kind: str
    username: str
    value: str


@bp.app_template_global()
def role_label(role: str) -> str:
    return str(ROLE_LABELS.get(role, role))


@bp.app_template_global()
def jurisdiction_names(codes) -> list[tuple[str, str]]:
    """(code, name) of each code of a jurisdiction, names from the boundaries layer."""
    areas = services().areas()
    return [(code, areas.jurisdiction_name(code)) for code in codes]


@bp.app_template_global()
def area_name(code: str | None) -> str:
    """A county's name from its admin code; the code itself when no boundary names it."""
    return services().areas().name_of(code) or code or "—"


# --- accounts -------------------------------------------------------------------------------


@bp.get("/users")
def users():
    return _users_page()


@bp.post("/users")
def add():
    """Add an account; without a password typed in, one is made and shown once."""
    form = request.form
    username, typed = form.get("username", "").strip(), form.get("password", "")
    password = typed or accounts.generated_password()
    try:
        accounts.add_user(
            services().store, username, password, form.get("role", ""),
            form.get("jurisdiction", ""), current_user.username, _counties(),
        )  # fmt: skip
    except accounts.AccountError as refused:
        return _users_page(refused.by_field(_locale()), form), 400
    except ChangeRefused:  # added by someone else in the same instant
        return _users_page({"username": _taken(username)}, form), 400
    secret = None if typed else Secret("password", username, password)
    return _secret_answer(_users_page(added=username, secret=secret))


@bp.get("/users/<path:username>")
def account(username: str):
    return _account_page(_user(username))


@bp.post("/users/<path:username>/role")
def change_role(username: str):
    user, form = _user(username), request.form
    refused, _done = _run(
        user, "role", accounts.set_role, form.get("role", ""), form.get("jurisdiction", ""),
        current_user.username, _counties(),
    )  # fmt: skip
    return refused or _account_page(_user(username), done="role")


@bp.post("/users/<path:username>/password")
def change_password(username: str):
    """Set a typed password, or make one and show it once; the account's sessions end."""
    user, typed = _user(username), request.form.get("password", "")
    password = typed or accounts.generated_password()
    refused, _done = _run(user, "password", accounts.set_password, password, current_user.username)
    if refused:
        return refused
    secret = None if typed else Secret("password", user.username, password)
    return _secret_answer(_account_page(_user(username), done="password", secret=secret))


@bp.post("/users/<path:username>/token")
def issue_token(username: str):
    """A new API token, shown once with how QGIS and GDAL use it."""
    user, label = _user(username), request.form.get("label", "").strip()
    refused, token = _run(user, "token", accounts.new_token, label, current_user.username)
    if refused:
        return refused
    secret = Secret("token", user.username, token)
    return _secret_answer(_account_page(user, done="token", secret=secret))


@bp.post("/users/<path:username>/restore")
def restore_account(username: str):
    """Reopen a retired account as it was (its API tokens stay revoked)."""
    try:
        accounts.restore_user(services().store, username, _restorer())
    except accounts.AccountError as refused:
        raise NotFound(refused.by_field(_locale())["username"]) from None
    return redirect(url_for("admin.account", username=username, restored=1))


@bp.post("/users/<path:username>/retire")
def retire(username: str):
    user = _user(username)
    refused, _done = _run(user, "retire", accounts.retire_user, current_user.username)
    return refused or redirect(url_for("admin.users", retired=user.username))


def _run(user: accounts.User, action: str, change, *args):
    """(None, what it returned) when one of ``users.py``'s changes to ``user`` is done; else
    (the account page with the refusal beside its field, None): nothing was written."""
    try:
        return None, change(services().store, user.username, *args)
    except accounts.AccountError as refused:
        page = _account_page(user, action, refused.by_field(_locale()), request.form)
        return (page, 400), None


def _user(username: str) -> accounts.User:
    user = accounts.find_user(services().store, username)
    if user is None:
        raise NotFound(_("There is no account “%(name)s”.", name=username))
    return user


def _users_page(errors=None, values=None, added=None, secret=None):
    store = services().store
    return render_template(
        "admin_users.html",
        users=accounts.all_users(store),
        tokens=accounts.token_counts(store),
        retired=accounts.retired_users(store),
        just_retired=request.args.get("retired"),
        errors=errors or {},
        values=values or {},
        added=added,
        secret=secret,
        **_choices(),
    )


def _account_page(user, action=None, errors=None, values=None, done=None, secret=None):
    return render_template(
        "admin_user.html",
        user=user,
        tokens=accounts.token_counts(services().store).get(user.username, 0),
        action=action,
        errors=errors or {},
        values=values or {},
        done=done,
        secret=secret,
        **_choices(),
    )


def _choices() -> dict:
    """What the account forms offer: roles, the counties (for the jurisdiction's list)."""
    return {
        "roles": accounts.ROLES,
        "counties": services().areas().counties,
        "least_password": accounts.MIN_PASSWORD,
        "locale": _locale(),
    }


def _counties() -> list[str]:
    """Every admin code of the boundaries layer: a jurisdiction must cover one of them."""
    return [c.code for c in services().areas().counties]


def _taken(username: str) -> str:
    return accounts.Problem("username", "exists", {"username": username}).message(_locale())


def _secret_answer(page: str):
    """A page showing a password or token: no cache or browser history may keep it."""
    return page, 200, {"Cache-Control": "no-store"}


def _restorer() -> str:
    """The author of a restore in the history, as ``geoapp restore`` and /history write it."""
    return f"restore:{current_user.username}"


def _locale() -> str:
    return str(get_locale())


# --- retired records ------------------------------------------------------------------------


@bp.get("/retired")
def retired():
    """已移除的记录: per layer, the rows deleted and not brought back, newest first."""
    svc = services()
    groups = []
    for layer in svc.layers_for(OFFICIAL_AUDIENCE):
        entries = svc.store.retired(layer.table, limit=RETIRED_SHOWN + 1)
        groups.append((layer, [e for e in entries if _visible(layer, e)]))
    return render_template(
        "admin_retired.html", groups=groups, shown=RETIRED_SHOWN, locale=_locale()
    )


@bp.get("/retired/<layer_id>/<fid>")
def retired_record(layer_id: str, fid: str):
    """A retired record's history (``/history`` shows live records only), to restore from."""
    layer, gone = _retired(layer_id, fid)
    before = gone.before or {}
    stored = editing.Stored(gone.feature_id, gone.key, before, before.get(GEOMETRY), gone.version)
    entries = services().store.history(layer.table, gone.key, limit=200)
    restore_url = url_for("admin.restore", layer_id=layer.id, fid=gone.feature_id)
    return history_page(layer, stored, entries, retired=gone, restore_url=restore_url)


@bp.post("/retired/<layer_id>/<fid>/restore")
def restore(layer_id: str, fid: str):
    """Bring a retired record back: as it was when retired, or at the version chosen."""
    layer, gone = _retired(layer_id, fid)
    store, raw, author = services().store, request.form.get("version", ""), _restorer()
    try:
        if raw:
            store.restore(layer.table, gone.key, whole_number("version", raw, 0, 2**62), author)
        else:
            restore_retired(store, layer.table, gone.key, author)
    except ChangeRefused as refused:
        raise BadRequest("; ".join(refused.messages(_locale())), param="version") from None
    return redirect(url_for("history.history", layer_id=layer.id, fid=gone.feature_id, saved=1))


def retired_entry(layer: LayerDef, fid: int) -> HistoryEntry | None:
    """The deletion of feature ``fid`` of ``layer``, if it is retired and the admin's to see."""
    found = services().store.retired(layer.table, fid=fid, limit=1)
    return found[0] if found and _visible(layer, found[0]) else None


def _retired(layer_id: str, fid: str) -> tuple[LayerDef, HistoryEntry]:
    layer = services().layer(layer_id, OFFICIAL_AUDIENCE)
    gone = retired_entry(layer, whole_number("id", fid, 0, 2**31 - 1))
    if gone is None:
        raise NotFound(_("No retired record %(id)s in “%(layer)s”.", id=fid, layer=layer.id))
    return layer, gone


def _visible(layer: LayerDef, entry: HistoryEntry) -> bool:
    """Inside the admin's jurisdiction (an admin of everything sees every row); a layer
    without a county field shows nothing to a bounded admin: fail closed."""
    scope = current_user.scope
    column = layer.area.get("county")
    if not scope.bounded:
        return True
    return column is not None and scope.allows((entry.before or {}).get(column))
