"""A project's site photos by URL: the original and its thumbnail, to whoever may see the project.

The URL names the project's feature id, the month and the photo's SHA-256, so a photo's URL
never changes what it answers: browsers keep it a year without asking again (``immutable``),
in their own cache only (``private``: who may see it depends on who asks). A project outside
the user's jurisdiction is a 404, as on every record page. The type sent is the one found by
decoding the photo when it was taken, never the one its sender declared.
"""

from __future__ import annotations

import io
from datetime import date

from flask import Blueprint, Response, request, send_file
from flask_babel import get_locale
from flask_babel import gettext as _

from geoapp.errors import NotFound
from geoapp.photos import MIME, PHOTOS_TABLE, held, photo_key
from geoapp.services import services
from geoapp.views.edit import _feature as feature_in_scope  # the record pages' 404 rule

bp = Blueprint("photos", __name__)
YEAR = 365 * 24 * 3600
FORM_PARTS = 1024 * 1024  # the progress form's other fields, beside its photos


@bp.app_template_global()
def month_text(month: str) -> str:
    """``2026-11`` as its readers write it: 2026年11月, or Nov 2026."""
    day = date.fromisoformat(month + "-01")
    return day.strftime("%b %Y") if str(get_locale()) == "en" else f"{day.year}年{day.month}月"


@bp.app_template_global()
def size_text(size: int) -> str:
    """A file's size as a caption gives it: ``850 KB``, ``2.4 MB``."""
    if size < 1024 * 1024:
        return f"{max(1, round(size / 1024))} KB"
    return f"{size / 1024 / 1024:.1f} MB"


@bp.get("/photos/projects/<fid>/<month>/<digest>")
def photo(fid: str, month: str, digest: str) -> Response:
    """The photo's bytes as they were sent."""
    return _sent(fid, month, digest, "image")


@bp.get("/photos/projects/<fid>/<month>/<digest>/thumb")
def thumbnail(fid: str, month: str, digest: str) -> Response:
    """The small JPEG that pages show."""
    return _sent(fid, month, digest, "thumbnail")


def _sent(fid: str, month: str, digest: str, field: str) -> Response:
    _layer, project = feature_in_scope("projects", fid)
    store = services().store
    key = photo_key(project.key[0], month, digest)
    shown = None if key is None else held(store, key)
    data = None if shown is None else store.blob(PHOTOS_TABLE, key, field)
    if data is None:
        raise NotFound(_("No such photo."))
    kind = "image/jpeg" if field == "thumbnail" else MIME[shown.format]
    return hashed_file(data, kind, f"{digest}-{field}", private=True)


def hashed_file(
    data: bytes, kind: str, etag: str, name: str | None = None, *, download: bool = False,
    private: bool = False,
) -> Response:  # fmt: skip
    """Bytes whose URL names their SHA-256: kept a year and never asked for again
    (``immutable``; ``private`` when who may see them depends on who asks), sent as ``kind``
    and never sniffed as anything else; with ``name``, saved under it (RFC 5987 for Chinese),
    ``download`` as a file rather than shown. Answers ranges and ``If-None-Match``."""
    response = send_file(
        io.BytesIO(data), mimetype=kind, as_attachment=download, download_name=name,
        etag=etag, max_age=YEAR,
    )  # fmt: skip
    if private:
        response.cache_control.public = False
        response.cache_control.private = True
    response.cache_control.immutable = True
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response


def allow_photo_uploads() -> None:
    """The progress form may carry its photos: a larger body than other forms, decided
    before anything reads it (the CSRF check reads the form first)."""
    if request.endpoint == "edit.progress":
        config = services().config
        photos = config.photo_max_count * config.photo_max_bytes + FORM_PARTS
        request.max_content_length = max(photos, request.max_content_length or 0)
