"""OGC API Features documents built from the layer declarations (no routes here).

Collections are the layers an audience may see; their queryables are the fields it may see.
``views/ogc.py`` serves these documents; the OpenAPI description comes from the same source,
so the API, its documentation and the map can never disagree.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import geopandas as gpd
import numpy as np
import shapely
from pyproj import Transformer

from geoapp import cql2
from geoapp.cql2.sql import to_sql
from geoapp.layers import LayerDef
from geoapp.stores.base import Extent

CONFORMANCE = [
    "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/core",
    "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/geojson",
    "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/html",
    "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/oas30",
    "http://www.opengis.net/spec/ogcapi-features-3/1.0/conf/filter",
    "http://www.opengis.net/spec/ogcapi-features-3/1.0/conf/features-filter",
    "http://www.opengis.net/spec/ogcapi-features-3/1.0/conf/queryables",
    "http://www.opengis.net/spec/ogcapi-features-3/1.0/conf/queryables-query-parameters",
    "http://www.opengis.net/spec/cql2/1.0/conf/cql2-text",
    "http://www.opengis.net/spec/cql2/1.0/conf/cql2-json",
    "http://www.opengis.net/spec/cql2/1.0/conf/basic-cql2",
    "http://www.opengis.net/spec/cql2/1.0/conf/advanced-comparison-operators",
    "http://www.opengis.net/spec/cql2/1.0/conf/basic-spatial-functions",
    "http://www.opengis.net/spec/ogcapi-features-5/1.0/conf/sortables",
    "http://www.opengis.net/spec/ogcapi-features-2/1.0/conf/crs",
]
CRS84 = "http://www.opengis.net/def/crs/OGC/1.3/CRS84"
EPSG_4326 = "http://www.opengis.net/def/crs/EPSG/0/4326"  # latitude first, as EPSG defines it
EPSG_3857 = "http://www.opengis.net/def/crs/EPSG/0/3857"  # Web Mercator metres
SUPPORTED_CRS = (CRS84, EPSG_4326, EPSG_3857)  # Part 2: what crs and bbox-crs accept
QUERYABLE_TYPES = {"text": "string", "enum": "string", "number": "number", "date": "date"}


@dataclass(frozen=True)
class CqlFilter:
    """A parsed CQL2 filter (text or JSON): evaluated in memory against a table's rows, or
    translated to an SQL condition for a database that answers the query itself."""

    language: str  # "cql2-text" or "cql2-json"
    text: str
    node: Any
    queryables: tuple[tuple[str, str], ...]

    def key(self) -> str:
        return f"{self.language}:{self.text}"

    def mask(self, frame: gpd.GeoDataFrame) -> np.ndarray:
        return cql2.to_mask(self.node, frame, dict(self.queryables))

    def sql(self, column: Callable[[str], str | None], geometry: str) -> tuple[str, list]:
        return to_sql(self.node, dict(self.queryables), column, geometry)


def in_crs(frame: gpd.GeoDataFrame, crs: str) -> gpd.GeoDataFrame:
    """Stored longitude/latitude as the client asked: CRS84 as is, EPSG:4326 with latitude
    first, EPSG:3857 in metres."""
    if crs == EPSG_3857:  # unlabelled: the GeoJSON writer must not take it back to degrees
        return frame.to_crs(3857).set_crs(None, allow_override=True)
    if crs == EPSG_4326:
        swapped = shapely.transform(frame.geometry.values, lambda xy: xy[:, ::-1])
        return frame.set_geometry(gpd.GeoSeries(swapped, index=frame.index))
    return frame


def bbox_in_crs84(bbox: list[float], crs: str) -> list[float]:
    """A bbox given in ``crs`` (corners in its axis order) as CRS84 longitude/latitude."""
    if crs == EPSG_4326:
        return [bbox[1], bbox[0], bbox[3], bbox[2]]
    if crs == EPSG_3857:
        west, south = _FROM_3857.transform(bbox[0], bbox[1])
        east, north = _FROM_3857.transform(bbox[2], bbox[3])
        return [west, south, east, north]
    return bbox


_FROM_3857 = Transformer.from_crs(3857, 4326, always_xy=True)


def queryables(layer: LayerDef, audience: str) -> dict[str, str]:
    """Property → CQL2 type, for the fields the audience may see, plus the geometry."""
    types = {
        name: QUERYABLE_TYPES[layer.fields[name].type] for name in layer.visible_fields(audience)
    }
    return types | {"geometry": "geometry"}


def temporal_property(layer: LayerDef) -> str | None:
    """The date field that ``datetime`` filters: the first date among the layer's ranges
    (``planned_start`` for projects), or None for a layer without time."""
    return next((n for n in layer.ranges if layer.fields[n].type == "date"), None)


def queryables_doc(
    layer: LayerDef, audience: str, locale: str, url: str, geometry: bool = True
) -> dict:
    """The JSON Schema of a collection's queryables (OGC API Features Part 3); without the
    geometry, of its sortables (Part 5: every visible field sorts)."""
    json_types = {
        "string": {"type": "string"},
        "number": {"type": "number"},
        "date": {"type": "string", "format": "date"},
        "geometry": {"$ref": "https://geojson.org/schema/Geometry.json"},
    }
    properties = {}
    for name, kind in queryables(layer, audience).items():
        if kind == "geometry" and not geometry:
            continue
        entry = dict(json_types[kind])
        if name in layer.fields:
            entry["title"] = layer.fields[name].label(locale)
            if layer.fields[name].type == "enum":
                entry["enum"] = [v.key for v in layer.fields[name].values]
        if name == temporal_property(layer):
            entry["x-ogc-role"] = "primary-instant"  # Part 5: what `datetime` filters
        properties[name] = entry
    return {
        "$schema": "https://json-schema.org/draft/2019-09/schema",
        "$id": url,
        "type": "object",
        "title": layer.title(locale),
        "properties": properties,
    }


def feature_schema_doc(layer: LayerDef, audience: str, locale: str, url: str) -> dict:
    """The JSON Schema of one feature as ``items`` returns it (the ``describedby`` link): a
    GeoJSON Feature whose properties have their types. GIS clients read it for their field
    types: GDAL, without it, guesses from the first page and takes a number field empty on
    every row there (a parcel's floor area, 0 where there is no building) for text."""
    fields = queryables_doc(layer, audience, locale, url, geometry=False)["properties"]
    return {
        "$schema": "https://json-schema.org/draft/2019-09/schema",
        "$id": url,
        "title": layer.title(locale),
        "type": "object",
        "required": ["type", "geometry", "properties"],
        "properties": {
            "type": {"type": "string", "enum": ["Feature"]},
            "id": {"type": "integer"},
            "geometry": {"$ref": "https://geojson.org/schema/Geometry.json"},
            "properties": {"type": "object", "properties": fields},
        },
    }


def collection_doc(layer: LayerDef, extent: Extent, locale: str, base: str) -> dict:
    url = f"{base}/collections/{layer.id}"
    doc: dict[str, Any] = {
        "id": layer.id,
        "title": layer.title(locale),
        "itemType": "feature",
        "crs": list(SUPPORTED_CRS),
        "storageCrs": CRS84,
        "links": [
            {"rel": "self", "type": "application/json", "href": url},
            {"rel": "items", "type": "application/geo+json", "href": f"{url}/items"},
            {
                "rel": "http://www.opengis.net/def/rel/ogc/1.0/queryables",
                "type": "application/schema+json",
                "href": f"{url}/queryables",
            },
            # relation types compare without case (RFC 8288); GDAL looks for this spelling
            {"rel": "describedBy", "type": "application/schema+json", "href": f"{url}/schema"},
        ],
    }
    if extent.bbox is not None:
        doc["extent"] = {"spatial": {"bbox": [list(extent.bbox)], "crs": CRS84}}
    return doc


def landing_doc(title: str, base: str) -> dict:
    return {
        "title": title,
        "description": "geoapp OGC API Features",
        "links": [
            {"rel": "self", "type": "application/json", "href": f"{base}"},
            {
                "rel": "service-desc",
                "type": "application/vnd.oai.openapi+json;version=3.0",
                "href": f"{base}/api",
            },
            {"rel": "conformance", "type": "application/json", "href": f"{base}/conformance"},
            {"rel": "data", "type": "application/json", "href": f"{base}/collections"},
        ],
    }


def openapi_doc(layers: list[LayerDef], audience: str, title: str, base: str) -> dict:
    """OpenAPI 3.0 of every resource, every parameter the server takes (the map's filters and
    the queryables included) and the shape of each answer, so that a schema-checking client
    or fuzzer can check what it gets."""
    crs = param("crs", "query", {"type": "string", "enum": list(SUPPORTED_CRS)})
    common = [
        param(
            "bbox",
            "query",
            {"type": "array", "items": {"type": "number"}, "minItems": 4, "maxItems": 4},
            style="form",
            explode=False,
            **BLANK,
        ),
        param("bbox-crs", "query", {"type": "string", "enum": list(SUPPORTED_CRS)}),
        crs,
        param("limit", "query", {"type": "integer", "minimum": 1, "maximum": 10000, "default": 10}),
        param("offset", "query", {"type": "integer", "minimum": 0, "default": 0}),
        param("datetime", "query", {"type": "string"}),
        param("filter", "query", {"type": "string"}),
        param("filter-lang", "query", {"type": "string", "enum": ["cql2-text", "cql2-json"]}),
        param("filter-crs", "query", {"type": "string", "enum": [CRS84]}),
        param("properties", "query", {"type": "string"}, **BLANK),
        param("sortby", "query", {"type": "string"}, **BLANK),
        param("f", "query", {"type": "string", "enum": ["json", "html"]}, **BLANK),
        *area_params(),
    ]
    paths: dict[str, Any] = {
        "/": _get("Landing page"),
        "/conformance": _get("Conformance classes"),
        "/collections": _get("Collections"),
        "/api": _get("This OpenAPI document"),
    }
    for layer in layers:
        prefix = f"/collections/{layer.id}"
        paths[prefix] = _get(f"Collection {layer.id}")
        paths[f"{prefix}/queryables"] = _get(f"Queryables of {layer.id}")
        paths[f"{prefix}/sortables"] = _get(f"Sortables of {layer.id}")
        paths[f"{prefix}/schema"] = _get(f"JSON Schema of a feature of {layer.id}")
        items = _get(f"Features of {layer.id}", common + layer_params(layer, audience))
        items["get"]["responses"]["200"] = json_body(FEATURE_COLLECTION, GEOJSON_TYPE)
        items["get"]["responses"]["200"]["content"]["text/html"] = {"schema": {"type": "string"}}
        items["post"] = _post_search(items["get"])
        paths[f"{prefix}/items"] = items
        item = _get(
            f"One feature of {layer.id}",
            [param("featureId", "path", {"type": "integer"}, required=True), crs],
        )
        item["get"]["responses"]["200"] = json_body(FEATURE, GEOJSON_TYPE)
        paths[f"{prefix}/items/{{featureId}}"] = item
    doc = {
        "openapi": "3.0.3",
        "info": {"title": title, "version": "1.0"},
        "servers": [{"url": base}],
        "paths": paths,
    }
    return doc if audience == "public" else _signed_in_only(doc)


def _signed_in_only(doc: dict) -> dict:
    """The officials' API: an API token as a bearer header or as the password of HTTP Basic
    (what QGIS and GDAL offer); without one 401, outside the account's role 403."""
    doc["components"] = {
        "securitySchemes": {
            "token": {"type": "http", "scheme": "bearer", "description": "a personal API token"},
            "basic": {
                "type": "http",
                "scheme": "basic",
                "description": "user name, and the API token as password (reads only)",
            },
        }
    }
    doc["security"] = [{"token": []}, {"basic": []}]
    refused = {
        "401": json_body(EXCEPTION, "application/json") | {"description": "Not signed in"},
        "403": json_body(EXCEPTION, "application/json") | {"description": "Not allowed"},
    }
    for operations in doc["paths"].values():
        for operation in operations.values():
            operation["responses"] = operation["responses"] | refused
    return doc


GEOJSON_TYPE = "application/geo+json"
FEATURE = {
    "type": "object",
    "required": ["type", "id", "geometry", "properties"],
    "properties": {
        "type": {"type": "string", "enum": ["Feature"]},
        "id": {"type": "integer"},
        "geometry": {"type": "object", "nullable": True},
        "properties": {"type": "object"},
        "links": {"type": "array", "items": {"type": "object"}},
    },
}
FEATURE_COLLECTION = {
    "type": "object",
    "required": ["type", "features", "numberMatched", "numberReturned"],
    "properties": {
        "type": {"type": "string", "enum": ["FeatureCollection"]},
        "features": {"type": "array", "items": FEATURE},
        "numberMatched": {"type": "integer", "minimum": 0},
        "numberReturned": {"type": "integer", "minimum": 0},
        "timeStamp": {"type": "string"},
        "links": {"type": "array", "items": {"type": "object"}},
    },
}
EXCEPTION = {
    "type": "object",
    "required": ["code", "description"],
    "properties": {"code": {"type": "string"}, "description": {"type": "string"}},
}


def area_params() -> list[dict]:
    """The map's area filters: county (admin code), park, a drawn polygon, a circle."""
    return [
        param("county", "query", {"type": "string", "pattern": "^[0-9]{2,6}$"}, **BLANK),
        param("park", "query", {"type": "string"}, **BLANK),
        param("within", "query", {"type": "string", "description": "a WKT polygon"}, **BLANK),
        param("near", "query", {"type": "string", "description": "lon,lat,km"}, **BLANK),
    ]


def _post_search(get: dict) -> dict:
    """The same search by POST, for filters too large for a URL: the query parameters as a
    form, or a CQL2-JSON filter as the body."""
    fields = {p["name"]: p["schema"] for p in get["parameters"]}
    form = {"type": "object", "properties": fields | {"bbox": {"type": "string"}}}
    return {
        "summary": get["summary"] + " (search by POST)",
        "parameters": [],
        "requestBody": {
            "required": True,
            "content": {
                "application/x-www-form-urlencoded": {"schema": form},
                "application/query-cql-json": {"schema": {"type": "object"}},
            },
        },
        "responses": get["responses"],
    }


def layer_params(layer: LayerDef, audience: str, queryable: bool = True) -> list[dict]:
    """The layer's own parameters: its filters (enum values listed), the ranges as
    ``<field>_min``/``<field>_max``, text search and the other queryables as equality tests."""
    visible = layer.visible_fields(audience)
    params, named = [], set()
    for name in (n for n in layer.filters if n in visible):
        spec = layer.fields[name]
        schema: dict[str, Any] = {"type": "string"}
        if spec.type == "enum":
            schema["enum"] = [v.key for v in spec.values]
        params.append(param(name, "query", schema, **BLANK))
        named.add(name)
    for name in (n for n in layer.ranges if n in visible):
        kind = {"type": "number"} if layer.fields[name].type == "number" else _DATE
        params += [param(f"{name}_{end}", "query", kind, **BLANK) for end in ("min", "max")]
        named.add(name)
    if layer.search:
        params.append(param("q", "query", {"type": "string", "maxLength": 100}))
    for name, kind in queryables(layer, audience).items() if queryable else ():
        if name not in named and name not in ("geometry", "county_code", "park_id"):
            schema = {"number": {"type": "number"}, "date": _DATE}.get(kind, {"type": "string"})
            params.append(param(name, "query", schema))
    return params


_DATE = {"type": "string", "format": "date"}
# The map's filters, shared with the map's form: a blank value is a filter not set.
BLANK = {"allowEmptyValue": True}


def json_body(schema: dict, mimetype: str) -> dict:
    return {"description": "OK", "content": {mimetype: {"schema": schema}}}


def param(name: str, where: str, schema: dict, required: bool = False, **extra) -> dict:
    return {"name": name, "in": where, "required": required, "schema": schema, **extra}


def _get(summary: str, parameters: list[dict] | None = None) -> dict:
    return {
        "get": {
            "summary": summary,
            "parameters": parameters or [],
            "responses": {
                "200": {"description": "OK"},
                "400": json_body(EXCEPTION, "application/json") | {"description": "Bad request"},
                "404": json_body(EXCEPTION, "application/json") | {"description": "Not found"},
                "405": json_body(EXCEPTION, "application/json")
                | {"description": "Method not allowed"},
            },
        }
    }
