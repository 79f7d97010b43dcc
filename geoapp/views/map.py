"""项目地图: the officials' map page, filtered by the URL so a view can be shared."""

from __future__ import annotations

from datetime import date
from urllib.parse import urlencode

from flask import Blueprint, render_template, request, url_for
from flask_babel import get_locale
from flask_login import current_user

from geoapp.layers import LayerDef
from geoapp.page_state import parse_page_state, shared_query
from geoapp.points.first_view import first_view
from geoapp.query import MapFilter
from geoapp.render import MapContext, build_map, legend, page_parts
from geoapp.selection import MAX_ROWS, class_counts, result_rows, select
from geoapp.services import services
from geoapp.views import OFFICIAL_AUDIENCE

bp = Blueprint("map", __name__)
MAX_PARK_CHOICES = 300  # beyond this the park list waits for an area, keeping the page small


@bp.get("/")
def index():
    svc = services()
    layers = svc.layers_for(OFFICIAL_AUDIENCE)
    areas = svc.areas_in_scope()
    flt, errors = svc.parse_filter(request.args, layers)
    state, state_errors = parse_page_state(request.args, {lyr.id for lyr in layers})
    selection = select(svc.store, layers, flt, OFFICIAL_AUDIENCE)
    locale = str(get_locale())
    context = MapContext(
        locale=locale,
        audience=OFFICIAL_AUDIENCE,
        config=svc.config,
        asset_url=lambda path: url_for("static", filename=path),
        data_urls=lambda layer: data_urls(layer, flt),
    )
    first_views = {
        view.layer.id: first_view(svc, view.layer, flt, state, OFFICIAL_AUDIENCE)
        for view in selection.views.values()
        if view.mode == "points" and view.layer.cluster
    }
    fmap = build_map(
        selection.views.values(),
        context,
        bounds=selection.bounds,
        state=state,
        area=flt.area(),
        first_views=first_views,
    )
    map_header, map_html, map_script = page_parts(fmap)
    listed = [lyr for lyr in layers if lyr.results]
    page = render_template(
        "map.html",
        map_header=map_header,
        map_html=map_html,
        map_script=map_script,
        layers=layers,
        legends={lyr.id: legend(lyr, locale, class_counts(svc.store, lyr, flt)) for lyr in layers},
        selection=selection,
        results={lyr.id: result_rows(svc.store, lyr, flt) for lyr in listed},
        choices={lyr.id: svc.choices(lyr) for lyr in layers},
        export_args=urlencode(list(flt.to_args().items(multi=True))),
        link_query=shared_query(request.args),
        print_args=list(flt.to_args().items(multi=True)),  # the wall map form's hidden fields
        today=date.today().isoformat(),
        flt=flt,
        state=state,
        areas=areas,
        errors=errors + state_errors,
        locale=locale,
        max_park_choices=MAX_PARK_CHOICES,
        max_rows=MAX_ROWS,
    )
    return page, (400 if errors or state_errors else 200)


def data_urls(layer: LayerDef, flt: MapFilter) -> dict[str, str]:
    """Where the browser fetches a layer's tiles, points and single features (same filter)."""
    query = urlencode(list(flt.for_layer(layer).to_args().items(multi=True)))
    suffix = f"?{query}" if query else ""
    root = request.script_root
    mine = {"history": f"{root}/history/{layer.id}/{{id}}"}  # what the user may open
    if layer.edit and current_user.may("editor"):
        mine["edit"] = f"{root}/edit/{layer.id}/{{id}}"
    return mine | {
        "tiles": f"{root}/tiles/{layer.id}/{{z}}/{{x}}/{{y}}.pbf{suffix}",
        "points": url_for("api.points", layer_id=layer.id) + suffix,
        "clusters": url_for("api.clusters", layer_id=layer.id) + suffix,
        "feature": f"{root}/api/layers/{layer.id}/features/{{id}}",
        "features": url_for("api.features", layer_id=layer.id) + suffix,
        "counts": url_for("api.counts", layer_id=layer.id) + suffix,
    }
