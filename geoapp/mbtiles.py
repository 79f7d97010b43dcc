"""A basemap from an MBTiles file: raster tiles in SQLite, read-only, as the app serves them.

MBTiles (https://github.com/mapbox/mbtiles-spec) keeps each tile as a row of a ``tiles`` table
or view (``zoom_level``, ``tile_column``, ``tile_row``, ``tile_data``) in TMS order: row 0 is
the south edge, so the XYZ ``y`` of Leaflet is ``2**z - 1 - tile_row``. A ``metadata`` table
of name/value rows gives the format, the zoom levels, the bounds and the attribution.

The file is opened read-only (``mode=ro``): the app never writes it, and a county may swap it
for a new one and restart. Each thread (and each forked worker) has its own connection.
"""

from __future__ import annotations

import hashlib
import html
import os
import sqlite3
import threading
from dataclasses import dataclass
from pathlib import Path

from markupsafe import Markup

APP_KEY = "geoapp_basemap"  # app.extensions[APP_KEY]: the app's open file (views/basemap.py)
# format (metadata) → (URL extension, mimetype); "jpeg" is read as "jpg"
RASTER = {
    "png": ("png", "image/png"),
    "jpg": ("jpg", "image/jpeg"),
    "webp": ("webp", "image/webp"),
}
VECTOR = ("pbf", "mvt")
TILE_SQL = "SELECT tile_data FROM tiles WHERE zoom_level = ? AND tile_column = ? AND tile_row = ?"


class MBTilesError(Exception):
    """The file is not an MBTiles of raster tiles the app can serve: the reason, in a phrase."""


def sniff(data: bytes) -> str | None:
    """The raster format of tile bytes, from their signature (None: not PNG, JPEG or WebP)."""
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return "png"
    if data.startswith(b"\xff\xd8\xff"):
        return "jpg"
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "webp"
    return None


@dataclass(frozen=True)
class Metadata:
    """What the map needs to know of the file, read once when it is opened."""

    name: str  # plain text (tags removed), HTML-escaped: Leaflet writes it as HTML
    attribution: str  # likewise
    format: str  # png, jpg or webp
    min_zoom: int
    max_zoom: int
    bounds: tuple[float, float, float, float] | None  # west, south, east, north (WGS84)
    version: str  # changes when the file does (size, modification time)

    @property
    def extension(self) -> str:
        return RASTER[self.format][0]

    @property
    def mimetype(self) -> str:
        return RASTER[self.format][1]


class MBTiles:
    """One MBTiles file of raster tiles, checked when opened (``MBTilesError`` otherwise)."""

    def __init__(self, path: str | os.PathLike[str]):
        self.path = Path(path)
        if not self.path.is_file():
            raise MBTilesError("no such file")
        self._uri = self.path.resolve().as_uri() + "?mode=ro"
        self._local = threading.local()
        connection = self._connect()
        try:
            self.metadata = self._read_metadata(connection)
        except sqlite3.DatabaseError as error:
            raise MBTilesError(f"not a readable SQLite file ({error})") from None
        finally:
            connection.close()

    def tile(self, z: int, x: int, y: int) -> bytes | None:
        """The bytes of XYZ tile z/x/y, or None when the file does not hold it."""
        cursor = self._connection().execute(TILE_SQL, (z, x, (1 << z) - 1 - y))  # TMS rows
        row = cursor.fetchone()
        return bytes(row[0]) if row and row[0] else None

    def _connect(self) -> sqlite3.Connection:
        try:
            return sqlite3.connect(self._uri, uri=True)
        except sqlite3.Error as error:
            raise MBTilesError(f"cannot be opened read-only ({error})") from None

    def _connection(self) -> sqlite3.Connection:
        """This thread's connection (a forked worker opens its own, never its parent's)."""
        local = self._local
        if getattr(local, "pid", None) != os.getpid():
            local.connection = self._connect()
            local.pid = os.getpid()
        return local.connection

    def _read_metadata(self, connection: sqlite3.Connection) -> Metadata:
        names = {
            name
            for (name,) in connection.execute(
                "SELECT name FROM sqlite_master WHERE type IN ('table', 'view')"
            )
        }
        missing = [table for table in ("tiles", "metadata") if table not in names]
        if missing:
            raise MBTilesError(
                f"not an MBTiles file: no {' or '.join(missing)} table in this SQLite file"
            )
        meta = {
            str(name).strip().lower(): str(value).strip()
            for name, value in connection.execute("SELECT name, value FROM metadata")
            if name is not None and value is not None
        }
        levels = connection.execute("SELECT min(zoom_level), max(zoom_level) FROM tiles").fetchone()
        if levels is None or levels[0] is None:
            raise MBTilesError("holds no tiles")
        stat = self.path.stat()
        return Metadata(
            name=_plain_text(meta.get("name", "")),
            attribution=_plain_text(meta.get("attribution", "")),
            format=_format(meta.get("format", ""), connection),
            min_zoom=_zoom(meta.get("minzoom"), levels[0]),
            max_zoom=_zoom(meta.get("maxzoom"), levels[1]),
            bounds=_bounds(meta.get("bounds", "")),
            version=hashlib.sha1(f"{stat.st_size}:{stat.st_mtime_ns}".encode()).hexdigest()[:10],
        )


def _format(declared: str, connection: sqlite3.Connection) -> str:
    """The declared raster format, or the first tile's when the metadata names none."""
    declared = {"jpeg": "jpg"}.get(declared.lower(), declared.lower())
    if declared in VECTOR:
        raise MBTilesError(
            f"holds vector tiles (format={declared}); a basemap file needs raster tiles: "
            "png, jpg or webp"
        )
    if declared in RASTER:
        return declared
    if declared:
        raise MBTilesError(f"format={declared} is not a raster format: png, jpg or webp")
    first = connection.execute("SELECT tile_data FROM tiles LIMIT 1").fetchone()
    found = sniff(bytes(first[0])) if first and first[0] else None
    if found is None:
        raise MBTilesError("its metadata names no format and its tiles are not png, jpg or webp")
    return found


def _zoom(declared: str | None, found: int) -> int:
    """A zoom level from the metadata when it is a whole number in 0–22, else the tiles'."""
    if declared and declared.isascii() and declared.isdigit() and int(declared) <= 22:
        return int(declared)
    return int(found)


def _bounds(text: str) -> tuple[float, float, float, float] | None:
    """``west,south,east,north`` in degrees; None when missing or not a box on the Earth."""
    try:
        west, south, east, north = (float(part) for part in text.split(","))
    except ValueError:
        return None
    if -180 <= west < east <= 180 and -90 <= south < north <= 90:
        return west, south, east, north
    return None


def _plain_text(value: str) -> str:
    """Text without its tags, escaped: Leaflet puts attributions and layer names in as HTML."""
    return html.escape(Markup(value).striptags(), quote=True)
