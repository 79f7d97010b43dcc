"""数据导入: upload a project sheet or a parcel file, read the report, then apply it.

The same code as ``geoapp import``. An upload is checked before it is kept — the form's
fields, then the file's type, size, rows and cells (:mod:`geoapp.imports.limits`) — and
prepared once (a dry run that writes nothing); the result is stored beside the file under a
random token (:mod:`geoapp.imports.uploads`), so the report's pages, the XLSX report and
"apply" never read the file again. A refused upload is removed at once.
"""

from __future__ import annotations

import hashlib
import json
import tempfile
from pathlib import Path

from flask import Blueprint, abort, render_template, request, send_file
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_login import current_user

from geoapp.errors import BadRequest, NotFound
from geoapp.imports.limits import UploadRefused, check_upload
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
from geoapp.imports.uploads import TOKEN, Uploads
from geoapp.layers import LayerDef
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
PROBLEMS_PER_PAGE = 200  # the report page stays small; the XLSX download has them all


def _uploads() -> Uploads:
    """Where uploads wait between the report and "apply": ``GEOAPP_UPLOADS``, else one folder
    per data file in the temporary folder, the same for every worker process (a report shown
    by one worker is applied by another). Nothing is created until a file is kept."""
    config = services().config
    if config.uploads:
        return Uploads(Path(config.uploads), config.upload_hours, config.uploads_mb)
    data = (config.database_url or str(config.data.resolve())).encode()
    root = Path(tempfile.gettempdir()) / f"geoapp-uploads-{hashlib.sha1(data).hexdigest()[:12]}"
    return Uploads(root, config.upload_hours, config.uploads_mb, private=True)


@bp.get("")
def form():
    return _page()


@bp.post("")
def upload():
    """Check the file, keep it under a token and show what importing it would do (nothing
    written). Every refusal leaves nothing behind."""
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
    if scope and not current_user.scope.allows(scope):  # its missing projects could be retired
        raise BadRequest(_("“%(code)s” is outside your jurisdiction.", code=scope), param="scope")
    coords = request.form.get("coords", "wgs84")
    if coords not in COORDINATE_SYSTEMS:
        raise BadRequest(_("Unknown coordinate system “%(name)s”.", name=coords), param="coords")
    given = {
        k[4:]: v.strip() for k, v in request.form.items() if k.startswith("set-") and v.strip()
    }
    uploads = _uploads()
    uploads.expire()
    token, folder = uploads.create()
    try:
        path = folder / "file" / _safe_name(upload.filename, suffix)
        path.parent.mkdir()
        upload.save(path)
        check_upload(path, services().config.import_max_rows)
        meta = "\n".join([kind, county, coords, scope, Path(upload.filename).name])
        (folder / "kind").write_text(meta, encoding="utf-8")
        (folder / "owner").write_text(current_user.username, encoding="utf-8")
        (folder / "values.json").write_text(json.dumps(given, ensure_ascii=False), "utf-8")
        _stored(uploads, folder)
    except UploadRefused as refused:
        uploads.remove(folder)
        return _page(refused=refused.message), 400
    except FileRefused as error:
        uploads.remove(folder)
        return _page(refused=error.problem.describe(str(get_locale()))), 400
    except BaseException:
        uploads.remove(folder)
        raise
    uploads.make_room(keep=folder)
    return _show(token)


@bp.get("/<token>")
def show(token: str):
    return _show(token)


@bp.post("/<token>/mapping")
def map_columns(token: str):
    """The user's field for each column (``column-<n>``, "" for not used): checked again at
    once; with ``save``, kept for every sheet with this header row."""
    report, _problems, folder = _report(token)
    choices = {}
    for i, column in enumerate(report.columns):
        value = request.form.get(f"column-{i}")
        if value is None:
            continue
        if value and value not in _field_choices(report.layer):
            raise BadRequest(_("Unknown field “%(name)s”.", name=value), param=f"column-{i}")
        choices[column.header] = value
    (folder / "mapping.json").write_text(json.dumps(choices, ensure_ascii=False), "utf-8")
    if request.form.get("save") == "1":
        save_overrides(services().store, report.layout, choices, "import:mapping")
    _uploads().forget(folder)
    return _show(token)


@bp.post("/<token>/apply")
def apply_upload(token: str):
    prepared, _name, folder = _prepared(token)
    try:
        apply(
            services().store,
            prepared,
            only_valid=request.form.get("only_valid") == "1",
            retire=request.form.get("retire") == "1",
            author=f"{current_user.username} import:{prepared.file}",
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
    _uploads().remove(folder)
    return _page(prepared=prepared, done=True)


@bp.get("/<token>/report.xlsx")
def report(token: str):
    prepared, name, _folder = _prepared(token)
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
    """The folder of a waiting upload; 404 for a malformed token, and one that says so for an
    upload no longer kept."""
    uploads = _uploads()
    if not TOKEN.fullmatch(token):
        abort(404)
    folder = uploads.folder(token)
    if folder is None:
        raise _gone()
    if not _owned(folder):  # another user's upload: as if it did not exist
        abort(404)
    return folder


def _owned(folder: Path) -> bool:
    """Uploads are seen and applied by who sent them (and admins)."""
    try:
        owner = (folder / "owner").read_text(encoding="utf-8")
    except OSError:
        raise _gone() from None
    return owner == current_user.username or current_user.may("admin")


def _gone() -> NotFound:
    return NotFound(
        _(
            "This upload is no longer kept (uploads wait %(hours)s hours, fewer when many "
            "arrive): upload the file again.",
            hours=services().config.upload_hours,
        )
    )


def _name(folder: Path) -> str:
    try:
        return (folder / "kind").read_text(encoding="utf-8").split("\n", 4)[4]
    except OSError:  # removed by another process meanwhile (expired, or to make room)
        raise _gone() from None


def _stored(uploads: Uploads, folder: Path) -> None:
    """Prepare the upload in the user's language and mapping, and store the result: the one
    time the file is read. FileRefused if it cannot be imported (the upload is removed)."""
    key = uploads.key(folder, str(get_locale()))
    try:
        uploads.store(folder, key, _prepare(folder), PROBLEMS_PER_PAGE)
    except FileRefused:
        uploads.remove(folder)
        raise
    except FileNotFoundError:  # removed by another process meanwhile
        uploads.remove(folder)
        raise _gone() from None


def _report(token: str, page: int = 1):
    """(report, problems of ``page``, folder) of a waiting upload, prepared now only if no
    stored report fits (another language or mapping); a file refused then is removed."""
    uploads, folder = _uploads(), _folder(token)
    key = uploads.key(folder, str(get_locale()))
    found = uploads.page(folder, key, page)
    if found is None:
        _stored(uploads, folder)
        found = uploads.page(folder, key, page)
        if found is None:  # removed by another process meanwhile
            raise _gone()
    return found[0], found[1], folder


def _prepared(token: str) -> tuple[Prepared, str, Path]:
    """The whole prepared upload, for "apply" and the XLSX report (stored, or made once)."""
    uploads, folder = _uploads(), _folder(token)
    key = uploads.key(folder, str(get_locale()))
    prepared = uploads.prepared(folder, key)
    if prepared is None:
        try:
            _stored(uploads, folder)
        except FileRefused as error:
            raise BadRequest(error.problem.describe(str(get_locale()))) from None
        prepared = uploads.prepared(folder, key)
        if prepared is None:  # removed by another process meanwhile
            raise _gone()
    return prepared, _name(folder), folder


def _prepare(folder: Path) -> Prepared:
    """The dry run of the upload in ``folder`` (reads the file)."""
    kind, county, coords, scope, _name = (
        (folder / "kind").read_text(encoding="utf-8").split("\n", 4)
    )
    path = next((folder / "file").iterdir(), None)
    if path is None:  # taken away behind the app's back: as good as expired
        raise FileNotFoundError(folder / "file")
    svc, locale = services(), str(get_locale())
    if kind == "projects":
        mapping = folder / "mapping.json"
        overrides = json.loads(mapping.read_text(encoding="utf-8")) if mapping.exists() else {}
        return prepare_projects(
            svc.store,
            svc.layers,
            path,
            locale=locale,
            coords=coords,
            scope=scope or None,
            overrides=overrides,
            jurisdiction=current_user.scope,
            rules=svc.warning_rules,
        )
    if kind == "progress":
        return prepare_progress(
            svc.store,
            svc.layers,
            path,
            locale=locale,
            jurisdiction=current_user.scope,
            rules=svc.warning_rules,
        )
    given = folder / "values.json"
    return prepare_parcels(
        svc.store,
        svc.layers,
        path,
        table=kind,
        county=county or None,
        coords=coords,
        locale=locale,
        values=json.loads(given.read_text(encoding="utf-8")) if given.exists() else {},
        jurisdiction=current_user.scope,
    )


def _show(token: str, refused: str | None = None, status: int = 200):
    page = whole_number("page", request.args.get("page", "1"), 1, 10**6)
    try:
        report, problems, folder = _report(token, page)
    except FileRefused as error:
        return _page(refused=error.problem.describe(str(get_locale()))), 400
    pages = max(1, len(report.pages))
    values = {
        "report": report,
        "problems": problems,
        "problem_page": min(page, pages),
        "problem_pages": pages,
        "token": token,
        "name": _name(folder),
        "refused": refused,
    }
    return _page(**values), status


def _field_choices(layer: LayerDef) -> dict[str, str]:
    """Field → how the page names it: the layer's label, else the first accepted header."""
    locale = str(get_locale())
    header_map = load_header_map()
    names = {}
    for name in header_map.fields:
        spec = layer.fields.get(name)
        names[name] = spec.label(locale) if spec is not None else header_map.fields[name][0]
    return names


def _page(**values):
    """The import page with what every state of it needs: the form, a report (one page of its
    problems), or what an apply did (``prepared``, ``done``)."""
    svc = services()
    report = values.get("report")
    return render_template(
        "import.html",
        locale=str(get_locale()),
        kinds=KINDS,
        max_mb=svc.config.max_upload_mb,
        areas=svc.areas(),
        field_names=_field_choices(report.layer) if report is not None else {},
        standard_land=next((lyr for lyr in svc.layers if lyr.id == "standard_land"), None),
        **{"report": None, "prepared": None, "token": None, "refused": None} | values,
    )
