"""附件: photos and PDF documents attached to a site (a parcel or a standard-land parcel), public
on its investors' page.

A file is taken only for what its bytes are, never its name or declared type: a PDF when it
begins as one and arrived whole (``geoapp.documents``), else a photo when Pillow decodes it
whole as JPEG, PNG or WebP, by the very checks of the progress form's site photos
(``geoapp.photos``: size first, pixel count from the header against decompression bombs, then
decoded into a thumbnail). Anything else — an HTML or SVG file, text renamed ``.jpg`` — is
refused. Each has a caption (at most ``MAX_CAPTION`` characters) and a site has at most
``GEOAPP_ATTACHMENT_MAX_COUNT`` of them.

Attachments are rows of ``site_attachments``, keyed by the site's layer, its id and the
SHA-256 of the bytes, with the bytes as sent and a photo's thumbnail as binary fields; one
change set attaches or removes one, so the store's history says who attached or removed what
and when (binary fields are noted there by size and digest). Everything attached to a public
site is public: the uploader is recorded but shown only to officials.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import TYPE_CHECKING

from flask_babel import gettext as _

from geoapp import photos
from geoapp.documents import check_pdf, is_pdf
from geoapp.invest.sites import SITE_LAYERS
from geoapp.stores.base import Query, Store
from geoapp.stores.changes import (
    Change,
    ChangeRefused,
    ChangeSet,
    FieldSpec,
    HistoryEntry,
    TableSchema,
)
from geoapp.stores.writer import now_utc

if TYPE_CHECKING:
    from geoapp.config import Config

ATTACHMENTS_TABLE = "site_attachments"
PDF = "pdf"
MIME = photos.MIME | {PDF: "application/pdf"}
EXTENSIONS = {"jpeg": (".jpg", ".jpeg"), "png": (".png",), "webp": (".webp",), PDF: (".pdf",)}
MAX_CAPTION = 100  # characters
HISTORY = 1000  # most recent changes of the table searched for a site's


@dataclass(frozen=True)
class Limits:
    """How large a photo and a document may be (bytes), and how many files a site keeps."""

    photo_bytes: int
    document_bytes: int
    count: int

    @classmethod
    def of(cls, config: Config) -> Limits:
        return cls(config.photo_max_bytes, config.document_max_bytes, config.attachment_max_count)

    @property
    def largest(self) -> int:
        return max(self.photo_bytes, self.document_bytes)


@dataclass(frozen=True)
class Received:
    """A file that passed its checks: its bytes as sent, what they are, a photo's thumbnail."""

    name: str  # as sent, its extension made to fit what it is
    data: bytes
    digest: str
    format: str  # jpeg | png | webp | pdf
    width: int | None
    height: int | None
    thumbnail: bytes | None


@dataclass(frozen=True)
class Attachment:
    """A stored attachment as pages list it (the bytes come one at a time by its URL)."""

    digest: str
    name: str
    caption: str
    format: str
    width: int | None
    height: int | None
    size: int  # bytes
    author: str
    uploaded: str  # ISO time, UTC

    @property
    def is_photo(self) -> bool:
        return self.format != PDF

    @property
    def mimetype(self) -> str:
        return MIME[self.format]


def attachments_schema() -> TableSchema:
    text, number = FieldSpec("text"), FieldSpec("number")
    fields = {
        "site_layer": FieldSpec("enum", frozenset(SITE_LAYERS)),
        "site_id": text,
        "sha256": text,
        "format": FieldSpec("enum", frozenset(MIME)),
        "name": text,
        "caption": text,
        "byte_size": number,
        "width": number,
        "height": number,
        "author": text,
        "uploaded": text,
        "data": FieldSpec("binary"),
        "thumbnail": FieldSpec("binary"),
    }
    return TableSchema(ATTACHMENTS_TABLE, ("site_layer", "site_id", "sha256"), fields, "none")


def received(upload: photos.Upload | None, limits: Limits) -> Received:
    """The file of a form's file field, checked; ``photos.Refused`` says why it is not taken."""
    if upload is None or not upload.filename:
        raise photos.Refused(_("Choose a photo or a PDF to attach."))
    name = photos.short_name(upload.filename)
    return taken(name, upload.stream.read(limits.largest + 1), limits)


def taken(name: str, data: bytes, limits: Limits) -> Received:
    """``data`` as a photo (saved again without its metadata) or a PDF, or ``photos.Refused``
    naming ``name`` and the reason."""
    if is_pdf(data):
        check_pdf(name, data, limits.document_bytes)
        digest = hashlib.sha256(data).hexdigest()
        return Received(_named(name, PDF), data, digest, PDF, None, None, None)
    try:  # shown to the public: without the phone's metadata (where, when, whose)
        photo = photos.without_metadata(photos.checked(name, data, limits.photo_bytes))
    except photos.NotAnImage:
        raise photos.Refused(
            _("“%(name)s” is neither a photo (JPEG, PNG, WebP) nor a PDF.", name=name)
        ) from None
    return Received(
        _named(name, photo.format), photo.data, photo.digest, photo.format, photo.width,
        photo.height, photo.thumbnail,
    )  # fmt: skip


def caption_of(text: str) -> str:
    """The caption typed, on one line; ``photos.Refused`` when it is empty or too long."""
    caption = " ".join(text.split())
    if not caption:
        raise photos.Refused(_("Write a caption: what the file shows or is."))
    if len(caption) > MAX_CAPTION:
        raise photos.Refused(
            _("A caption has at most %(most)s characters: this one has %(n)s.", most=MAX_CAPTION,
              n=len(caption))
        )  # fmt: skip
    return caption


def _named(name: str, format: str) -> str:
    """The file's name, ending as what it is: a PDF named ``x.html`` is saved as
    ``x.html.pdf``, so no one's computer opens it as a page."""
    endings = EXTENSIONS[format]
    return name if name.lower().endswith(endings) else name + endings[0]


def attach(
    store: Store, site: tuple[str, str], file: Received, caption: str, author: str, limits: Limits
) -> None:
    """Keep ``file`` for the site (layer id, site id) in one change set; ``photos.Refused``
    when the site has as many attachments as it may, or this file already."""
    kept = stored(store, site)
    if any(a.digest == file.digest for a in kept):
        raise photos.Refused(_("“%(name)s” is attached to this site already.", name=file.name))
    if len(kept) >= limits.count:
        raise photos.Refused(
            _("This site has %(most)s attachments, as many as it may: remove one first.",
              most=limits.count)
        )  # fmt: skip
    values = {
        "site_layer": site[0], "site_id": site[1], "sha256": file.digest, "format": file.format,
        "name": file.name, "caption": caption, "byte_size": float(len(file.data)),
        "width": _number(file.width), "height": _number(file.height), "author": author,
        "uploaded": now_utc(), "data": file.data, "thumbnail": file.thumbnail,
    }  # fmt: skip
    change = Change("insert", ATTACHMENTS_TABLE, (*site, file.digest), values)
    try:
        store.apply(ChangeSet(author, [change]))
    except ChangeRefused:  # attached by someone else a moment ago
        raise photos.Refused(
            _("“%(name)s” is attached to this site already.", name=file.name)
        ) from None


def remove(store: Store, site: tuple[str, str], digest: str, author: str) -> bool:
    """Remove the attachment (its history entry keeps who and when); False if it was gone."""
    try:
        store.apply(ChangeSet(author, [Change("delete", ATTACHMENTS_TABLE, (*site, digest))]))
    except ChangeRefused:
        return False
    return True


def stored(store: Store, site: tuple[str, str]) -> list[Attachment]:
    """The site's attachments in the order they were attached."""
    if ATTACHMENTS_TABLE not in store.tables():  # nothing was attached anywhere yet
        return []
    query = Query(any_of={"site_layer": frozenset([site[0]]), "site_id": frozenset([site[1]])})
    frame = store.read(ATTACHMENTS_TABLE, query)
    return sorted((_attachment(row) for row in frame.itertuples()), key=lambda a: a.uploaded)


def held(store: Store, site: tuple[str, str], digest: str) -> Attachment | None:
    """The site's attachment of that digest, or None."""
    if not photos.SHA256.fullmatch(digest):  # a made-up URL: no need to ask the database
        return None
    return next((a for a in stored(store, site) if a.digest == digest), None)


def changes_of(store: Store, site: tuple[str, str]) -> list[HistoryEntry]:
    """Who attached and removed what of the site, newest first (of the table's last
    ``HISTORY`` changes)."""
    if ATTACHMENTS_TABLE not in store.tables():
        return []
    entries = store.history(ATTACHMENTS_TABLE, limit=HISTORY)
    return [e for e in entries if tuple(e.key[:2]) == site]


def _attachment(row) -> Attachment:
    return Attachment(
        row.sha256, row.name or "", row.caption or "", row.format, _whole(row.width),
        _whole(row.height), int(row.byte_size), row.author or "", row.uploaded or "",
    )  # fmt: skip


def _number(value: int | None) -> float | None:
    return None if value is None else float(value)


def _whole(value) -> int | None:
    return None if value is None or value != value else int(value)
