"""对比: the investors' comparison of up to four sites, as a page and as an A4 PDF.

``/invest/compare?site=<layer>:<id>&site=…`` (the format the siting search links into) and
``/invest/compare.pdf`` with the same arguments. Public, like the other investors' pages
(``invest``): public layers and fields only. A selection that cannot be compared (malformed,
unknown layer, too many, unknown id) is said on the page itself, in the visitor's language,
with the status it deserves (400, 404); no selection at all is a page asking for one (200).

The other investors' pages carry the selection along in their own ``?site=…`` (the vacancy
list's checkboxes, the parcel page's "add to the comparison"): ``compare_selection`` and
``with_sites`` are template globals for them, so those views need not know of it.
"""

from __future__ import annotations

import io
import re
from collections.abc import Iterable

from flask import Blueprint, render_template, request, send_file, url_for
from flask_babel import get_locale, lazy_gettext
from flask_babel import gettext as _

from geoapp.errors import BadRequest, GeoappError
from geoapp.invest.compare import (
    MAX_COMPARED,
    Comparison,
    Links,
    SiteRef,
    compare_sites,
    parse_selection,
)
from geoapp.invest.mapdata import map_json, park_features, site_features
from geoapp.invest.vacancies import Site
from geoapp.outputs.compare_sheet import CompareContent, compare_sheet
from geoapp.services import services

bp = Blueprint("invest_compare", __name__, url_prefix="/invest")
bp.add_app_template_global(MAX_COMPARED, "max_compared")
PICK = lazy_gettext("Pick 2 to 4 sites to compare: tick them in the list of free land.")
_UNSAFE_IN_NAMES = re.compile(r"[^\w.-]+")


@bp.app_template_global()
def compare_selection() -> list[SiteRef]:
    """The selection the page's URL carries (``?site=…``), what is wrong left out."""
    return parse_selection(request.args.getlist("site"), strict=False)


@bp.app_template_global()
def with_sites(endpoint: str, refs: Iterable[SiteRef], **values) -> str:
    """The URL of ``endpoint`` carrying the selection ``refs`` along."""
    return url_for(endpoint, site=[r.value for r in refs], **values)


@bp.app_template_filter("site_value")
def site_value(site: Site) -> str:
    """A site as the comparison's URL names it: ``parcels:P1-002``."""
    return SiteRef(site.layer.id, site.key).value


@bp.get("/compare")
def compare():
    """The sites side by side: a column each, a row per property, and a map."""
    try:
        comparison = _comparison()
    except GeoappError as error:
        return _page(None, error), error.status
    return _page(comparison, None)


@bp.get("/compare.pdf")
def compare_pdf():
    """The same table and a map on one A4 landscape page, drawn on the server, offline."""
    try:
        comparison = _comparison()
        if not comparison.columns:
            raise BadRequest(PICK, param="site")
    except GeoappError as error:
        return _page(None, error), error.status
    link = with_sites(".compare", comparison.refs, _external=True)
    pdf = compare_sheet(CompareContent(comparison, link), _locale())
    keys = " ".join(_UNSAFE_IN_NAMES.sub("_", c.site.key) for c in comparison.columns)
    return send_file(
        io.BytesIO(pdf),
        mimetype="application/pdf",
        as_attachment=True,
        download_name=_("Comparison %(ids)s.pdf", ids=keys),
    )


def _locale() -> str:
    return str(get_locale())


def _comparison() -> Comparison:
    refs = parse_selection(request.args.getlist("site"))
    links = Links(
        site=lambda site: _site_url(site, refs),
        park=_park_url,
    )
    return compare_sites(services(), refs, _locale(), links)


def _site_url(site: Site, refs: list[SiteRef]) -> str:
    """A site's page, the selection carried along (to add to it or come back)."""
    return with_sites("invest.parcel", refs, layer_id=site.layer.id, parcel_id=site.key)


def _park_url(park_id: str) -> str:
    return url_for("invest.park", park_id=park_id)


def _page(comparison: Comparison | None, error: GeoappError | None):
    columns = comparison.columns if comparison else []
    refs = [c.ref for c in columns]
    map_data = None
    if columns:
        parks = {c.park.park_id: c.park for c in columns if c.park}
        sites = site_features([c.site for c in columns], lambda s: _site_url(s, refs))
        for found, column in zip(sites, columns, strict=True):
            found["properties"]["number"] = column.number
        data = {"parks": park_features(parks.values(), _park_url), "sites": sites, "fit": "sites"}
        map_data = map_json(data)
    return render_template(
        "invest_compare.html",
        comparison=comparison,
        columns=columns,
        refs=refs,
        error=str(error.message) if error else None,  # text, escaped (see handlers)
        pick=PICK,
        map_data=map_data,
        locale=_locale(),
    )
