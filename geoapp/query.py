"""Request arguments + the layers' declared filters → one ``MapFilter`` (allow-listed).

One filter model for the map page, the results list, the API, the tiles and the exports.
Every parameter is checked against what the layers declare (enum values, range and search
fields) and what the store holds (admin codes, park ids); a bad one is reported with its name
and value and dropped, so the page can still show the rest. Text is data: it is compared,
never spliced into SQL or an expression.

Parameters: ``county``, ``park``; an enum or text field by name (repeat or comma-separate
values); ``<field>_min`` / ``<field>_max`` for declared ranges; ``q`` (text search);
``bbox``; ``within`` (a WKT polygon drawn on the map, or the id of one the store keeps:
``geoapp.drawn``); ``near`` (lon,lat,km). A parameter that takes one value and is given twice
is refused: which one was meant is not ours to guess.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, replace
from datetime import date

import shapely
from flask_babel import gettext as _
from shapely.geometry import MultiPolygon, Point, box
from shapely.geometry.base import BaseGeometry
from werkzeug.datastructures import MultiDict

from geoapp.auth.scope import Scope
from geoapp.drawn import is_area_id
from geoapp.errors import BadRequest
from geoapp.geo import circle
from geoapp.layers import FieldDef, LayerDef
from geoapp.stores.base import BBox, Bound, Query

ADMIN_CODE = re.compile(r"^\d{6}$")
AREA_PARAMS = ("county", "park")
SHAPE_PARAMS = ("bbox", "within", "near")
PASSIVE_PARAMS = ("lang", "view", "hide", "sel")  # page state, handled by the page, not filters
MAX_VERTICES = 1000
MAX_NEAR_KM = 500.0
MAX_TEXT = 100


@dataclass(frozen=True)
class MapFilter:
    """The active filters, already validated."""

    county: str | None = None
    park: str | None = None
    values: dict[str, frozenset[str]] = field(default_factory=dict)
    ranges: dict[str, tuple[Bound, Bound]] = field(default_factory=dict)
    text: str | None = None
    shapes: dict[str, tuple[str, BaseGeometry]] = field(default_factory=dict)  # param → raw, geom
    scope: Scope = field(default_factory=Scope.everything)  # the user's, never from the URL

    def active(self) -> list[str]:
        names = [p for p in AREA_PARAMS if getattr(self, p)]
        return names + sorted(self.values) + sorted(self.ranges) + (["q"] if self.text else [])

    def applies_fully(self, layer: LayerDef) -> bool:
        """True when every active filter narrows this layer (used to choose what to fit)."""
        return all(self._applies(layer, name) for name in self.active())

    def _applies(self, layer: LayerDef, name: str) -> bool:
        if name in AREA_PARAMS:
            return name in layer.area
        if name == "q":
            return bool(layer.search)
        return name in layer.filters or name in layer.ranges

    def area(self) -> BaseGeometry | None:
        """The drawn area, circle and bbox together (their intersection)."""
        geoms = [geom for _raw, geom in self.shapes.values()]
        if not geoms:
            return None
        return shapely.intersection_all(geoms) if len(geoms) > 1 else geoms[0]

    def query_for(self, layer: LayerDef, columns: Iterable[str] | None = None) -> Query:
        """The store query for one layer: only the filters that layer declares."""
        prefix, any_of = {}, {}
        if self.county and "county" in layer.area:
            prefix[layer.area["county"]] = admin_prefix(self.county)
        if self.park and "park" in layer.area:
            any_of[layer.area["park"]] = frozenset([self.park])
        any_of |= {name: v for name, v in self.values.items() if name in layer.filters}
        ranges = {name: r for name, r in self.ranges.items() if name in layer.ranges}
        contains = (layer.search, self.text) if self.text and layer.search else None
        query = Query(
            any_of=any_of,
            prefix=prefix,
            shape=self.area(),
            ranges=ranges,
            contains=contains,
            columns=tuple(columns) if columns is not None else None,
        )
        return self.scope.narrow(layer, query)

    def for_layer(self, layer: LayerDef) -> MapFilter:
        """Only the parts that apply to ``layer`` (its tiles and points URLs take no others)."""
        return replace(
            self,
            county=self.county if "county" in layer.area else None,
            park=self.park if "park" in layer.area else None,
            values={k: v for k, v in self.values.items() if k in layer.filters},
            ranges={k: v for k, v in self.ranges.items() if k in layer.ranges},
            text=self.text if layer.search else None,
        )

    def to_args(self) -> MultiDict:
        """The URL arguments that reproduce this filter (for links, tiles and exports)."""
        args = MultiDict()
        for name in AREA_PARAMS:
            if getattr(self, name):
                args.add(name, getattr(self, name))
        for name in sorted(self.values):
            for value in sorted(self.values[name]):
                args.add(name, value)
        for name in sorted(self.ranges):
            low, high = self.ranges[name]
            if low is not None:
                args.add(f"{name}_min", _bound_text(low))
            if high is not None:
                args.add(f"{name}_max", _bound_text(high))
        if self.text:
            args.add("q", self.text)
        for name in SHAPE_PARAMS:
            if name in self.shapes:
                args.add(name, self.shapes[name][0])
        return args


def admin_prefix(code: str) -> str:
    """The prefix every code inside an admin area shares: 211400 → 2114, 610000 → 61."""
    if code.endswith("0000"):
        return code[:2]
    if code.endswith("00"):
        return code[:4]
    return code


DrawnAreas = Callable[[str], BaseGeometry | None]


def parse_filter(
    args: MultiDict,
    layers: list[LayerDef],
    counties: set[str],
    parks: set[str],
    drawn: DrawnAreas = lambda _key: None,
) -> tuple[MapFilter, list[BadRequest]]:
    """Valid filters and one error per bad parameter (which names the parameter and value);
    ``drawn`` finds a kept drawn area by its id."""
    errors: list[BadRequest] = []
    choices = {name: lyr.fields[name] for lyr in layers for name in lyr.filters}
    ranged = {name: lyr.fields[name] for lyr in layers for name in lyr.ranges}
    searchable = any(lyr.search for lyr in layers)
    known = {*choices, *AREA_PARAMS, *PASSIVE_PARAMS, *SHAPE_PARAMS}
    known |= {f"{name}_{end}" for name in ranged for end in ("min", "max")}
    known |= {"q"} if searchable else set()
    single = {*AREA_PARAMS, *SHAPE_PARAMS, "q"} | {
        f"{n}_{end}" for n in ranged for end in ("min", "max")
    }
    for name in args:
        if name not in known:
            errors.append(BadRequest(_("Unknown filter “%(name)s”.", name=name), param=name))
        elif name in single and len(args.getlist(name)) > 1:
            errors.append(
                BadRequest(
                    _("Parameter “%(name)s” is given more than once.", name=name), param=name
                )
            )
    values = {}
    for name, field_def in choices.items():
        chosen = _checked_values(name, field_def, _split(args.getlist(name)), errors)
        if chosen:
            values[name] = chosen
    return MapFilter(
        county=_checked_county(args.get("county", "").strip(), counties, errors),
        park=_checked_park(args.get("park", "").strip(), parks, errors),
        values=values,
        ranges=_checked_ranges(args, ranged, errors),
        text=_checked_text(args.get("q", "").strip(), errors) if searchable else None,
        shapes=_checked_shapes(args, drawn, errors),
    ), errors


def _split(raw: list[str]) -> set[str]:
    """``a,b`` and repeated parameters both mean “a or b”."""
    return {part.strip() for item in raw for part in item.split(",") if part.strip()}


def _checked_values(
    name: str, field_def: FieldDef, chosen: set[str], errors: list[BadRequest]
) -> frozenset[str]:
    if field_def.type != "enum":
        return frozenset(v[:MAX_TEXT] for v in chosen)
    allowed = {v.key for v in field_def.values}
    for bad in sorted(chosen - allowed):
        errors.append(
            BadRequest(
                _(
                    "Unknown value “%(value)s” for “%(name)s”; allowed: %(allowed)s.",
                    value=bad,
                    name=name,
                    allowed=", ".join(sorted(allowed)),
                ),
                param=name,
            )
        )
    return frozenset(chosen & allowed)


def _checked_county(code: str, counties: set[str], errors: list[BadRequest]) -> str | None:
    if not code:
        return None
    if not ADMIN_CODE.match(code):
        errors.append(
            BadRequest(
                _(
                    "Admin code “%(code)s” is malformed: it must be 6 digits, e.g. 610327.",
                    code=code,
                ),
                param="county",
            )
        )
        return None
    if code not in counties:
        errors.append(
            BadRequest(_("Admin code “%(code)s” is not in this data.", code=code), param="county")
        )
        return None
    return code


def _checked_park(park: str, parks: set[str], errors: list[BadRequest]) -> str | None:
    if not park:
        return None
    if park not in parks:
        errors.append(BadRequest(_("Park “%(park)s” does not exist.", park=park), param="park"))
        return None
    return park


def _checked_text(text: str, errors: list[BadRequest]) -> str | None:
    if len(text) > MAX_TEXT:
        errors.append(
            BadRequest(_("Search text is longer than %(n)s characters.", n=MAX_TEXT), param="q")
        )
        return None
    return text or None


def _checked_ranges(
    args: MultiDict, ranged: dict[str, FieldDef], errors: list[BadRequest]
) -> dict[str, tuple[Bound, Bound]]:
    ranges = {}
    for name, field_def in ranged.items():
        bounds = []
        for end in ("min", "max"):
            raw = args.get(f"{name}_{end}", "").strip()
            bounds.append(_bound(f"{name}_{end}", raw, field_def.type, errors) if raw else None)
        low, high = bounds
        if low is not None and high is not None and low > high:
            errors.append(
                BadRequest(
                    _("“%(name)s”: the minimum is larger than the maximum.", name=name),
                    param=f"{name}_min",
                )
            )
            continue
        if low is not None or high is not None:
            ranges[name] = (low, high)
    return ranges


def _bound(param: str, raw: str, kind: str, errors: list[BadRequest]) -> Bound:
    try:
        if kind == "date":
            return date.fromisoformat(raw).isoformat()
        value = float(raw)
        if value != value or value in (float("inf"), float("-inf")):
            raise ValueError(raw)
        return value
    except ValueError:
        message = (
            _(
                "“%(param)s” must be a date like 2023-04-01, not “%(value)s”.",
                param=param,
                value=raw,
            )
            if kind == "date"
            else _("“%(param)s” must be a number, not “%(value)s”.", param=param, value=raw)
        )
        errors.append(BadRequest(message, param=param))
        return None


def _bound_text(value: Bound) -> str:
    return f"{value:g}" if isinstance(value, float) else str(value)


def _checked_shapes(args: MultiDict, drawn: DrawnAreas, errors: list[BadRequest]) -> dict:
    def within(raw: str) -> BaseGeometry:
        return _kept_area(raw, drawn) if is_area_id(raw) else parse_within(raw)

    shapes = {}
    for name, parse in (("bbox", parse_bbox), ("within", within), ("near", parse_near)):
        raw = args.get(name, "").strip()
        if not raw:
            continue
        try:
            shapes[name] = (raw, parse(raw))
        except BadRequest as error:
            errors.append(error)
    return shapes


def _kept_area(key: str, drawn: DrawnAreas) -> BaseGeometry:
    geom = drawn(key)
    if geom is None:
        raise BadRequest(
            _("There is no drawn area “%(id)s”; draw it again.", id=key), param="within"
        )
    return geom


def whole_number(name: str, raw: str, low: int, high: int) -> int:
    """A paging or count parameter: digits only, within [low, high]."""
    if not (raw.isascii() and raw.isdigit()) or not low <= int(raw) <= high:
        raise BadRequest(
            _(
                "%(name)s must be a whole number from %(low)s to %(high)s.",
                name=name,
                low=low,
                high=high,
            ),
            param=name,
        )
    return int(raw)


def parse_bbox(raw: str) -> BaseGeometry:
    """``minLon,minLat,maxLon,maxLat`` in degrees (six numbers: heights ignored). A west edge
    east of the east edge crosses the antimeridian, as OGC API Features defines it."""
    west, south, east, north = bbox_values(raw)
    if west > east:
        return MultiPolygon([box(west, south, 180, north), box(-180, south, east, north)])
    return box(west, south, east, north)


def bbox_values(raw: str) -> BBox:
    try:
        values = tuple(float(p) for p in raw.split(","))
    except ValueError:
        values = ()
    if len(values) == 6:
        values = (values[0], values[1], values[3], values[4])
    if len(values) != 4 or not all(math.isfinite(v) for v in values):
        raise BadRequest(_("bbox must be four numbers: minLon,minLat,maxLon,maxLat."), param="bbox")
    west, south, east, north = values
    inside = all(-180 <= lon <= 180 for lon in (west, east)) and -90 <= south < north <= 90
    if not inside or west == east:
        raise BadRequest(_("bbox is outside the world or its corners are swapped."), param="bbox")
    return values


def parse_within(raw: str) -> BaseGeometry:
    """A drawn polygon or rectangle as WKT: valid, in degrees, and not too detailed."""
    try:
        geom = shapely.from_wkt(raw)
    except shapely.errors.ShapelyError:
        geom = None
    if geom is None or geom.geom_type not in ("Polygon", "MultiPolygon") or geom.is_empty:
        raise BadRequest(_("The drawn area must be a WKT polygon."), param="within")
    if shapely.get_num_coordinates(geom) > MAX_VERTICES:
        raise BadRequest(
            _("The drawn area has more than %(n)s vertices.", n=MAX_VERTICES), param="within"
        )
    minx, miny, maxx, maxy = geom.bounds
    if not all(math.isfinite(v) for v in geom.bounds):
        raise BadRequest(_("The drawn area has a coordinate that is not a number."), param="within")
    if minx < -180 or maxx > 180 or miny < -90 or maxy > 90:
        raise BadRequest(_("The drawn area is outside the world."), param="within")
    if not geom.is_valid:
        raise BadRequest(
            _("The drawn area crosses itself: %(why)s.", why=shapely.is_valid_reason(geom)),
            param="within",
        )
    return geom


def parse_near(raw: str) -> BaseGeometry:
    """``lon,lat,km``: the circle of that radius around the point."""
    try:
        lon, lat, km = (float(p) for p in raw.split(","))
    except ValueError:
        raise BadRequest(_("near must be lon,lat,km, e.g. 106.85,34.89,5."), param="near") from None
    if not (-180 <= lon <= 180 and -85 <= lat <= 85 and 0 < km <= MAX_NEAR_KM):
        raise BadRequest(
            _("near must be a point on Earth and a distance up to %(km)s km.", km=int(MAX_NEAR_KM)),
            param="near",
        )
    return circle(Point(lon, lat), km)
