"""Settings: safe defaults, then environment variables, then a test mapping.

Every setting is declared once in ``SETTINGS`` as (name, default, help) so that the README and
the start-up validation cannot drift from the code (``tests/test_docs.py`` checks the README).
Paths default to folders of this checkout, never to a machine's absolute path.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from geoapp.errors import ConfigError

PROJECT_ROOT = Path(__file__).resolve().parent.parent

BASEMAPS = ("none", "osm", "tianditu", "amap", "custom", "file")


@dataclass(frozen=True)
class Setting:
    name: str
    default: str
    help: str


SETTINGS: tuple[Setting, ...] = (
    Setting(
        "GEOAPP_DATA", str(PROJECT_ROOT / "data" / "geoapp.gpkg"), "GeoPackage file of the store"
    ),
    Setting(
        "GEOAPP_DATABASE_URL",
        "",
        "postgresql://user:password@host:5432/db: PostGIS instead of the GeoPackage",
    ),
    Setting(
        "GEOAPP_DATABASE_READ_URL",
        "",
        "a streaming replica of GEOAPP_DATABASE_URL to read from (writes go to the primary)",
    ),
    Setting(
        "GEOAPP_DATABASE_READS",
        "memory",
        "PostGIS reads: memory (each app process caches the tables) or sql (queries and tiles "
        "in the database, for data too large to hold in every process)",
    ),
    Setting(
        "GEOAPP_LAYERS_DIR", str(PROJECT_ROOT / "layers"), "folder of layer declarations (*.toml)"
    ),
    Setting("GEOAPP_LOCALE", "zh", "default UI language: zh or en"),
    Setting("GEOAPP_BASEMAP", "none", "basemap: none, osm, tianditu, amap, custom or file"),
    Setting(
        "GEOAPP_BASEMAP_FILE",
        "",
        "MBTiles file of raster tiles the app serves itself when GEOAPP_BASEMAP=file",
    ),
    Setting(
        "GEOAPP_TILE_URL", "", "tile URL template when GEOAPP_BASEMAP=custom (intranet server)"
    ),
    Setting("GEOAPP_TIANDITU_KEY", "", "Tianditu 'tk' key, required when GEOAPP_BASEMAP=tianditu"),
    Setting(
        "GEOAPP_SECRET_KEY",
        "",
        "signs session cookies and CSRF tokens: a long random text, the same for every app "
        "process (`make run` makes one in instance/secret_key); the app does not start without",
    ),
    Setting("GEOAPP_HTTPS", "0", "1: served over HTTPS, so cookies are sent over HTTPS only"),
    Setting(
        "GEOAPP_LOGIN_LIMIT",
        "10 per minute",
        "sign-in attempts one address may make, e.g. '10 per minute'",
    ),
    Setting(
        "GEOAPP_WRITE_LIMIT",
        "120 per minute",
        "writes (imports, saves, drawn areas) one user may make",
    ),
    Setting(
        "GEOAPP_ENQUIRY_LIMIT",
        "10 per hour",
        "enquiries (意向登记) one address may send from the investors' pages",
    ),
    Setting(
        "GEOAPP_RATELIMIT_STORAGE",
        "memory://",
        "where the sign-in and write counts are kept: memory:// counts in each app process "
        "(each worker allows the whole limit); memcached://127.0.0.1:11211 (Debian's memcached) "
        "shares them between every worker and server",
    ),
    Setting(
        "GEOAPP_WARNINGS",
        str(PROJECT_ROOT / "warnings.toml"),
        "the three-colour warning rules (TOML; checked at start-up, see warnings.toml)",
    ),
    Setting(
        "GEOAPP_SITING",
        str(PROJECT_ROOT / "siting.toml"),
        "how the investors' siting search weighs each requirement (TOML; checked at start-up, "
        "see siting.toml)",
    ),
    Setting("GEOAPP_TILE_CACHE_MB", "64", "memory for cached vector tiles, per worker (MB)"),
    Setting("GEOAPP_MAX_UPLOAD_MB", "20", "largest file the import page accepts (MB)"),
    Setting(
        "GEOAPP_PHOTO_MAX_BYTES",
        str(8 * 1024 * 1024),
        "largest site photo the monthly progress form, or a parcel's attachments, accept "
        "(bytes; default 8 MB)",
    ),
    Setting("GEOAPP_PHOTO_MAX_COUNT", "6", "most site photos one save of the progress form takes"),
    Setting(
        "GEOAPP_DOCUMENT_MAX_BYTES",
        str(20 * 1024 * 1024),
        "largest PDF document attached to a parcel or standard-land parcel (bytes; default 20 MB)",
    ),
    Setting(
        "GEOAPP_ATTACHMENT_MAX_COUNT",
        "12",
        "most photos and documents one parcel or standard-land parcel may have attached",
    ),
    Setting("GEOAPP_UPLOAD_HOURS", "24", "hours an upload waits to be applied before removal"),
    Setting(
        "GEOAPP_UPLOADS",
        "",
        "folder where uploads wait to be applied, shared by every app process (default: one "
        "per data file in the system's temporary folder)",
    ),
    Setting(
        "GEOAPP_UPLOADS_MB",
        "2000",
        "space the waiting uploads and their reports may take (MB); beyond it the oldest go",
    ),
    Setting(
        "GEOAPP_IMPORT_MAX_ROWS",
        "200000",
        "most rows (sheet rows, text lines or features) a file sent to the import page may have",
    ),
    Setting(
        "GEOAPP_REQUEST_SECONDS",
        "2",
        "time budget of a request's filter evaluation (CQL2); past it, a 503",
    ),
    Setting(
        "GEOAPP_MAP_APPROVAL",
        "",
        "the map approval number (审图号) printed on the wall map, e.g. GS(2024)1234号 "
        "(at most 60 characters); empty: none is printed",
    ),
    Setting(
        "GEOAPP_WARM_UP",
        "0",
        "1: load every table at start-up (with gunicorn --preload the workers then share it)",
    ),
)

READS = ("memory", "sql")
FILE_LIMITS = (  # whole numbers of at least 1
    "GEOAPP_PHOTO_MAX_BYTES",
    "GEOAPP_PHOTO_MAX_COUNT",
    "GEOAPP_DOCUMENT_MAX_BYTES",
    "GEOAPP_ATTACHMENT_MAX_COUNT",
)
RATELIMIT_STORES = ("memory://", "memcached://")
KNOWN_KEYS = ("dev-only-change-me", "dev", "secret", "change-me", "changeme")
LIMIT = re.compile(r"^\d+ per (second|minute|hour|day)$")
_KEY_OF = {s.name: s.name.removeprefix("GEOAPP_").lower() for s in SETTINGS}

if TYPE_CHECKING:
    from geoapp.invest.siting_settings import SitingSettings
    from geoapp.progress import WarningRules
    from geoapp.stores import Store
    from geoapp.stores.changes import TableSchema


@dataclass(frozen=True)
class Config:
    """The validated settings of one app instance."""

    data: Path
    database_url: str
    database_read_url: str
    database_reads: str
    layers_dir: Path
    locale: str
    basemap: str
    basemap_file: str
    tile_url: str
    tianditu_key: str
    secret_key: str
    https: bool
    login_limit: str
    write_limit: str
    enquiry_limit: str
    ratelimit_storage: str
    warnings: Path
    siting: Path
    tile_cache_mb: int
    max_upload_mb: int
    photo_max_bytes: int
    photo_max_count: int
    document_max_bytes: int
    attachment_max_count: int
    upload_hours: int
    warm_up: bool
    uploads: str
    uploads_mb: int
    import_max_rows: int
    request_seconds: int
    map_approval: str

    @classmethod
    def load(cls, overrides: Mapping[str, Any] | None = None) -> Config:
        """Defaults ← environment ← ``overrides`` (keys are the GEOAPP_* names)."""
        raw = {s.name: os.environ.get(s.name, s.default) for s in SETTINGS}
        for key, value in (overrides or {}).items():
            if key not in raw:
                raise ConfigError(f"unknown setting {key!r}")
            raw[key] = str(value)
        values = {_KEY_OF[name]: value for name, value in raw.items()}
        values["data"] = Path(values["data"])
        values["layers_dir"] = Path(values["layers_dir"])
        values["warnings"] = Path(values["warnings"])
        values["siting"] = Path(values["siting"])
        values["tile_cache_mb"] = _whole_number("GEOAPP_TILE_CACHE_MB", values["tile_cache_mb"])
        values["warm_up"] = _switch("GEOAPP_WARM_UP", values["warm_up"])
        values["https"] = _switch("GEOAPP_HTTPS", values["https"])
        values["max_upload_mb"] = _whole_number("GEOAPP_MAX_UPLOAD_MB", values["max_upload_mb"])
        for name in FILE_LIMITS:
            values[_KEY_OF[name]] = _whole_number(name, values[_KEY_OF[name]])
        values["upload_hours"] = _whole_number("GEOAPP_UPLOAD_HOURS", values["upload_hours"])
        values["uploads_mb"] = _whole_number("GEOAPP_UPLOADS_MB", values["uploads_mb"])
        values["import_max_rows"] = _whole_number(
            "GEOAPP_IMPORT_MAX_ROWS", values["import_max_rows"]
        )
        values["request_seconds"] = _whole_number(
            "GEOAPP_REQUEST_SECONDS", values["request_seconds"]
        )
        config = cls(**values)
        config.validate()
        return config

    def open_store(self, schemas: Mapping[str, TableSchema]) -> Store:
        """The store these settings name: PostGIS when a database URL is set, else the file."""
        from geoapp.stores import open_store

        return open_store(
            self.database_url or self.data,
            schemas,
            self.database_read_url or None,
            self.database_reads,
        )

    def validate(self) -> None:
        """Refuse contradictory settings at start-up, naming the variable."""
        if self.request_seconds < 1:
            raise ConfigError("GEOAPP_REQUEST_SECONDS must be at least 1")
        if self.locale not in ("zh", "en"):
            raise ConfigError(f"GEOAPP_LOCALE must be zh or en, not {self.locale!r}")
        if self.basemap not in BASEMAPS:
            raise ConfigError(f"GEOAPP_BASEMAP must be one of {', '.join(BASEMAPS)}")
        if self.basemap == "tianditu" and not self.tianditu_key:
            raise ConfigError("GEOAPP_BASEMAP=tianditu needs GEOAPP_TIANDITU_KEY")
        if self.basemap == "custom" and "{z}" not in self.tile_url:
            raise ConfigError("GEOAPP_BASEMAP=custom needs GEOAPP_TILE_URL with {z}/{x}/{y}")
        self._check_basemap_file()
        if not self.layers_dir.is_dir():
            raise ConfigError(f"GEOAPP_LAYERS_DIR is not a folder: {self.layers_dir}")
        for name, url in (
            ("GEOAPP_DATABASE_URL", self.database_url),
            ("GEOAPP_DATABASE_READ_URL", self.database_read_url),
        ):
            if url and not url.startswith(("postgresql://", "postgres://")):
                raise ConfigError(f"{name} must be a postgresql:// URL")
        if self.database_reads not in READS:
            raise ConfigError(
                f"GEOAPP_DATABASE_READS must be memory or sql, not {self.database_reads!r}"
            )
        if self.database_read_url and not self.database_url:
            raise ConfigError("GEOAPP_DATABASE_READ_URL needs GEOAPP_DATABASE_URL (the primary)")
        for name, limit in (
            ("GEOAPP_LOGIN_LIMIT", self.login_limit),
            ("GEOAPP_WRITE_LIMIT", self.write_limit),
            ("GEOAPP_ENQUIRY_LIMIT", self.enquiry_limit),
        ):
            if not LIMIT.match(limit):
                raise ConfigError(f"{name} must read like '10 per minute', not {limit!r}")
        if not self.ratelimit_storage.startswith(RATELIMIT_STORES):
            raise ConfigError(
                "GEOAPP_RATELIMIT_STORAGE must be memory:// or memcached://host:port, "
                f"not {self.ratelimit_storage!r}"
            )
        for name, value in (
            ("GEOAPP_IMPORT_MAX_ROWS", self.import_max_rows),
            *((name, getattr(self, _KEY_OF[name])) for name in FILE_LIMITS),
        ):
            if value < 1:
                raise ConfigError(f"{name} must be at least 1")
        if len(self.map_approval) > 60 or not self.map_approval.isprintable():
            raise ConfigError("GEOAPP_MAP_APPROVAL must be one line of at most 60 characters")

    def warning_rules(self) -> WarningRules:
        """The rules of GEOAPP_WARNINGS, checked (ConfigError naming the file and key)."""
        from geoapp.warning_rules import load_rules

        return load_rules(self.warnings)

    def siting_settings(self) -> SitingSettings:
        """The weights of GEOAPP_SITING, checked (ConfigError naming the file and key)."""
        from geoapp.invest.siting_settings import load_siting

        return load_siting(self.siting)

    def check_secret_key(self) -> None:
        """A known or short key would let anyone forge a session: refuse to serve. (Commands
        that only read or write the data need no key.)"""
        if not self.secret_key:
            raise ConfigError(
                "GEOAPP_SECRET_KEY is not set: set a long random text (`make run` makes one)"
            )
        if self.secret_key in KNOWN_KEYS or len(self.secret_key) < 32:
            raise ConfigError(
                "GEOAPP_SECRET_KEY is a known or short value: use 32+ random characters"
            )

    def _check_basemap_file(self) -> None:
        """GEOAPP_BASEMAP=file needs an MBTiles file of raster tiles, and only it takes one."""
        from geoapp.mbtiles import MBTiles, MBTilesError

        if self.basemap != "file":
            if self.basemap_file:
                raise ConfigError("GEOAPP_BASEMAP_FILE is set: it needs GEOAPP_BASEMAP=file")
            return
        if not self.basemap_file:
            raise ConfigError("GEOAPP_BASEMAP=file needs GEOAPP_BASEMAP_FILE (an MBTiles file)")
        try:
            MBTiles(self.basemap_file)
        except MBTilesError as error:
            raise ConfigError(f"GEOAPP_BASEMAP_FILE {self.basemap_file}: {error}") from None


def _whole_number(name: str, value: str) -> int:
    if not (value.strip().isascii() and value.strip().isdigit()):
        raise ConfigError(f"{name} must be a whole number, not {value!r}")
    return int(value)


def _switch(name: str, value: str) -> bool:
    if value not in ("0", "1"):
        raise ConfigError(f"{name} must be 0 or 1, not {value!r}")
    return value == "1"
