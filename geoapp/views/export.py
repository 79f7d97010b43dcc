"""Downloads: ``/export/<layer>.<csv|xlsx|geojson|gpkg>?<the map's filter parameters>``.

The same filter model and the same audience as the map page and the API, so a download holds
exactly the features the official sees. Bad parameters are JSON errors naming the parameter.
CSV and GeoJSON are streamed page by page; XLSX and GeoPackage are written to an anonymous
temporary file first (removed as soon as it is open, so nothing is left behind whatever
happens to the request) and then sent from it.
"""

from __future__ import annotations

import os
import re
import shutil
import tempfile
from datetime import date
from pathlib import Path

from flask import Blueprint, Response, request
from flask_babel import get_locale
from flask_babel import gettext as _
from werkzeug.wsgi import wrap_file

from geoapp.errors import BadRequest
from geoapp.export import (
    FORMATS,
    XLSX_MAX_ROWS,
    ExportJob,
    content_disposition,
    csv_chunks,
    file_names,
    geojson_chunks,
    make_job,
    write_gpkg,
    write_xlsx,
)
from geoapp.services import services
from geoapp.views import OFFICIAL_AUDIENCE

bp = Blueprint("export", __name__, url_prefix="/export")
DOWNLOAD_TOKEN = re.compile(r"[0-9a-z]{1,32}")
DOWNLOAD_COOKIE = "geoapp_download"


@bp.get("/<layer_id>.<fmt>")
def export(layer_id: str, fmt: str) -> Response:
    svc = services()
    layer = svc.layer(layer_id, OFFICIAL_AUDIENCE)
    if fmt not in FORMATS:
        raise BadRequest(
            _(
                "Unknown export format “%(format)s”; allowed: %(allowed)s.",
                format=fmt,
                allowed=", ".join(FORMATS),
            ),
            param="format",
        )
    args = request.args.copy()
    token = args.pop("download", None)
    if token is not None and not DOWNLOAD_TOKEN.fullmatch(token):
        raise BadRequest(_("download must be letters and digits."), param="download")
    flt, errors = svc.parse_filter(args, [layer])
    if errors:
        raise errors[0]
    job = make_job(svc.store, layer, flt, OFFICIAL_AUDIENCE, str(get_locale()), svc.areas())
    if fmt == "xlsx":
        count = svc.store.extent(layer.table, flt.query_for(layer)).count
        if count > XLSX_MAX_ROWS:
            raise BadRequest(
                _(
                    "%(count)s rows are more than one spreadsheet holds (%(max)s); "
                    "export CSV instead.",
                    count=count,
                    max=XLSX_MAX_ROWS,
                ),
                param="format",
            )
    name, ascii_name = file_names(job, fmt, date.today())
    headers = {
        "Content-Disposition": content_disposition(name, ascii_name),
        "Cache-Control": "private, no-store",
        "X-Content-Type-Options": "nosniff",
    }
    mimetype = FORMATS[fmt].mimetype
    if fmt == "csv":
        response = Response(csv_chunks(job), mimetype=mimetype, headers=headers)
    elif fmt == "geojson":
        response = Response(geojson_chunks(job), mimetype=mimetype, headers=headers)
    else:
        response = _file_response(job, fmt, mimetype, headers)
    if token:  # the page's notice waits for this cookie: the file has started to arrive
        response.set_cookie(DOWNLOAD_COOKIE, token, max_age=120, samesite="Lax")
    return response


def _file_response(job: ExportJob, fmt: str, mimetype: str, headers: dict[str, str]) -> Response:
    """Write the file in a private temporary folder, open it, remove it, send the open file."""
    folder = Path(tempfile.mkdtemp(prefix="geoapp-export-"))
    try:
        path = folder / f"{job.layer.id}.{fmt}"
        if fmt == "xlsx":
            with open(path, "wb") as target:
                write_xlsx(job, target)
        else:
            write_gpkg(job, path)
        handle = open(path, "rb")  # noqa: SIM115  closed by wrap_file when the response ends
    finally:
        shutil.rmtree(folder, ignore_errors=True)  # the open handle still reads it (POSIX)
    size = os.fstat(handle.fileno()).st_size
    return Response(
        wrap_file(request.environ, handle),
        mimetype=mimetype,
        headers={**headers, "Content-Length": str(size)},
        direct_passthrough=True,
    )
