"""OGC API Features at ``/ogc`` (officials) and ``/public/ogc`` (public layers and fields).

Items take the map's filters as query parameters (``status=construction``, ``county=…``,
ranges, ``q``), plus the OGC ones: ``bbox``, ``limit``/``offset`` (with next links),
``datetime``, ``filter`` (CQL2-text, or CQL2-JSON with ``filter-lang=cql2-json``),
``properties`` and ``sortby``. JSON by default, HTML with ``f=html`` or a browser's Accept
header.
"""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import UTC, date, datetime
from urllib.parse import urlencode

import geopandas as gpd
import pandas as pd
from flask import Blueprint, Response, g, jsonify, make_response, render_template, request
from flask_babel import get_locale
from flask_babel import gettext as _
from werkzeug.datastructures import MultiDict

from geoapp import cql2, ogc_html
from geoapp.errors import BadRequest, NotFound
from geoapp.layers import LayerDef
from geoapp.ogc import (
    CONFORMANCE,
    CRS84,
    SUPPORTED_CRS,
    CqlFilter,
    bbox_in_crs84,
    collection_doc,
    feature_schema_doc,
    in_crs,
    landing_doc,
    openapi_doc,
    queryables,
    queryables_doc,
    temporal_property,
)
from geoapp.query import whole_number
from geoapp.render import clean_for_map
from geoapp.services import services
from geoapp.stores.base import Query

OGC_PARAMS = (
    "limit",
    "offset",
    "datetime",
    "filter",
    "filter-lang",
    "filter-crs",
    "properties",
    "sortby",
    "f",
    "crs",
    "bbox-crs",
)
DEFAULT_LIMIT, MAX_LIMIT = 10, 10_000
MAX_BODY = 256 * 1024  # a POSTed filter: 1,000 vertices of WKT are about 25 KB
GEOJSON = "application/geo+json"


def make_blueprint(name: str, prefix: str, audience: str) -> Blueprint:
    """The same API for one audience under one URL prefix."""
    bp = Blueprint(name, __name__, url_prefix=prefix)

    def base() -> str:
        return request.host_url.rstrip("/") + request.script_root + prefix

    @bp.before_request
    def known_parameters_only():
        """One rule for every resource: a parameter it does not take is a 400 naming it
        (``/items`` checks its own, which include the map's filters)."""
        if request.endpoint and request.endpoint.endswith(".items"):
            return
        allowed = {"f", "lang"} | ({"crs"} if request.endpoint.endswith(".item") else set())
        unknown = sorted(set(_params()) - allowed)
        if unknown:
            raise BadRequest(_("Unknown parameter “%(name)s”.", name=unknown[0]), param=unknown[0])

    @bp.get("")
    @bp.get("/")
    def landing():
        return _respond(landing_doc(_("Key projects and parks"), base()), "landing")

    @bp.get("/conformance")
    def conformance():
        return _respond({"conformsTo": CONFORMANCE}, "conformance")

    @bp.get("/api")
    def api():
        layers = services().layers_for(audience)
        doc = openapi_doc(layers, audience, _("Key projects and parks"), base())
        if _wants_html():
            return _respond(doc, "api")
        return Response(_dumps(doc), mimetype="application/vnd.oai.openapi+json;version=3.0")

    @bp.get("/collections")
    def collections():
        svc, locale = services(), str(get_locale())
        docs = [
            collection_doc(
                lyr, svc.store.extent(lyr.table, svc.scoped(lyr, Query(), audience)), locale, base()
            )
            for lyr in svc.layers_for(audience)
        ]
        return _respond(
            {
                "collections": docs,
                "links": [
                    {"rel": "self", "type": "application/json", "href": f"{base()}/collections"}
                ],
            },
            "collections",
        )

    @bp.get("/collections/<collection_id>")
    def collection(collection_id: str):
        svc = services()
        layer = svc.layer(collection_id, audience)
        return _respond(
            collection_doc(
                layer,
                svc.store.extent(layer.table, svc.scoped(layer, Query(), audience)),
                str(get_locale()),
                base(),
            ),
            "collection",
        )

    @bp.get("/collections/<collection_id>/queryables")
    def collection_queryables(collection_id: str):
        return _schema(collection_id, "queryables")

    @bp.get("/collections/<collection_id>/sortables")
    def collection_sortables(collection_id: str):
        return _schema(collection_id, "sortables")

    @bp.get("/collections/<collection_id>/schema")
    def collection_schema(collection_id: str):
        layer = services().layer(collection_id, audience)
        url = f"{base()}/collections/{layer.id}/schema"
        doc = feature_schema_doc(layer, audience, str(get_locale()), url)
        return Response(_dumps(doc), mimetype="application/schema+json")

    def _schema(collection_id: str, kind: str):
        """Queryables (Part 3) or sortables (Part 5: every visible field, no geometry)."""
        layer = services().layer(collection_id, audience)
        url = f"{base()}/collections/{layer.id}/{kind}"
        doc = queryables_doc(layer, audience, str(get_locale()), url, kind == "queryables")
        if _wants_html():
            return _respond(doc, "queryables", layer=layer)
        return Response(_dumps(doc), mimetype="application/schema+json")

    @bp.route("/collections/<collection_id>/items", methods=["GET", "POST"])
    def items(collection_id: str):
        layer = services().layer(collection_id, audience)
        return _items(layer, audience, f"{base()}/collections/{layer.id}")

    @bp.get("/collections/<collection_id>/items/<feature_id>")
    def item(collection_id: str, feature_id: str):
        layer = services().layer(collection_id, audience)
        if not (feature_id.isascii() and feature_id.isdigit()):
            raise NotFound(
                _("Feature %(id)s not found in “%(layer)s”.", id=feature_id, layer=layer.id),
                param="featureId",
            )
        fields = layer.visible_fields(audience)
        query = Query(ids=frozenset([int(feature_id)]), columns=tuple(fields))
        found = services().store.read(layer.table, services().scoped(layer, query, audience))
        if found.empty:
            raise NotFound(
                _("Feature %(id)s not found in “%(layer)s”.", id=feature_id, layer=layer.id),
                param="featureId",
            )
        crs = _crs("crs")
        feature = _features(in_crs(found, crs), fields)[0]
        self_url = f"{base()}/collections/{layer.id}/items/{feature_id}"
        feature["links"] = [
            {"rel": "self", "type": GEOJSON, "href": self_url},
            {"rel": "alternate", "type": "text/html", "href": f"{self_url}?f=html"},
            {
                "rel": "collection",
                "type": "application/json",
                "href": f"{base()}/collections/{layer.id}",
            },
        ]
        return _with_crs(_respond(feature, "item", GEOJSON, layer), crs)

    return bp


def _items(layer: LayerDef, audience: str, collection_url: str) -> Response:
    svc = services()
    args = _params()
    crs = _crs("crs")
    fields = _selected_properties(layer, audience, args.get("properties"))
    query = replace(_items_query(layer, audience), columns=tuple(fields))
    limit = whole_number("limit", args.get("limit", str(DEFAULT_LIMIT)), 1, MAX_LIMIT)
    offset = whole_number("offset", args.get("offset", "0"), 0, 10**9)
    order = _sortby(layer, audience, args.get("sortby"))
    store = svc.store
    matched = store.extent(layer.table, query).count
    if order:
        rows = store.read(
            layer.table,
            replace(
                query, columns=tuple(dict.fromkeys([*fields, *(name for name, _asc in order)]))
            ),
        )
        rows = rows.sort_values(
            [n for n, _a in order],
            ascending=[a for _n, a in order],
            kind="stable",
            na_position="last",
        )
        rows = rows.iloc[offset : offset + limit][[*fields, rows.geometry.name]]
    else:
        rows = store.read(layer.table, replace(query, offset=offset, limit=limit))
    body = {
        "type": "FeatureCollection",
        "features": _features(in_crs(rows, crs), fields),
        "numberMatched": matched,
        "numberReturned": len(rows),
        "timeStamp": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "links": _page_links(collection_url, args, offset, limit, matched),
    }
    return _with_crs(_respond(body, "items", GEOJSON, layer), crs)


def _params() -> MultiDict:
    """The request's parameters: its query string, and for a POST to items its body too: a
    form with the same parameters, or a CQL2-JSON filter (``application/json`` or
    ``application/query-cql-json``). A filter or area too large for a URL goes by POST."""
    if "ogc_params" in g:
        return g.ogc_params
    params = MultiDict(request.args)
    if request.method == "POST":
        if (request.content_length or 0) > MAX_BODY:
            raise BadRequest(
                _("The request body is larger than %(n)s KB.", n=MAX_BODY // 1024), param="body"
            )
        if request.mimetype in ("application/json", "application/query-cql-json"):
            params.setlist("filter", [request.get_data(as_text=True)])
            params.setlist("filter-lang", ["cql2-json"])
        else:
            for name, value in request.form.items(multi=True):
                params.add(name, value)
    g.ogc_params = params
    return params


def _crs(param: str) -> str:
    """The CRS a client names in ``param`` (CRS84 when none); 400 for one we do not serve."""
    chosen = _params().get(param, CRS84)
    if chosen not in SUPPORTED_CRS:
        raise BadRequest(
            _("%(param)s must be one of %(crs)s.", param=param, crs=", ".join(SUPPORTED_CRS)),
            param=param,
        )
    return chosen


def _with_crs(answer: Response | str, crs: str) -> Response:
    response = make_response(answer)
    response.headers["Content-Crs"] = f"<{crs}>"
    return response


def _items_query(layer: LayerDef, audience: str) -> Query:
    """The map's filter model, a datetime interval and a CQL2 filter, all on one query."""
    svc = services()
    args = MultiDict(_params())
    for name in OGC_PARAMS:
        args.poplist(name)
    equal = _queryable_parameters(layer, audience, args)
    bbox_crs = _crs("bbox-crs")  # a bad value is a 400 even without a bbox
    if "bbox" in args and bbox_crs != CRS84:
        args["bbox"] = ",".join(str(v) for v in bbox_in_crs84(_numbers(args["bbox"]), bbox_crs))
    flt, errors = svc.parse_filter(args, [layer], audience)
    if errors:
        raise errors[0]
    query = flt.query_for(layer)
    ranges = _datetime_range(layer, _params().getlist("datetime"), dict(query.ranges))
    where = _cql_filter(layer, audience)
    if equal is not None:
        where = equal if where is None else _both(where, equal)
    return replace(query, ranges=ranges, where=where)


def _queryable_parameters(layer: LayerDef, audience: str, args: MultiDict) -> CqlFilter | None:
    """``?name=…`` for a queryable the map's filters do not take already: an equality test
    (Part 3, queryables as query parameters), taken out of ``args``."""
    known = queryables(layer, audience)
    taken = {*layer.filters, "county_code", "park_id", "geometry"}
    tests = []
    for name in [n for n in args if n in known and n not in taken]:
        values = args.poplist(name)
        if len(values) != 1:
            raise BadRequest(
                _("Parameter “%(name)s” is given more than once.", name=name), param=name
            )
        try:
            test = cql2.equality(name, values[0], known[name])
            CqlFilter("parameters", name, test, tuple(known.items())).mask(
                _probe_frame(layer, known)
            )
        except cql2.CQL2Error as error:
            raise BadRequest(
                _("“%(value)s” does not fit %(name)s.", value=values[0][:40], name=name),
                param=name,
            ) from error
        tests.append(test)
    if not tests:
        return None
    node = tests[0] if len(tests) == 1 else cql2.both(tests)
    text = "&".join(f"{t.prop.name}={t.value.value}" for t in tests)
    return CqlFilter("parameters", text, node, tuple(sorted(known.items())))


def _numbers(text: str) -> list[float]:
    try:
        values = [float(v) for v in text.split(",")]
    except ValueError:
        values = []
    if len(values) != 4:
        raise BadRequest(_("bbox must be four numbers: minx,miny,maxx,maxy."), param="bbox")
    return values


def _both(first: CqlFilter, second: CqlFilter) -> CqlFilter:
    return CqlFilter(
        first.language,
        f"({first.text}) AND ({second.text})",
        cql2.both([first.node, second.node]),
        first.queryables,
    )


def _cql_filter(layer: LayerDef, audience: str) -> CqlFilter | None:
    language = _filter_language()  # a bad filter-lang or filter-crs is a 400 even alone
    text = _params().get("filter")
    if text is None:
        return None
    known = queryables(layer, audience)
    try:
        node = cql2.parse(text, language)
        unknown = sorted(cql2.properties(node) - set(known))
        if unknown:
            raise BadRequest(
                _(
                    "Unknown property “%(name)s” in filter; queryables: %(known)s.",
                    name=unknown[0],
                    known=", ".join(sorted(known)),
                ),
                param="filter",
            )
        cql = CqlFilter(language, text, node, tuple(sorted(known.items())))
        cql.mask(_probe_frame(layer, known))  # type errors show now, not on the data
    except cql2.CQL2Error as error:
        raise BadRequest(
            _("Malformed filter, %(problem)s.", problem=str(error)), param="filter"
        ) from None
    return cql


def _filter_language() -> str:
    """``filter-lang`` (CQL2-text by default), after checking ``filter-crs``: geometries in a
    filter are CRS84 longitude/latitude, the only CRS the collections offer."""
    if _params().get("filter-crs", CRS84) != CRS84:
        raise BadRequest(_("filter-crs must be %(crs)s.", crs=CRS84), param="filter-crs")
    language = _params().get("filter-lang", "cql2-text")
    if language not in cql2.LANGUAGES:
        raise BadRequest(_("filter-lang must be cql2-text or cql2-json."), param="filter-lang")
    return language


def _probe_frame(layer: LayerDef, known: dict[str, str]):
    """An empty frame with the queryables' types, to type-check a filter before running it."""
    dtypes = {"string": "string", "number": "float64", "date": "datetime64[ms]"}
    columns = {
        name: pd.Series([], dtype=dtypes[kind]) for name, kind in known.items() if kind in dtypes
    }
    return gpd.GeoDataFrame(columns, geometry=gpd.GeoSeries([], crs=4326))


def _datetime_range(layer: LayerDef, given: list[str], ranges: dict) -> dict:
    """``ranges`` narrowed by ``datetime=2026-03-01`` or an interval ``a/b`` (``..`` open) on
    the layer's temporal property, the one its queryables mark ``primary-instant``. Every
    condition holds: a map range on that field, and each ``datetime`` given (GDAL sends one per
    date comparison of a ``-where``)."""
    if not given:
        return ranges
    field = temporal_property(layer)
    if field is None:
        raise BadRequest(_("Collection “%(layer)s” has no time.", layer=layer.id), param="datetime")
    lows, highs = [ranges.get(field, (None, None))[0]], [ranges.get(field, (None, None))[1]]
    for raw in given:
        parts = raw.split("/")
        if len(parts) > 2:
            raise BadRequest(_("datetime must be an instant or an interval a/b."), param="datetime")
        bounds = [_instant(p) for p in parts]
        low, high = (bounds[0], bounds[0]) if len(bounds) == 1 else bounds
        if low is None and high is None:
            raise BadRequest(_("datetime must be an instant or an interval a/b."), param="datetime")
        lows.append(low)
        highs.append(high)
    low = max((b for b in lows if b is not None), default=None)
    high = min((b for b in highs if b is not None), default=None)
    return ranges | {field: (low, high)}


def _instant(text: str) -> str | None:
    if text in ("", ".."):
        return None
    try:
        return date.fromisoformat(text[:10]).isoformat()
    except ValueError:
        raise BadRequest(
            _("datetime “%(value)s” is not a date like 2026-03-01.", value=text), param="datetime"
        ) from None


def _selected_properties(layer: LayerDef, audience: str, raw: str | None) -> list[str]:
    visible = layer.visible_fields(audience)
    if not raw:
        return visible
    chosen = [p.strip() for p in raw.split(",") if p.strip()]
    if len(chosen) != len(set(chosen)):
        twice = next(n for n in chosen if chosen.count(n) > 1)
        raise BadRequest(
            _("Property “%(name)s” is named more than once.", name=twice), param="properties"
        )
    for name in chosen:
        if name not in visible:
            raise BadRequest(_("Unknown property “%(name)s”.", name=name), param="properties")
    return chosen


def _sortby(layer: LayerDef, audience: str, raw: str | None) -> list[tuple[str, bool]]:
    if not raw:
        return []
    order = []
    for part in raw.split(","):
        part = part.strip()
        ascending = not part.startswith("-")
        name = part.lstrip("+- ")
        if name not in layer.visible_fields(audience):
            raise BadRequest(_("Cannot sort by “%(name)s”.", name=name), param="sortby")
        order.append((name, ascending))
    return order


def _page_links(url: str, args: MultiDict, offset: int, limit: int, matched: int) -> list[dict]:
    def link(rel: str, start: int) -> dict:
        query = MultiDict(args)
        query.setlist("offset", [str(start)])
        query.setlist("limit", [str(limit)])
        if request.method == "POST":  # the next page of a POSTed search is POSTed too
            body = dict(query.items(multi=False))
            return {
                "rel": rel,
                "type": GEOJSON,
                "href": f"{url}/items",
                "method": "POST",
                "body": body,
            }
        href = f"{url}/items?{urlencode(list(query.items(multi=True)))}"
        return {"rel": rel, "type": GEOJSON, "href": href}

    links = [link("self", offset)]
    if request.method == "GET":
        alternate = link("alternate", offset)
        links.append(alternate | {"type": "text/html", "href": alternate["href"] + "&f=html"})
    if offset + limit < matched:
        links.append(link("next", offset + limit))
    if offset > 0:
        links.append(link("prev", max(0, offset - limit)))
    return links


def _features(frame, fields: list[str]) -> list[dict]:
    features = clean_for_map(frame, fields, gcj02=False, decimals=None)["features"]
    for feature, fid in zip(features, frame.index, strict=True):
        feature["id"] = int(fid)
    return features


def _wants_html() -> bool:
    chosen = _params().get("f")
    if chosen:
        if chosen not in ("json", "html"):
            raise BadRequest(_("f must be json or html."), param="f")
        return chosen == "html"
    best = request.accept_mimetypes.best_match(["application/json", GEOJSON, "text/html"])
    return best == "text/html"


def _respond(
    doc: dict, kind: str, mimetype: str = "application/json", layer: LayerDef | None = None
):
    if _wants_html():
        locale = str(get_locale())
        return render_template(
            "ogc.html",
            doc=doc,
            kind=kind,
            locale=locale,
            view=ogc_html.view(kind, layer, doc, locale),
            link_label=ogc_html.link_label,
        )
    response = jsonify(doc)
    response.mimetype = mimetype
    return response


def _dumps(doc: dict) -> str:
    return json.dumps(doc, ensure_ascii=False)
