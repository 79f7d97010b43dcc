"""Counties and parks as a sheet names them, and the county a point lies in.

Sheets name places the way people say them: ``陇县``, ``临泽`` or ``陇县人民政府`` for county
610327, ``苏陕工业园`` or ``陇县苏陕工业园`` for park LX-SS. Each name is matched against the
stored names (exactly, then one containing the other); a name that fits none — or, within the
row's county, more than one — is an error at its cell that lists the choices.

Containment is tested against the full-resolution county outlines (table ``outlines``,
``data/outlines.geojson`` in the demo) where the store has them, else against the drawn
boundaries, which are simplified to about 50 m. A point that misses every outline but lies
within ``BORDER_TOLERANCE_M`` of one is given the nearest county, with a warning; a point
farther from all of them is outside this data's counties, an error at its row.
"""

from __future__ import annotations

from dataclasses import dataclass

import geopandas as gpd
import numpy as np
import shapely

from geoapp.imports.problems import join
from geoapp.layers import LayerDef
from geoapp.schemas import OUTLINES_TABLE
from geoapp.stores.base import Store

BORDER_TOLERANCE_M = 100.0  # twice the simplification of the stored county outlines
CHOICES_SHOWN = 12
_COUNTY_SUFFIXES = ("人民政府", "政府")


@dataclass(frozen=True)
class Named:
    """One county or park: its code, its name and (for parks) its county."""

    code: str
    name: str
    county: str | None = None


class Areas:
    """The counties and parks of the store, for turning names into codes."""

    def __init__(self, counties: list[Named], parks: list[Named], shapes: gpd.GeoSeries):
        self.counties, self.parks, self.shapes = counties, parks, shapes

    @classmethod
    def of(cls, store: Store, layers: list[LayerDef]) -> Areas:
        counties, shapes = _county_rows(store, layers)
        if OUTLINES_TABLE in store.tables():  # every vertex: containment at the true border
            outlines = store.read(OUTLINES_TABLE)
            outlines = outlines[outlines["level"].astype(str) != "city"]
            if len(outlines):
                codes = outlines["adcode"].astype(str).to_numpy()
                shapes = gpd.GeoSeries(outlines.geometry.values, index=codes, crs=4326)
        return cls(counties, _park_rows(store, layers), shapes)

    def county(self, text: str) -> str:
        """The county code a name (or a code) stands for; ValueError listing the choices."""
        return _pick(text, self.counties, _county_core)

    def park(self, text: str, county: str | None) -> str:
        """The park id a name (or an id) stands for, among the county's parks when it is known."""
        parks = [p for p in self.parks if county is None or p.county in (None, county)]
        return _pick(text, parks or self.parks, lambda name: name)

    def located(self, points: np.ndarray) -> tuple[list[str | None], list[float]]:
        """Per point: the county it lies in (or the nearest within the tolerance, with its
        distance in metres; 0 inside), None when it is farther from every county."""
        codes: list[str | None] = [None] * len(points)
        distances = [0.0] * len(points)
        if not len(self.shapes) or not len(points):
            return codes, distances
        tree = shapely.STRtree(self.shapes.values)
        at, area = tree.query(points, predicate="within")
        for p, a in zip(at, area, strict=True):
            codes[p] = str(self.shapes.index[a])
        outside = [i for i, code in enumerate(codes) if code is None and points[i] is not None]
        if outside:
            metric = gpd.GeoSeries(self.shapes.values, crs=4326).to_crs(_local_crs(self.shapes))
            near = gpd.GeoSeries(points[outside], crs=4326).to_crs(metric.crs)
            found = metric.sindex.nearest(near.values, max_distance=BORDER_TOLERANCE_M)
            for p, a in zip(*found, strict=True):
                i = outside[p]
                codes[i] = str(self.shapes.index[a])
                distances[i] = float(near.values[p].distance(metric.values[a]))
        return codes, distances


def _pick(text: str, rows: list[Named], core) -> str:
    wanted = "".join(str(text).split())
    if not wanted:  # a cell of spaces: no name at all
        raise UnknownName([r.name for r in rows])
    for test in (
        lambda r: wanted in (r.code, r.name),
        lambda r: core(wanted) == core(r.name),
        lambda r: r.name in wanted or (len(wanted) >= 2 and wanted in r.name),
    ):
        found = {r.code for r in rows if test(r)}
        if len(found) == 1:
            return found.pop()
        if len(found) > 1:
            raise AmbiguousName(sorted(found))
    raise UnknownName([r.name for r in rows])


class UnknownName(ValueError):
    """No stored county or park has this name; ``choices`` are the names there are."""

    def __init__(self, choices: list[str]):
        super().__init__("unknown")
        self.choices = choices

    def listed(self, locale: str) -> str:
        shown = join(self.choices[:CHOICES_SHOWN], locale)
        more = len(self.choices) - CHOICES_SHOWN
        return shown + (f" …（共 {len(self.choices)} 个）" if more > 0 and locale != "en" else "")


class AmbiguousName(ValueError):
    """More than one stored county or park fits this name."""

    def __init__(self, codes: list[str]):
        super().__init__("ambiguous")
        self.codes = codes


def _county_core(name: str) -> str:
    """``陇县人民政府`` → ``陇``, ``临泽县`` → ``临泽``: the part people may write alone."""
    for suffix in _COUNTY_SUFFIXES:
        name = name.removesuffix(suffix)
    return name[:-1] if len(name) > 2 and name[-1] in "县区市旗" else name


def _county_rows(store: Store, layers: list[LayerDef]) -> tuple[list[Named], gpd.GeoSeries]:
    source = next((lyr for lyr in layers if lyr.area.get("county") == lyr.id_field), None)
    if source is None:
        return [], gpd.GeoSeries([], crs=4326)
    frame = store.read(source.table)
    if "level" in frame.columns:
        frame = frame[frame["level"].astype(str) != "city"]
    codes = frame[source.id_field].astype(str)
    names = frame[source.label_field].astype(str) if source.label_field else codes
    rows = [Named(c, n) for c, n in zip(codes, names, strict=True)]
    return rows, gpd.GeoSeries(frame.geometry.values, index=codes.to_numpy(), crs=4326)


def _park_rows(store: Store, layers: list[LayerDef]) -> list[Named]:
    source = next((lyr for lyr in layers if lyr.area.get("park") == lyr.id_field), None)
    if source is None:
        return []
    frame = store.read(source.table)
    codes = frame[source.id_field].astype(str)
    names = frame[source.label_field].astype(str) if source.label_field else codes
    county_field = source.area.get("county")
    counties = (
        frame[county_field].astype(str) if county_field in frame.columns else [None] * len(frame)
    )
    return [Named(c, n, k) for c, n, k in zip(codes, names, counties, strict=True)]


def _local_crs(shapes: gpd.GeoSeries) -> str:
    """An equidistant projection centred on the data, for distances in metres."""
    minx, miny, maxx, maxy = shapes.total_bounds
    lon, lat = (minx + maxx) / 2, (miny + maxy) / 2
    return f"+proj=aeqd +lat_0={lat:.4f} +lon_0={lon:.4f} +datum=WGS84 +units=m"
