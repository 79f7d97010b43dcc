"""A site's photos and documents by URL, to anyone: ``/invest/files/<layer>/<id>/<sha256>``
(a photo's thumbnail: ``…/thumb``).

Public, like the site's page (``ACCESS``: everything attached to a public site is public), and
answered only while the site is on that page (an unknown or retired site is a 404). The URL
names the content, so shared caches keep it a year (``public, immutable``). The type sent is
the one found when the file was taken, never the one its sender declared; a PDF is always a
download (``Content-Disposition: attachment``), a photo is shown, both under their original
name (RFC 5987 for Chinese), never sniffed, and sandboxed should a browser render one anyway.
"""

from __future__ import annotations

from flask import Blueprint, Response
from flask_babel import get_locale
from flask_babel import gettext as _

from geoapp.errors import NotFound
from geoapp.invest.attachments import ATTACHMENTS_TABLE, held
from geoapp.invest.vacancies import find_site
from geoapp.services import services
from geoapp.views.photos import hashed_file

bp = Blueprint("invest_files", __name__, url_prefix="/invest")
SANDBOX = "sandbox; default-src 'none'; img-src 'self'; frame-ancestors 'none'"


@bp.get("/files/<layer_id>/<parcel_id>/<digest>")
def original(layer_id: str, parcel_id: str, digest: str) -> Response:
    """The file's bytes as they were sent."""
    return _sent(layer_id, parcel_id, digest, "data")


@bp.get("/files/<layer_id>/<parcel_id>/<digest>/thumb")
def thumbnail(layer_id: str, parcel_id: str, digest: str) -> Response:
    """A photo's small JPEG, that pages show."""
    return _sent(layer_id, parcel_id, digest, "thumbnail")


def _sent(layer_id: str, parcel_id: str, digest: str, field: str) -> Response:
    svc = services()
    site = find_site(svc, layer_id, parcel_id, str(get_locale()))
    key = (layer_id, parcel_id, digest)
    attachment = None if site is None else held(svc.store, key[:2], digest)
    data = None if attachment is None else svc.store.blob(ATTACHMENTS_TABLE, key, field)
    if data is None:
        raise NotFound(_("No such photo or document."))
    etag = f"{digest}-{field}"
    if field == "thumbnail":
        response = hashed_file(data, "image/jpeg", etag)
    else:
        kind, name = attachment.mimetype, attachment.name
        response = hashed_file(data, kind, etag, name, download=not attachment.is_photo)
    response.headers["Content-Security-Policy"] = SANDBOX
    return response
