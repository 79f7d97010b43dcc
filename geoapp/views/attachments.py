"""照片和文件: an editor attaches photos and PDF documents to a site of the jurisdiction, or
removes one (asked once), from ``/edit/<layer>/<id>/attachments``, linked from its edit form.

The site is found as the edit form finds it (``geoapp.views.edit._feature``): outside the
editor's jurisdiction it is a 404, as every record page; officials and investors are refused
by ``ACCESS`` (403), an anonymous visitor is sent to sign in. A refused file or caption is said
beside its field, in the page's language, and nothing is written. Everything attached is
public on the site's investors' page, which the form says.
"""

from __future__ import annotations

from flask import Blueprint, redirect, render_template, request, url_for
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_login import current_user
from werkzeug.exceptions import RequestEntityTooLarge

from geoapp import editing
from geoapp.errors import GeoappError, NotFound
from geoapp.handlers import handle_geoapp_error, handle_http_error
from geoapp.invest.attachments import (
    MAX_CAPTION,
    Limits,
    attach,
    caption_of,
    changes_of,
    held,
    received,
    remove,
    stored,
)
from geoapp.invest.sites import SITE_LAYERS
from geoapp.layers import LayerDef
from geoapp.photos import Refused, megabytes
from geoapp.services import services
from geoapp.views.edit import _feature as feature_in_scope  # the record pages' 404 rule
from geoapp.views.photos import FORM_PARTS

bp = Blueprint("attachments", __name__)


@bp.app_template_global()
def attachable(layer: LayerDef) -> bool:
    """True for the layers whose sites have an investors' page to show attachments on."""
    return layer.id in SITE_LAYERS and layer.audience == "public"


@bp.route("/edit/<layer_id>/<fid>/attachments", methods=["GET", "POST"])
def attachments(layer_id: str, fid: str):
    """The site's photos and documents, and the form that attaches one more."""
    layer, site = _site(layer_id, fid)
    if request.method == "GET":
        return _page(layer, site, {})
    errors: dict[str, str] = {}
    caption = request.form.get("caption", "")
    try:
        caption = caption_of(caption)
    except Refused as refused:
        errors["caption"] = str(refused)
    svc, limits = services(), Limits.of(services().config)
    try:
        file = received(request.files.get("file"), limits)
        if not errors:
            attach(svc.store, _key(layer, site), file, caption, current_user.username, limits)
    except Refused as refused:
        errors["file"] = str(refused)
    if errors:
        chosen = bool(getattr(request.files.get("file"), "filename", None))
        return _page(layer, site, errors, caption, file_lost=chosen and "file" not in errors), 400
    return redirect(url_for(".attachments", layer_id=layer.id, fid=site.fid, attached=1))


@bp.route("/edit/<layer_id>/<fid>/attachments/<digest>/remove", methods=["GET", "POST"])
def removal(layer_id: str, fid: str, digest: str):
    """移除附件: asks once, then removes it (the history keeps who and when)."""
    layer, site = _site(layer_id, fid)
    store = services().store
    attachment = held(store, _key(layer, site), digest)
    if attachment is None:
        raise NotFound(_("No such attachment."))
    if request.method == "GET":
        return render_template(
            "attachment_remove.html", layer=layer, site=site, attachment=attachment,
            locale=str(get_locale()),
        )  # fmt: skip
    remove(store, _key(layer, site), digest, current_user.username)
    return redirect(url_for(".attachments", layer_id=layer.id, fid=site.fid, removed=1))


@bp.errorhandler(RequestEntityTooLarge)
def too_large(error):
    """A body larger than any file the form takes: refused beside the file, nothing kept."""
    if request.endpoint != "attachments.attachments":
        return handle_http_error(error)  # the app's answer, as without this handler
    try:
        layer, site = _site(**request.view_args)
    except GeoappError as refused:  # no such site for this user: say that, not the size
        return handle_geoapp_error(refused)
    mb = megabytes(Limits.of(services().config).largest)
    message = _("The file is larger than %(mb)s MB: nothing was attached.", mb=mb)
    return _page(layer, site, {"file": message}), 413


def allow_attachment_uploads() -> None:
    """The form's body may carry its largest file and no more, whatever the import page
    takes: decided before anything reads the body (the CSRF check reads the form first)."""
    if request.endpoint == "attachments.attachments":
        request.max_content_length = Limits.of(services().config).largest + FORM_PARTS


def _site(layer_id: str, fid: str) -> tuple[LayerDef, editing.Stored]:
    layer, site = feature_in_scope(layer_id, fid)
    if not attachable(layer):
        raise NotFound(_("“%(layer)s” has no photos or documents.", layer=layer.id))
    return layer, site


def _key(layer: LayerDef, site: editing.Stored) -> tuple[str, str]:
    return layer.id, site.key[0]


def _page(
    layer: LayerDef, site: editing.Stored, errors: dict[str, str], caption: str = "",
    file_lost: bool = False,
):  # fmt: skip
    store, limits = services().store, Limits.of(services().config)
    return render_template(
        "attachments.html", layer=layer, site=site, errors=errors, caption=caption,
        attachments=stored(store, _key(layer, site)), changes=changes_of(store, _key(layer, site)),
        limits=limits, photo_mb=megabytes(limits.photo_bytes),
        document_mb=megabytes(limits.document_bytes), max_caption=MAX_CAPTION,
        file_lost=file_lost, locale=str(get_locale()),
    )  # fmt: skip
