"""现场照片: a project's site photos of a month, taken only when they decode as images, kept
in the store beside the month's progress row.

A file is taken only when Pillow decodes it whole as JPEG, PNG or WebP: its name and the type
the browser declares are not trusted. One larger than ``GEOAPP_PHOTO_MAX_BYTES``, or with
more pixels than ``MAX_PIXELS`` (a decompression bomb: a few kilobytes that decode to
gigabytes), is refused before it is decoded; a truncated or damaged one when decoding fails.
A JPEG is decoded at a reduced scale (libjpeg's draft mode): the whole stream is still read,
so a cut file shows, but a 12-megapixel photo costs a few megabytes of memory, not 36.

Photos are rows of ``progress_photos``, keyed by project code, month and the SHA-256 of the
bytes, with the bytes as sent (served back byte for byte) and a small JPEG thumbnail as binary
fields. They go into the change set of the month's progress row, so both land or neither,
and they live in the database with everything else (its backups and replicas carry them);
binary fields never enter an app process's cache.
"""

from __future__ import annotations

import hashlib
import io
import re
import warnings
from collections.abc import Iterable
from dataclasses import dataclass, replace
from datetime import date
from typing import Protocol

from flask_babel import gettext as _
from PIL import ExifTags, Image, ImageOps

from geoapp.stores.base import Query, Store
from geoapp.stores.changes import Change, FieldSpec, TableSchema
from geoapp.stores.writer import now_utc

PHOTOS_TABLE = "progress_photos"
# Pillow's format name → what we store and serve. MPO: a JPEG with a second picture
# (some phones' depth or stereo shots); browsers show its first, as Pillow reads it.
FORMATS = {"JPEG": "jpeg", "MPO": "jpeg", "PNG": "png", "WEBP": "webp"}
OPENED = ("JPEG", "PNG", "WEBP")  # the decoders Pillow may try (JPEG's opens MPO too)
MIME = {"jpeg": "image/jpeg", "png": "image/png", "webp": "image/webp"}
MAX_PIXELS = 50_000_000  # a 50-megapixel phone photo; a decoded PNG of this size is 200 MB
THUMBNAIL = 320  # px, the longer side: sharp in a 160 px box on a 2× screen
SHA256 = re.compile(r"[0-9a-f]{64}")
MAX_NAME = 120  # characters of a file name kept for captions and messages


class Upload(Protocol):
    """A file of a multipart form (werkzeug's ``FileStorage``)."""

    filename: str | None
    stream: io.BufferedIOBase


@dataclass(frozen=True)
class Photo:
    """A file that decoded whole: its bytes as sent, what they are, and its thumbnail."""

    name: str
    data: bytes
    digest: str  # SHA-256 of ``data``, hex
    format: str  # jpeg | png | webp
    width: int  # as shown (a phone's rotation in EXIF applied)
    height: int
    thumbnail: bytes  # JPEG


@dataclass(frozen=True)
class Shown:
    """A stored photo as pages list it (no bytes: those come one at a time by its URL)."""

    month: str  # YYYY-MM
    digest: str
    name: str
    format: str
    width: int
    height: int
    size: int  # bytes
    author: str
    uploaded: str  # ISO time, UTC


class Refused(ValueError):
    """A file that is not taken; the message names it and says why, in the user's language."""


class NotAnImage(Refused):
    """A file no image decoder knows: a form that also takes other kinds (a site's PDFs,
    ``geoapp.invest.attachments``) says so in its own words."""


def photos_schema() -> TableSchema:
    text, number = FieldSpec("text"), FieldSpec("number")
    fields = {
        "project_id": text,
        "month": FieldSpec("date"),
        "sha256": text,
        "format": FieldSpec("enum", frozenset(MIME)),
        "width": number,
        "height": number,
        "byte_size": number,
        "name": text,
        "author": text,
        "uploaded": text,
        "image": FieldSpec("binary"),
        "thumbnail": FieldSpec("binary"),
    }
    return TableSchema(PHOTOS_TABLE, ("project_id", "month", "sha256"), fields, "none")


def received(
    files: Iterable[Upload], max_count: int, max_bytes: int
) -> tuple[list[Photo], list[str]]:
    """The photos of a form's file field, and why each refused file is refused. Too many
    files refuse them all: which ones to leave out is the sender's choice."""
    sent = [f for f in files if f.filename]  # a file field left empty sends a nameless part
    if len(sent) > max_count:
        return [], [_("At most %(most)s photos at once: %(sent)s were chosen.", most=max_count,
                      sent=len(sent))]  # fmt: skip
    photos, refusals = [], []
    for upload in sent:
        name = short_name(upload.filename or "")
        try:
            photos.append(checked(name, upload.stream.read(max_bytes + 1), max_bytes))
        except Refused as refused:
            refusals.append(str(refused))
    return photos, refusals


def checked(name: str, data: bytes, max_bytes: int) -> Photo:
    """``data`` as a photo, or ``Refused`` naming ``name`` and the reason."""
    if len(data) > max_bytes:
        mb = megabytes(max_bytes)
        raise Refused(_("“%(name)s” is larger than %(mb)s MB.", name=name, mb=mb))
    image = _opened(name, data)
    width, height = image.size  # before a JPEG's draft mode shrinks it
    try:  # untrusted bytes: whatever fails while decoding them means a damaged file
        if image.format == "PNG":  # the chunks' checksums and the end chunk, not read by load
            Image.open(io.BytesIO(data), formats=("PNG",)).verify()
        if _turned(image):
            width, height = height, width
        thumbnail = _thumbnail(image)
    except Exception:
        raise Refused(_("“%(name)s” is damaged or incomplete.", name=name)) from None
    digest = hashlib.sha256(data).hexdigest()
    return Photo(name, data, digest, FORMATS[image.format], width, height, thumbnail)


def without_metadata(photo: Photo) -> Photo:
    """``photo`` as the public may have it: turned upright and saved again without its
    metadata. A phone writes where and when a photo was taken, the phone and often its
    owner's name into EXIF and XMP; a site's progress photos keep them (evidence, seen by
    officials only), a photo on the investors' pages must not. The colour profile stays."""
    with Image.open(io.BytesIO(photo.data), formats=OPENED) as image:
        upright = ImageOps.exif_transpose(image)
        icc = image.info.get("icc_profile")
    out = io.BytesIO()
    options = {"icc_profile": icc} if icc else {}
    if photo.format == "png":
        upright.save(out, "PNG", **options)
    else:  # JPEG and WebP are lossy already: a high quality keeps what the eye sees
        pil_format = "JPEG" if photo.format == "jpeg" else "WEBP"
        if pil_format == "JPEG" and upright.mode not in ("RGB", "L", "CMYK"):
            upright = upright.convert("RGB")
        upright.save(out, pil_format, quality=92, **options)
    data = out.getvalue()
    digest = hashlib.sha256(data).hexdigest()
    return replace(photo, data=data, digest=digest, width=upright.width, height=upright.height)


def megabytes(size: int) -> str:
    """A size limit as people read it: ``8388608`` → ``8``."""
    return f"{size / 1024 / 1024:.3g}"


def _opened(name: str, data: bytes) -> Image.Image:
    """The image's header read (nothing decoded yet), within the pixel limit."""
    with warnings.catch_warnings():
        warnings.simplefilter("error", Image.DecompressionBombWarning)
        try:
            image = Image.open(io.BytesIO(data), formats=OPENED)
        except (Image.DecompressionBombError, Image.DecompressionBombWarning):
            image = None
        except Exception:  # unidentified, or a header Pillow cannot parse
            raise NotAnImage(_("“%(name)s” is not a JPEG, PNG or WebP image.", name=name)) from None
    if image is None or image.width * image.height > MAX_PIXELS:
        million = f"{MAX_PIXELS / 1e6:g}"
        raise Refused(
            _("“%(name)s” has too many pixels (at most %(million)s million).", name=name,
              million=million)
        )  # fmt: skip
    return image


def _turned(image: Image.Image) -> bool:
    """True when the EXIF orientation turns the picture a quarter (width and height swap)."""
    return image.getexif().get(ExifTags.Base.Orientation) in (5, 6, 7, 8)


def _thumbnail(image: Image.Image) -> bytes:
    """A small JPEG, upright, on white where the photo is transparent: pages never send the
    original to draw a list. Decodes the whole image, which is what proves it intact."""
    if image.format in ("JPEG", "MPO"):
        image.draft("RGB", (THUMBNAIL, THUMBNAIL))
    image.load()
    small = ImageOps.exif_transpose(image)
    if small.mode not in ("RGB", "L"):
        rgba = small.convert("RGBA")
        small = Image.new("RGB", rgba.size, "white")
        small.paste(rgba, mask=rgba.getchannel("A"))
    small.thumbnail((THUMBNAIL, THUMBNAIL))
    out = io.BytesIO()
    small.save(out, "JPEG", quality=80, optimize=True)
    return out.getvalue()


def short_name(filename: str) -> str:
    """The file's own name (some browsers send a path), cut to a readable length."""
    name = filename.replace("\\", "/").rsplit("/", 1)[-1].strip()
    return name if len(name) <= MAX_NAME else name[: MAX_NAME - 1] + "…"


def photo_changes(
    store: Store, code: str, month: date, photos: Iterable[Photo], author: str
) -> list[Change]:
    """Inserts for the photos this project's month does not hold yet: sending a photo again
    (or twice in one form) keeps it once."""
    held = {p.digest for p in stored(store, code, month)}
    uploaded = now_utc()
    changes: dict[str, Change] = {}
    for photo in photos:
        if photo.digest in held or photo.digest in changes:
            continue
        values = {
            "project_id": code, "month": month, "sha256": photo.digest, "format": photo.format,
            "width": float(photo.width), "height": float(photo.height),
            "byte_size": float(len(photo.data)), "name": photo.name, "author": author,
            "uploaded": uploaded, "image": photo.data, "thumbnail": photo.thumbnail,
        }  # fmt: skip
        key = (code, month.isoformat(), photo.digest)
        changes[photo.digest] = Change("insert", PHOTOS_TABLE, key, values)
    return list(changes.values())


def stored(store: Store, code: str, month: date | None = None) -> list[Shown]:
    """The project's photos (of one month, or all), newest month first, in upload order."""
    if PHOTOS_TABLE not in store.tables():  # a GeoPackage no photo was written to yet
        return []
    frame = store.read(PHOTOS_TABLE, Query(any_of={"project_id": frozenset({code})}))
    shown = [_shown(row) for row in frame.itertuples()]
    if month is not None:
        shown = [p for p in shown if p.month == month.strftime("%Y-%m")]
    shown.sort(key=lambda p: p.uploaded)
    return sorted(shown, key=lambda p: p.month, reverse=True)


def held(store: Store, key: tuple[str, str, str]) -> Shown | None:
    """The stored photo with this key (project code, first day of the month, digest)."""
    code, day, digest = key
    month = date.fromisoformat(day)
    return next((p for p in stored(store, code, month) if p.digest == digest), None)


def _shown(row) -> Shown:
    return Shown(
        row.month.strftime("%Y-%m"), row.sha256, row.name or "", row.format, int(row.width),
        int(row.height), int(row.byte_size), row.author or "", row.uploaded or "",
    )  # fmt: skip


def photo_key(code: str, month: str, digest: str) -> tuple[str, str, str] | None:
    """The row key of a photo's URL parts (``2026-11``, a hex SHA-256); None when they
    cannot name one, so a made-up URL is a 404 without asking the database."""
    try:
        day = date.fromisoformat(month + "-01")
    except ValueError:
        return None
    if day.strftime("%Y-%m") != month or not SHA256.fullmatch(digest):
        return None
    return code, day.isoformat(), digest
