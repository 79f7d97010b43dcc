"""OpenAPI 3.0 of the progress API (``/api/rates``, ``/api/rates/months``, ``/api/rankings``):
every parameter it takes — the map's filters, the reporting date — and the shape of each
answer, so that a client can be generated from it and a test can check answers against it.
"""

from __future__ import annotations

from typing import Any

from geoapp.layers import LayerDef
from geoapp.ogc import BLANK, EXCEPTION, area_params, json_body, layer_params, param
from geoapp.rates import BATCHES

NUMBER = {"type": "number"}
SHARE = {"type": "number", "nullable": True, "minimum": 0, "description": "0–1, null: no base"}
GROUP = {
    "type": "object",
    "required": ["count", "total_investment", "annual_plan"],
    "properties": {
        "count": {"type": "integer", "minimum": 0},
        "total_investment": NUMBER | {"description": "万元"},
        "annual_plan": NUMBER | {"description": "万元"},
    },
}
RATE_NAMES = (
    "start_rate", "start_resume_rate", "new_start_rate", "resume_rate", "investment_rate",
)  # fmt: skip
RATES = {
    "type": "object",
    "required": ["as_of", "projects", "new", "continuing", "rates", "stages", "batches"],
    "properties": {
        "as_of": {"type": "string", "format": "date"},
        **{g: GROUP for g in ("projects", "new", "continuing", "new_started", "resumed")},
        "planned_to_start": {"type": "integer"},
        "started_of_planned": {"type": "integer"},
        "completed": NUMBER | {"description": "completed investment, 万元"},
        "time_progress": NUMBER,
        "by_status": {"type": "object", "additionalProperties": {"type": "integer"}},
        "stages": {"type": "object", "additionalProperties": GROUP},
        "batches": {"type": "object", "properties": dict.fromkeys(BATCHES, GROUP)},
        "rates": {
            "type": "object",
            "required": [*RATE_NAMES, "time_progress"],
            "properties": dict.fromkeys(RATE_NAMES, SHARE) | {"time_progress": NUMBER},
        },
    },
}
PLACE = {
    "type": "object",
    "required": ["key", "name", "red", "yellow", "count", "rates"],
    "properties": {
        "key": {"type": "string"},
        "name": {"type": "string"},
        "red": {"type": "integer"},
        "yellow": {"type": "integer"},
        "count": {"type": "integer"},
        "rates": RATES["properties"]["rates"],
    },
}
RANKINGS = {
    "type": "object",
    "required": ["as_of", "by", "rule", "places", "red_list", "black_list"],
    "properties": {
        "as_of": {"type": "string", "format": "date"},
        "by": {"type": "string"},
        "rule": {"type": "string"},
        "places": {"type": "array", "items": PLACE},
        "red_list": {"type": "array", "items": {"type": "string"}},
        "black_list": {"type": "array", "items": {"type": "string"}},
    },
}
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def rates_openapi(layer: LayerDef, rank_by: list[str], base: str) -> dict:
    """The document for the projects ``layer`` (its filters are the parameters)."""
    as_of = param("as_of", "query", {"type": "string", "format": "date"})
    filters = [*area_params(), *layer_params(layer, "internal", queryable=False)]
    by = param("by", "query", {"type": "string", "enum": rank_by, "default": "county"}, **BLANK)
    year = param("year", "query", {"type": "integer", "minimum": 2000, "maximum": 2100})
    months = {"type": "object", "properties": {"year": {"type": "integer"},
              "months": {"type": "array", "items": RATES}}}  # fmt: skip
    paths = {
        "/rates": _get("Rates at the reporting date", [as_of, *filters], RATES),
        "/rates/months": _get("The year replayed", [as_of, year, *filters], months),
        "/rankings": _get("红黑榜", [as_of, by, *filters], RANKINGS),
        "/rankings.xlsx": _get("红黑榜 as a workbook", [as_of, by, *filters], None),
    }
    paths["/rankings.xlsx"]["get"]["responses"]["200"] = {
        "description": "OK",
        "content": {XLSX: {"schema": {"type": "string", "format": "binary"}}},
    }
    return {
        "openapi": "3.0.3",
        "info": {"title": "geoapp progress rates", "version": "1.0"},
        "servers": [{"url": base}],
        "paths": paths,
        "components": {"securitySchemes": {"token": {"type": "http", "scheme": "bearer"}}},
        "security": [{"token": []}],
    }


def _get(summary: str, parameters: list[dict], schema: dict | None) -> dict[str, Any]:
    error = json_body(EXCEPTION, "application/json")
    responses = {
        "200": json_body(schema, "application/json") if schema else {"description": "OK"},
        "400": error | {"description": "Bad parameter (named in `parameter`)"},
        "401": error | {"description": "Not signed in"},
        "403": error | {"description": "Not allowed"},
    }
    return {"get": {"summary": summary, "parameters": parameters, "responses": responses}}
