"""编辑 and 历史: a feature's form (fields and place), and what changed it, by whom, when.

Editors change features of their jurisdiction; every save is a change set based on the
version the form was read at, so a save that crossed another person's is shown the other
changes instead of overwriting them. Officials read the history of what they may see; admins
bring a version back.
"""

from __future__ import annotations

from datetime import date

from flask import Blueprint, redirect, render_template, request, url_for
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_login import current_user

from geoapp import editing, lifecycle, photos
from geoapp.auth.access import Forbidden
from geoapp.errors import BadRequest, NotFound
from geoapp.layers import LayerDef
from geoapp.ogc_html import cell
from geoapp.query import whole_number
from geoapp.services import services
from geoapp.stores import ChangeRefused
from geoapp.stores.base import Query
from geoapp.views import OFFICIAL_AUDIENCE

bp = Blueprint("edit", __name__)
MONTH_FIELDS = ("month", "completed", "status", "remarks")  # the progress form's own fields
history_bp = Blueprint("history", __name__)


bp.add_app_template_global(editing.form_text, "form_text")


@bp.app_template_global()
def shown(layer: LayerDef, name: str, value, locale: str) -> str:
    """A stored value as a reader sees it: labels for keys, grouped numbers, ISO dates."""
    value = value.isoformat() if hasattr(value, "isoformat") else value
    return cell(layer.fields.get(name), value, locale).text


def _feature(layer_id: str, fid: str) -> tuple[LayerDef, editing.Stored]:
    """The layer and the feature, if the user may see it (else 404, as if it did not exist)."""
    svc = services()
    layer = svc.layer(layer_id, OFFICIAL_AUDIENCE)
    number = whole_number("id", fid, 0, 2**31 - 1)
    stored = editing.load(svc.store, layer, number, current_user.scope)
    if stored is None:
        raise NotFound(_("Feature %(id)s not found in “%(layer)s”.", id=fid, layer=layer.id))
    return layer, stored


@bp.route("/edit/<layer_id>/<fid>", methods=["GET", "POST"])
def edit(layer_id: str, fid: str):
    layer, stored = _feature(layer_id, fid)
    _edited(layer)
    if request.method == "GET":
        return _form(layer, stored, stored.values, stored.geometry, stored.version)
    svc, locale = services(), str(get_locale())
    base = whole_number("version", request.form.get("version", ""), 0, 2**62)
    sent = editing.read_form(layer, request.form, locale)
    conflict = None
    if not sent.errors:
        conflict = editing.save(
            svc.store, svc.layers, layer, stored, sent, base, current_user.username,
            current_user.scope, locale, svc.warning_rules,
        )  # fmt: skip
    if conflict is not None:
        shown = editing.merged(layer, stored, sent, conflict, request.form)
        geometry = sent.geometry or stored.geometry
        return _form(layer, stored, shown, geometry, conflict.version, conflict=conflict), 409
    if sent.errors:
        shown = stored.values | {n: request.form.get(n, "") for n in layer.edit}
        geometry = sent.geometry or stored.geometry
        return _form(layer, stored, shown, geometry, base, sent.errors), 400
    return redirect(url_for("history.history", layer_id=layer.id, fid=stored.fid, saved=1))


@bp.route("/edit/<layer_id>/new", methods=["GET", "POST"])
def new(layer_id: str):
    """新增: a feature's code, fields and place (a point placed or an outline drawn)."""
    svc, locale = services(), str(get_locale())
    layer = _edited(svc.layer(layer_id, OFFICIAL_AUDIENCE))
    if request.method == "GET":
        return _new_form(layer, {}, {})
    sent = lifecycle.read_new(layer, request.form, locale)
    fid = lifecycle.add(
        svc.store, svc.layers, layer, sent, current_user.username, current_user.scope, locale,
        svc.warning_rules,
    )  # fmt: skip
    if fid is None:
        return _new_form(layer, dict(request.form), sent.errors, sent.geometry), 400
    return redirect(url_for("history.history", layer_id=layer.id, fid=fid, saved=1))


@bp.route("/edit/<layer_id>/<fid>/retire", methods=["GET", "POST"])
def retire(layer_id: str, fid: str):
    """移除: the feature leaves the map and the lists; its history keeps it for an admin."""
    layer, stored = _feature(layer_id, fid)
    _edited(layer)
    if request.method == "GET":
        return _retire_page(layer, stored, stored.version, [])
    base = whole_number("version", request.form.get("version", ""), 0, 2**62)
    locale = str(get_locale())
    refused = lifecycle.retire(services().store, layer, stored, base, current_user.username, locale)
    if refused:
        return _retire_page(layer, stored, stored.version, refused), 409
    return _retire_page(layer, stored, base, [], done=True)


def _edited(layer: LayerDef) -> LayerDef:
    if not layer.edit:
        raise NotFound(_("“%(layer)s” is not edited here.", layer=layer.id))
    return layer


def _new_form(layer, values, errors, geometry=None):
    """The empty form, its map opened on the layer's features the user may see."""
    svc = services()
    bounds = svc.store.extent(layer.table, svc.scoped(layer, Query())).bbox
    return render_template(
        "edit.html", layer=layer, stored=None, values=values, version=0, errors=errors,
        geometry=editing.as_geojson(geometry), bounds=bounds, conflict=None,
        locale=str(get_locale()),
    )  # fmt: skip


def _retire_page(layer, stored, version, refused, done=False):
    return render_template(
        "retire.html", layer=layer, stored=stored, version=version, refused=refused,
        done=done, locale=str(get_locale()),
    )  # fmt: skip


@bp.route("/edit/projects/<fid>/progress", methods=["GET", "POST"])
def progress(fid: str):
    """本月进度: this month's cumulative completed investment, stage, a note and site photos."""
    layer, stored = _feature("projects", fid)
    svc, locale = services(), str(get_locale())
    if request.method == "GET":
        month = date.today().replace(day=1)
        values = {"month": month.strftime("%Y-%m")} | stored.values
        return _progress_form(layer, stored, values, {}, month)
    sent = editing.read_month(layer, stored, request.form, locale)
    files = request.files.getlist("photos")
    config = svc.config
    taken, unfit = photos.received(files, config.photo_max_count, config.photo_max_bytes)
    if unfit:
        sent.errors["photos"] = " ".join(unfit)
    month = sent.values.get("month")
    if not sent.errors:
        try:
            author, rules = current_user.username, svc.warning_rules
            editing.save_month(svc.store, layer, stored, sent, author, rules, taken)
        except ChangeRefused as refused:
            sent.errors |= {_field_of(r): r.message(locale) for r in refused.refusals}
    if sent.errors:
        chosen = any(f.filename for f in files)  # a browser never fills a file field again
        form = _progress_form(layer, stored, dict(request.form), sent.errors, month, chosen)
        return form, 400
    return redirect(url_for("history.history", layer_id=layer.id, fid=stored.fid, saved=1))


def _field_of(refusal) -> str:
    """Where the form shows a refusal by the store: a photo's beside the photos, one about a
    field the form has beside it, any other (a month someone saved a moment ago) at the month."""
    if refusal.table == photos.PHOTOS_TABLE:
        return "photos"
    return refusal.field if refusal.field in MONTH_FIELDS else "month"


def _progress_form(layer, stored, values, errors, month, photos_lost=False):
    """The form, with the photos already kept for the month it shows."""
    config = services().config
    kept = photos.stored(services().store, stored.key[0], month) if month else []
    return render_template(
        "progress.html", layer=layer, stored=stored, values=values, errors=errors,
        locale=str(get_locale()), photos=kept, photos_lost=photos_lost,
        most=config.photo_max_count, mb=photos.megabytes(config.photo_max_bytes),
    )  # fmt: skip


def _form(layer, stored, values, geometry, version, errors=None, conflict=None):
    return render_template(
        "edit.html",
        layer=layer,
        stored=stored,
        values=values,
        geometry=editing.as_geojson(geometry),
        version=version,
        errors=errors or {},
        conflict=conflict,
        locale=str(get_locale()),
    )


@history_bp.get("/history/<layer_id>/<fid>")
def history(layer_id: str, fid: str):
    try:
        layer, stored = _feature(layer_id, fid)
    except NotFound:
        if _retired(layer_id, fid):  # gone from the tables: its history is an admin's page
            return redirect(url_for("admin.retired_record", layer_id=layer_id, fid=fid))
        raise
    store = services().store
    entries = store.history(layer.table, stored.key, limit=200)
    kept = photos.stored(store, stored.key[0]) if layer.table == "projects" else []
    saved = request.args.get("saved") == "1"
    return history_page(layer, stored, entries, saved=saved, photos=kept)


def history_page(layer: LayerDef, stored: editing.Stored, entries, **extra) -> str:
    """history.html: of a live record, or of a retired one (``retired``: its deletion, and
    ``restore_url``) for an admin."""
    return render_template(
        "history.html",
        layer=layer,
        stored=stored,
        entries=entries,
        geometry=editing.as_geojson(stored.geometry),
        shapes={e.version: editing.as_geojson(_place(e)) for e in entries},
        locale=str(get_locale()),
        **extra,
    )


def _retired(layer_id: str, fid: str) -> bool:
    """True when an admin asks for a feature that was retired (deleted, kept in history)."""
    if not current_user.may("admin") or not fid.isdigit():
        return False
    layer = services().layer(layer_id, OFFICIAL_AUDIENCE)
    return bool(services().store.retired(layer.table, fid=int(fid), limit=1))


def _place(entry):
    """The geometry a history entry left (or, for a deletion, the one it removed)."""
    return (entry.after or entry.before or {}).get("geometry")


@history_bp.post("/history/<layer_id>/<fid>/restore")
def restore(layer_id: str, fid: str):
    """Bring the feature back as it was at a version (admins only)."""
    if not current_user.may("admin"):
        raise Forbidden(_("Only an admin may restore a version."))
    layer, stored = _feature(layer_id, fid)
    version = whole_number("version", request.form.get("version", ""), 0, 2**62)
    author = f"restore:{current_user.username}"
    try:
        services().store.restore(layer.table, stored.key, version, author)
    except ChangeRefused as refused:
        raise BadRequest("; ".join(refused.messages(str(get_locale()))), param="version") from None
    return redirect(url_for("history.history", layer_id=layer.id, fid=stored.fid, saved=1))
