"""Downloads: ``/export/<layer>.<csv|xlsx|geojson|gpkg>?<the map's filter parameters>``.

The same filter model and the same audience as the map page and the API, so a download holds
exactly the features the official sees. Bad parameters are JSON errors naming the parameter.
CSV and GeoJSON are streamed page by page; XLSX and GeoPackage are written to an anonymous
temporary file first (removed as soon as it is open, so nothing is left behind whatever
happens to the request) and then sent from it.
"""

from __future__ import annotations

import os
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
from geoapp.query import parse_filter
from geoapp.services import services
from geoapp.views import OFFICIAL_AUDIENCE

bp = Blueprint("export", __name__, url_prefix="/export")


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
    areas = svc.areas()
    flt, errors = parse_filter(request.args, [layer], areas.county_codes(), areas.park_ids())
    if errors:
        raise errors[0]
    job = make_job(svc.store, layer, flt, OFFICIAL_AUDIENCE, str(get_locale()), areas)
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
        return Response(csv_chunks(job), mimetype=mimetype, headers=headers)
    if fmt == "geojson":
        return Response(geojson_chunks(job), mimetype=mimetype, headers=headers)
    return _file_response(job, fmt, mimetype, headers)


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
