"""数据导入: upload a project sheet or a parcel file, read the report, then apply it.

The same code as ``geoapp import``: the upload is checked (size, type), prepared (a dry run
that writes nothing), and kept under a random token so the user can apply it, or only its
valid rows, after reading the report. The report can be downloaded as XLSX.
"""

from __future__ import annotations

import hashlib
import json
import secrets
import shutil
import tempfile
import time
from pathlib import Path

from flask import Blueprint, abort, current_app, render_template, request, send_file
from flask_babel import get_locale
from flask_babel import gettext as _

from geoapp.errors import BadRequest
from geoapp.imports.mapping import save_overrides
from geoapp.imports.problems import FileRefused
from geoapp.imports.report import report_xlsx
from geoapp.imports.service import (
    COORDINATE_SYSTEMS,
    ImportRefused,
    Prepared,
    apply,
    prepare_parcels,
    prepare_progress,
    prepare_projects,
)
from geoapp.imports.sheets import load_header_map
from geoapp.query import admin_prefix, whole_number
from geoapp.services import services
from geoapp.stores import ChangeRefused

bp = Blueprint("imports", __name__, url_prefix="/import")
KINDS = {
    "projects": (".xlsx", ".xlsm", ".xls", ".ods", ".csv"),
    "parcels": (".txt", ".csv", ".dat", ".zip", ".shp", ".gpkg", ".kml", ".kmz", ".geojson"),
    "parks": (".txt", ".zip", ".shp", ".gpkg", ".kml", ".kmz", ".geojson"),
    "standard_land": (".txt", ".csv", ".dat", ".zip", ".shp", ".gpkg", ".kml", ".kmz", ".geojson"),
    "progress": (".xlsx", ".xlsm", ".xls", ".ods", ".csv"),
}


NAME_CHARS = 60  # × 3 bytes of UTF-8 + the suffix stays under the usual 255-byte limit


def _uploads() -> Path:
    """Where uploads wait between the report and "apply": one folder per data file, the same
    for every worker process (a report shown by one worker is applied by another)."""
    configured = current_app.config.get("GEOAPP_UPLOADS")
    if configured:
        folder = Path(configured)
    else:
        config = services().config
        data = (config.database_url or str(config.data.resolve())).encode()
        folder = (
            Path(tempfile.gettempdir()) / f"geoapp-uploads-{hashlib.sha1(data).hexdigest()[:12]}"
        )
    folder.mkdir(mode=0o700, parents=True, exist_ok=True)
    return folder


@bp.get("")
def form():
    return _page()


@bp.post("")
def upload():
    """Keep the file under a token and show what importing it would do (nothing written)."""
    kind = request.form.get("kind", "projects")
    if kind not in KINDS:
        raise BadRequest(_("Unknown import kind “%(kind)s”.", kind=kind), param="kind")
    upload = request.files.get("file")
    if upload is None or not upload.filename:
        raise BadRequest(_("Choose a file to import."), param="file")
    suffix = Path(upload.filename).suffix.lower()
    if suffix not in KINDS[kind]:
        raise BadRequest(
            _(
                "“%(name)s” is not a %(types)s file.",
                name=upload.filename,
                types=" / ".join(KINDS[kind]),
            ),
            param="file",
        )
    _expire_uploads()
    token = secrets.token_hex(12)
    folder = _uploads() / token
    folder.mkdir()
    path = folder / "file" / _safe_name(upload.filename, suffix)
    path.parent.mkdir()
    upload.save(path)
    county = request.form.get("county", "").strip()
    if county and county not in services().areas().county_codes():
        raise BadRequest(
            _("Admin code “%(code)s” is not in this data.", code=county), param="county"
        )
    scope = request.form.get("scope", "").strip()
    if scope and not any(
        c.startswith(admin_prefix(scope)) for c in services().areas().county_codes()
    ):
        raise BadRequest(_("Admin code “%(code)s” is not in this data.", code=scope), param="scope")
    coords = request.form.get("coords", "wgs84")
    if coords not in COORDINATE_SYSTEMS:
        raise BadRequest(_("Unknown coordinate system “%(name)s”.", name=coords), param="coords")
    meta = "\n".join([kind, county, coords, scope, Path(upload.filename).name])
    (folder / "kind").write_text(meta, encoding="utf-8")
    given = {
        k[4:]: v.strip() for k, v in request.form.items() if k.startswith("set-") and v.strip()
    }
    (folder / "values.json").write_text(json.dumps(given, ensure_ascii=False), encoding="utf-8")
    return _show(token)


@bp.get("/<token>")
def show(token: str):
    return _show(token)


@bp.post("/<token>/mapping")
def map_columns(token: str):
    """The user's field for each column (``column-<n>``, "" for not used): checked again at
    once; with ``save``, kept for every sheet with this header row."""
    prepared, _name = _prepare(token)
    choices = {}
    for i, column in enumerate(prepared.columns):
        value = request.form.get(f"column-{i}")
        if value is None:
            continue
        if value and value not in _field_choices(prepared):
            raise BadRequest(_("Unknown field “%(name)s”.", name=value), param=f"column-{i}")
        choices[column.header] = value
    (_folder(token) / "mapping.json").write_text(
        json.dumps(choices, ensure_ascii=False), encoding="utf-8"
    )
    if request.form.get("save") == "1":
        save_overrides(services().store, prepared.layout, choices, "import:mapping")
    return _show(token)


@bp.post("/<token>/apply")
def apply_upload(token: str):
    prepared, _name = _prepare(token)
    try:
        apply(
            services().store,
            prepared,
            only_valid=request.form.get("only_valid") == "1",
            retire=request.form.get("retire") == "1",
        )
    except ImportRefused as why:
        if why.reason == "unmapped":
            message = _(
                "Some columns look like fields but are not imported: choose their field above, "
                "or mark them “not used”, then check again."
            )
        else:
            message = _(
                "The file has errors: fix them and upload it again, or import only the valid rows."
            )
        return _show(token, refused=message, status=400)
    except ChangeRefused as refused:
        lines = "; ".join(refused.messages(str(get_locale()))[:10])
        return _show(token, refused=_("Nothing was written: %(why)s", why=lines), status=409)
    shutil.rmtree(_folder(token), ignore_errors=True)
    return _page(prepared=prepared, done=True)


@bp.get("/<token>/report.xlsx")
def report(token: str):
    prepared, name = _prepare(token)
    data = report_xlsx(prepared, str(get_locale()))
    return send_file(
        data,
        as_attachment=True,
        download_name=f"{Path(name).stem}_导入报告.xlsx",
        mimetype="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    )


def _safe_name(filename: str, suffix: str) -> str:
    """The uploaded file's own name (reports name it), without any folder part, cut to a
    length every file system takes (60 characters before the suffix)."""
    name = Path(filename.replace("\\", "/")).name.strip()
    if not name or name.startswith("."):
        return f"upload{suffix}"
    stem = name[: -len(suffix)] if name.lower().endswith(suffix) else name
    return stem[:NAME_CHARS] + suffix


def _folder(token: str) -> Path:
    if not token.isalnum() or len(token) != 24:
        abort(404)
    folder = _uploads() / token
    if not folder.is_dir() or _expired(folder):
        shutil.rmtree(folder, ignore_errors=True)
        abort(404)
    return folder


def _expired(folder: Path) -> bool:
    hours = services().config.upload_hours
    try:
        return time.time() - folder.stat().st_mtime > hours * 3600
    except OSError:
        return True


def _expire_uploads() -> None:
    """Uploads never applied are removed once GEOAPP_UPLOAD_HOURS have passed (checked at
    each new upload, so the folder cannot fill up with abandoned files)."""
    for folder in _uploads().iterdir():
        if folder.is_dir() and _expired(folder):
            shutil.rmtree(folder, ignore_errors=True)


def _prepare(token: str) -> tuple[Prepared, str]:
    folder = _folder(token)
    kind, county, coords, scope, name = (folder / "kind").read_text(encoding="utf-8").split("\n", 4)
    path = next((folder / "file").iterdir())
    svc, locale = services(), str(get_locale())
    if kind == "projects":
        mapping = folder / "mapping.json"
        overrides = json.loads(mapping.read_text(encoding="utf-8")) if mapping.exists() else {}
        prepared = prepare_projects(
            svc.store,
            svc.layers,
            path,
            locale=locale,
            coords=coords,
            scope=scope or None,
            overrides=overrides,
        )
        return prepared, name
    if kind == "progress":
        return prepare_progress(svc.store, svc.layers, path, locale=locale), name
    given = folder / "values.json"
    prepared = prepare_parcels(
        svc.store,
        svc.layers,
        path,
        table=kind,
        county=county or None,
        coords=coords,
        locale=locale,
        values=json.loads(given.read_text(encoding="utf-8")) if given.exists() else {},
    )
    return prepared, name


def _show(token: str, refused: str | None = None, status: int = 200):
    locale = str(get_locale())
    try:
        prepared, name = _prepare(token)
    except FileRefused as error:
        shutil.rmtree(_folder(token), ignore_errors=True)
        return _page(prepared=None, token=None, refused=error.problem.describe(locale)), 400
    return _page(prepared=prepared, token=token, name=name, refused=refused), status


def _field_choices(prepared: Prepared) -> dict[str, str]:
    """Field → how the page names it: the layer's label, else the first accepted header."""
    locale = str(get_locale())
    header_map = load_header_map()
    names = {}
    for name in header_map.fields:
        spec = prepared.layer.fields.get(name)
        names[name] = spec.label(locale) if spec is not None else header_map.fields[name][0]
    return names


PROBLEMS_PER_PAGE = 200  # the report page stays small; the XLSX download has them all


def _page(**values):
    """The import page with what every state of it needs (one page of the problems)."""
    svc = services()
    prepared = values.get("prepared")
    page = whole_number("page", request.args.get("page", "1"), 1, 10**6)
    problems = prepared.problems if prepared is not None else []
    pages = max(1, -(-len(problems) // PROBLEMS_PER_PAGE))
    start = (min(page, pages) - 1) * PROBLEMS_PER_PAGE
    values |= {
        "problems": problems[start : start + PROBLEMS_PER_PAGE],
        "problem_page": min(page, pages),
        "problem_pages": pages,
    }
    return render_template(
        "import.html",
        locale=str(get_locale()),
        kinds=KINDS,
        max_mb=svc.config.max_upload_mb,
        areas=svc.areas(),
        field_names=_field_choices(values["prepared"]) if values.get("prepared") else {},
        standard_land=next((lyr for lyr in svc.layers if lyr.id == "standard_land"), None),
        **{"prepared": None, "token": None, "refused": None} | values,
    )
