"""What the investors' small maps draw, as one JSON object the page carries (``invest.js``).

Outlines of parks, sites coloured by kind and county outlines for orientation, in EPSG:4326
rounded to about 0.1 m; every text in a feature (title, rows) is drawn by the browser as a
text node, never as HTML. Only what the pages already show goes in: public fields only.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from typing import Any

import numpy as np
import shapely
from flask_babel import gettext as _
from shapely.geometry.base import BaseGeometry

from geoapp.geo import SQUARE_METRES_PER_MU
from geoapp.invest.parks import ParkView
from geoapp.invest.sites import AVAILABLE, FACTORY, INDUSTRIES
from geoapp.invest.vacancies import Site
from geoapp.ogc_html import number
from geoapp.render import COORD_DECIMALS, chrome_texts, script_json


def feature(geometry: BaseGeometry, properties: dict[str, Any]) -> dict[str, Any]:
    rounded = shapely.transform(geometry, lambda xy: np.round(xy, COORD_DECIMALS))
    shape = json.loads(shapely.to_geojson(rounded))
    return {"type": "Feature", "properties": properties, "geometry": shape}


def area_text(mu: float | None) -> str:
    """``12.5 亩（8,333 m²）``: both units an investor compares."""
    if mu is None:
        return "—"
    square_metres = round(mu * SQUARE_METRES_PER_MU)
    return _("%(mu)s mu (%(m2)s m²)", mu=number(mu), m2=number(square_metres))


def floor_text(buildings: int, floor_m2: float | None) -> str:
    """``2 栋 / 6,000 平方米``: ready-built factory space as an investor counts it."""
    return _("%(n)s buildings / %(m2)s m²", n=buildings, m2=number(floor_m2 or 0))


def park_features(parks: Iterable[ParkView], url_of: Callable[[str], str]) -> list[dict]:
    """Park outlines; the popup says what is free there and links to the park's page."""
    return [
        feature(
            park.geometry,
            {
                "title": park.name,
                "url": url_of(park.park_id),
                "point": _inside(park.geometry),
                "rows": [[r.label, r.text] for r in park.rows if r.name == INDUSTRIES]
                + [[f.label, area_text(f.mu)] for f in park.figures if f.key == AVAILABLE]
                + [
                    [f.label, floor_text(f.count, f.floor_m2)]
                    for f in park.figures
                    if f.key == FACTORY and f.count and f.floor_m2 is not None
                ],
            },
        )
        for park in parks
    ]


def site_features(sites: Iterable[Site], url_of: Callable[[Site], str]) -> list[dict]:
    """Sites filled with their kind's declared colour; the popup lists their public fields."""
    return [
        feature(
            site.geometry,
            {
                "title": site.title,
                "url": url_of(site),
                "color": site.color,
                "key": f"{site.layer.id}:{site.key}",
                "rows": [[_("Kind"), site.kind_label], [_("Area"), area_text(site.area_mu)]]
                + [[r.label, r.text] for r in site.rows],
            },
        )
        for site in sites
    ]


def _inside(geometry: BaseGeometry) -> list[float]:
    """A point inside the outline (lat, lon): the park's marker when seen from afar."""
    point = geometry.representative_point()
    return [round(point.y, COORD_DECIMALS), round(point.x, COORD_DECIMALS)]


def outline_features(outlines: Iterable[tuple[BaseGeometry, str]]) -> list[dict]:
    """County outlines with their names, written at a point inside each."""
    return [
        feature(g, {"title": name, "point": _inside(g)})
        for g, name in outlines
        if g is not None and not g.is_empty
    ]


def map_json(data: dict) -> str:
    """The JSON an investors' map reads (``invest.js``), with its controls' texts in the
    page's language."""
    texts = chrome_texts()
    data["texts"] = {
        "zoomIn": texts["zoomIn"],
        "zoomOut": texts["zoomOut"],
        "details": _("Details"),
        "map": _("Map of the sites"),
    }
    return script_json(data)
