"""geoapp: key projects, industrial parks, parcels and standard land on offline maps.

``create_app`` builds everything (config → Store → layer registry → blueprints); nothing is
built at import time, so tests make as many independent apps as they like.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from flask import Flask

from geoapp.auth.access import init_access, limiter
from geoapp.budget import register_budget
from geoapp.config import PROJECT_ROOT, Config
from geoapp.errors import ConfigError
from geoapp.formatting import register_filters
from geoapp.handlers import register_handlers
from geoapp.i18n import init_i18n
from geoapp.layers import load_layers
from geoapp.schemas import record_schemas
from geoapp.services import Services
from geoapp.tilecache import TileCache

STATIC_DIR = PROJECT_ROOT / "geoapp" / "static"
VENDOR_ASSETS = (
    "vendor/leaflet/leaflet.js",
    "vendor/leaflet/leaflet.css",
    "vendor/leaflet.vectorgrid/Leaflet.VectorGrid.bundled.min.js",
    "vendor/supercluster/supercluster.min.js",
    "vendor/leaflet-draw/leaflet.draw.js",
    "vendor/leaflet-draw/leaflet.draw.css",
    "vendor/leaflet-geoman/leaflet-geoman.min.js",
    "vendor/leaflet-geoman/leaflet-geoman.css",
    "vendor/echarts/echarts.common.min.js",  # the dashboard's charts (bar, line, tooltip)
)


def create_app(test_config: Mapping[str, Any] | None = None) -> Flask:
    """The app for the settings in the environment, overridden by ``test_config``."""
    config = Config.load(test_config)
    config.check_secret_key()
    _check_assets()
    app = Flask(
        __name__, template_folder=str(PROJECT_ROOT / "templates"), static_folder=str(STATIC_DIR)
    )
    app.config["SECRET_KEY"] = config.secret_key
    app.config.update(_cookie_settings(config.https))
    app.json.ensure_ascii = False  # Chinese stays readable in every JSON response
    app.config["MAX_CONTENT_LENGTH"] = config.max_upload_mb * 1024 * 1024  # 413 beyond
    app.json.sort_keys = False  # keep declared field order; sorting big pages costs time
    app.config["BABEL_TRANSLATION_DIRECTORIES"] = str(PROJECT_ROOT / "geoapp" / "translations")
    layers = load_layers(config.layers_dir)
    store = config.open_store(record_schemas(layers))
    services = Services(config, store, layers, config.warning_rules(), config.siting_settings())
    app.extensions["geoapp"] = services
    if config.warm_up:
        services.warm_up()
        from geoapp.invest.siting_candidates import candidates

        candidates(services)  # the siting search's table, built before gunicorn forks
    init_i18n(app)
    register_handlers(app)
    app.config["RATELIMIT_STORAGE_URI"] = config.ratelimit_storage
    from geoapp.views.attachments import allow_attachment_uploads
    from geoapp.views.photos import allow_photo_uploads

    app.before_request(allow_photo_uploads)  # before the CSRF check of ``init_access`` reads
    app.before_request(allow_attachment_uploads)
    init_access(app, lambda: services.store)
    register_budget(app, config.request_seconds)
    register_filters(app)
    app.extensions["geoapp_tiles"] = TileCache(config.tile_cache_mb * 1024 * 1024)
    from geoapp.views import (
        OFFICIAL_AUDIENCE,
        admin,
        api,
        attachments,
        auth,
        basemap,
        dashboard,
        edit,
        export,
        imports,
        invest,
        invest_compare,
        invest_files,
        leads,
        map,
        ogc,
        photos,
        prints,
        rates,
        siting,
        tiles,
    )
    from geoapp.views import search as search_views

    for writes in (
        api.bp,
        imports.bp,
        edit.bp,
        edit.history_bp,
        attachments.bp,
        admin.bp,
        leads.bp,
    ):  # per user, only for POST and the like
        limiter.limit(config.write_limit, key_func=_user_key, exempt_when=_reading)(writes)
    app.register_blueprint(auth.bp)
    app.register_blueprint(map.bp)
    app.register_blueprint(edit.bp)  # /edit/<layer>/<id>: the form
    app.register_blueprint(edit.history_bp)  # /history/<layer>/<id>: who changed what
    app.register_blueprint(admin.bp)  # /admin/…: accounts, retired records
    app.register_blueprint(photos.bp)  # /photos/projects/<id>/<month>/<sha256>: site photos
    app.register_blueprint(attachments.bp)  # /edit/<layer>/<id>/attachments: a site's files
    app.register_blueprint(invest.bp)  # /invest/…: the investors' public pages
    app.register_blueprint(siting.bp)  # /invest/siting: 智能选址, the ranked shortlist
    app.register_blueprint(invest_compare.bp)  # /invest/compare: up to four sites side by side
    app.register_blueprint(invest_files.bp)  # /invest/files/<layer>/<id>/<sha256>: a site's files
    app.register_blueprint(leads.bp)  # /leads: their enquiries, for the officials
    app.register_blueprint(api.bp)
    app.register_blueprint(rates.bp)
    app.register_blueprint(dashboard.bp)  # /dashboard: 进度看板, its month slider's answers
    app.register_blueprint(search_views.bp)  # /api/search: the header search's suggestions
    app.register_blueprint(tiles.bp)
    basemap.init_app(app, config)  # /basemap/…: tiles of GEOAPP_BASEMAP_FILE
    app.register_blueprint(export.bp)
    app.register_blueprint(prints.bp)  # /print/wallmap.pdf|png: 挂图作战图
    app.register_blueprint(imports.bp)
    app.register_blueprint(ogc.make_blueprint("ogc", "/ogc", OFFICIAL_AUDIENCE))
    app.register_blueprint(ogc.make_blueprint("public_ogc", "/public/ogc", "public"))
    if config.warm_up:
        _compile_templates(app)
    return app


def _compile_templates(app: Flask) -> None:
    """Compile every page template before gunicorn forks: otherwise each worker's first
    visit of the map page spends 0.3 s compiling its templates."""
    for name in app.jinja_env.list_templates(extensions=("html",)):
        app.jinja_env.get_template(name)


def _cookie_settings(https: bool) -> dict[str, Any]:
    """Session cookies out of scripts' reach, not sent by other sites' forms, HTTPS-only
    when served over HTTPS."""
    return {
        "SESSION_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SAMESITE": "Lax",
        "SESSION_COOKIE_SECURE": https,
        "REMEMBER_COOKIE_HTTPONLY": True,
        "REMEMBER_COOKIE_SAMESITE": "Lax",
        "REMEMBER_COOKIE_SECURE": https,
    }


def _user_key() -> str:
    from flask import request
    from flask_login import current_user

    return current_user.username or request.remote_addr or ""


def _reading() -> bool:
    from flask import request

    return request.method in ("GET", "HEAD", "OPTIONS")


def _check_assets() -> None:
    """The front-end assets come from npm at set-up time; say how to get them if missing."""
    missing = [path for path in VENDOR_ASSETS if not (STATIC_DIR / path).is_file()]
    if missing:
        raise ConfigError(f"front-end assets missing ({', '.join(missing)}): run `make assets`")
