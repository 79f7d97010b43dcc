"""The one import path for the command line and the upload page: prepare, report, apply.

``prepare_*`` reads and validates a file and places every row (nothing is written);
``apply`` writes the valid rows into the store in one atomic step, updating rows whose code
already exists instead of duplicating them. A file with errors is refused unless the user
chooses to import only the valid rows; either way the store is never half-written.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from geoapp.auth.scope import Scope as Jurisdiction
from geoapp.coords import geometries_bd09_to_wgs84, geometries_gcj02_to_wgs84
from geoapp.geo import area_mu
from geoapp.imports.areas import AmbiguousName, Areas, UnknownName
from geoapp.imports.changes import progress_changes, row_changes
from geoapp.imports.crs import detect_gk, orient_axes, to_wgs84
from geoapp.imports.gis import read_gis
from geoapp.imports.mapping import ColumnPlan, column_plan, layout_key, saved_overrides
from geoapp.imports.matching import coded
from geoapp.imports.problems import FileRefused, Problem
from geoapp.imports.progress import read_progress
from geoapp.imports.projects import parse_projects
from geoapp.imports.scope import Scope, retire_changes, scope_of
from geoapp.imports.sheets import HeaderMap, RawTable, load_header_map, read_table
from geoapp.imports.survey import parse_survey
from geoapp.layers import LayerDef
from geoapp.progress import WarningRules
from geoapp.query import admin_prefix
from geoapp.schemas import PROGRESS_TABLE
from geoapp.stores.base import Query, Store
from geoapp.stores.changes import ChangeSet

SURVEY_SUFFIXES = (".txt", ".csv", ".dat")
NEW_PARCEL_STATE = "available"
COORDINATE_SYSTEMS = ("wgs84", "gcj02", "bd09")  # lon/lat as GPS, AMap/Tencent, Baidu give them
EVERYWHERE = Jurisdiction.everything()
_TO_WGS84 = {"gcj02": geometries_gcj02_to_wgs84, "bd09": geometries_bd09_to_wgs84}


@dataclass
class Prepared:
    """A validated file, ready to apply: its rows, problems and what applying would do."""

    kind: str
    layer: LayerDef
    source: str
    frame: gpd.GeoDataFrame
    problems: list[Problem]
    read: int
    added: int = 0
    updated: int = 0
    applied: bool = False
    rejected: list[int] = field(default_factory=list)
    table: RawTable | None = None  # the sheet as read, for the report's marked cells
    carried: frozenset[str] = frozenset()  # fields the file gives: an update writes only these
    as_of: date = field(default_factory=date.today)  # the day warnings are worked out for
    rules: WarningRules = field(default_factory=WarningRules)  # the rules they follow
    file: str = ""  # the file's name, for the history ("import:<file>")
    unchanged: int = 0  # rows whose stored values already were the file's
    scope: Scope | None = None  # the area a whole list covers, and what it leaves out
    retired: int = 0  # stored projects of the scope retired by the apply
    columns: list[ColumnPlan] = field(default_factory=list)  # the sheet's column mapping
    layout: str = ""  # the key of the sheet's header row, for saved mappings

    @property
    def unanswered(self) -> list[ColumnPlan]:
        """Columns that look like a field but are not mapped, and the user has not said."""
        return [c for c in self.columns if c.unanswered]

    @property
    def errors(self) -> list[Problem]:
        return [p for p in self.problems if p.severity == "error"]

    @property
    def warnings(self) -> list[Problem]:
        return [p for p in self.problems if p.severity == "warning"]


class ImportRefused(Exception):
    """Applying was refused: the file has errors and the user did not ask for valid rows only
    (``reason`` "errors"), or a column that looks like a field is not answered ("unmapped")."""

    def __init__(self, source: str, reason: str = "errors"):
        super().__init__(source)
        self.reason = reason


def prepare_projects(
    store: Store,
    layers: list[LayerDef],
    path: Path,
    *,
    sheet: str | None = None,
    locale: str = "zh",
    as_of: date | None = None,
    coords: str = "wgs84",
    scope: str | None = None,
    overrides: Mapping[str, str] | None = None,
    jurisdiction: Jurisdiction = EVERYWHERE,
    rules: WarningRules | None = None,
) -> Prepared:
    """Read a project sheet, validate every cell, place every row, count adds and updates.

    ``scope``: the admin code of the area the sheet lists in full (a county, or a city); the
    dry run then names the stored projects of that area the sheet lacks. ``overrides``: the
    user's column choices (header → field, "" for not used), over those saved for the
    sheet's layout. ``jurisdiction``: where the user may write; a row elsewhere (or of a
    stored project elsewhere) is an error at its row."""
    layer = _layer(layers, "projects")
    header_map = load_header_map()
    table = read_table(path, sheet, locale, header_map)
    layout = layout_key(table.headers)
    chosen = saved_overrides(store, layout) | dict(overrides or {})
    if chosen:
        header_map = header_map.with_overrides(chosen)
        table = read_table(path, sheet, locale, header_map)
    parsed = parse_projects(table, layer, locale, header_map)
    columns = column_plan(table, header_map, parsed.skipped)
    for column in (c for c in columns if c.unanswered):
        _unanswered_warning(column, table.sheet, header_map, locale, parsed.problems)
    problems = list(parsed.problems)
    areas = Areas.of(store, layers)
    if scope and not any(c.code.startswith(admin_prefix(scope)) for c in areas.counties):
        choices = "、".join(f"{c.code} {c.name}" for c in areas.counties[:12])
        reason = _say(
            locale,
            f"范围“{scope}”不是本系统的县区或市的代码；可选：{choices}",
            f"the scope “{scope}” is not the code of a county or city of this data; "
            f"choose one of: {choices}",
        )
        raise FileRefused(Problem(table.sheet, None, None, reason))
    say = _Sayer(table.sheet, locale, problems)
    _shift_rows(parsed.rows, coords)
    parsed.rows = _named_places(parsed.rows, areas, parsed.headers, say)  # GK zones need them
    _from_gauss_kruger(parsed.rows, areas.shapes, problems, table.sheet, locale)
    names = store.read(layer.table, Query(columns=(layer.id_field, "name", "county_code")))
    parsed.rows = coded(parsed.rows, names, areas, say.row)
    _on_their_parcels(parsed.rows, store, layers)
    _suspect_gcj02(parsed.rows, _parks(store, layers), problems, table.sheet, locale)
    stored = _at_stored_positions(parsed.rows, store, layer)
    parsed.rows = _named_if_new(parsed.rows, stored, problems, table.sheet, locale)
    places = _places(store, layers)
    rows = [r for r in parsed.rows if _place_row(r, places, problems, table.sheet, locale)]
    frame = _project_frame(rows, layer)
    frame = _in_their_counties(frame, areas, say)
    frame = _in_jurisdiction(frame, store, layer, jurisdiction, say)
    rejected = sorted({p.row for p in problems if p.severity == "error" and p.row})
    return _counted(
        store,
        Prepared(
            "projects",
            layer,
            table.sheet,
            frame,
            problems,
            parsed.read,
            rejected=rejected,
            table=table,
            carried=frozenset(parsed.fields),
            as_of=as_of or date.today(),
            rules=rules or WarningRules(),
            file=Path(path).name,
            scope=scope_of(store, frame, scope) if scope else None,
            columns=columns,
            layout=layout,
        ),
    )


def prepare_parcels(
    store: Store,
    layers: list[LayerDef],
    path: Path,
    *,
    table: str = "parcels",
    land_state: str | None = None,
    county: str | None = None,
    source_crs: object = None,
    coords: str = "wgs84",
    locale: str = "zh",
    values: Mapping[str, str] | None = None,
    jurisdiction: Jurisdiction = EVERYWHERE,
) -> Prepared:
    """Read a 界址点 file or a GIS file of parcels (or parks, ``table="parks"``, or standard
    land, ``table="standard_land"``) and find each one's county (and park) from where it lies.

    ``values``: fields given to every row (standard land's stage and control indicators:
    ``{"stage": "listed", "invest_intensity": "300"}``), checked against the layer."""
    layer = _layer(layers, table)
    given = _given_values(layer, values or {}, locale)  # refused before the file is read
    counties = _counties(store, layers)
    if Path(path).suffix.lower() in SURVEY_SUFFIXES:
        hint = counties.loc[county].representative_point().x if county in counties.index else None
        frame, problems = parse_survey(path, hint_lon=hint, locale=locale)
    else:
        frame, problems = read_gis(path, source_crs=source_crs, locale=locale)
        if coords in _TO_WGS84 and len(frame):
            frame = frame.set_geometry(_TO_WGS84[coords](frame.geometry.values), crs=4326)
    frame = frame.reset_index(drop=True)
    key = layer.id_field
    if key not in frame.columns:
        frame[key] = [f"{Path(path).stem}-{i + 1:03d}" for i in range(len(frame))]
    frame[key] = frame[key].astype(str)
    points = frame.geometry.representative_point()
    frame["county_code"] = _containing(counties, points)
    if table == "parcels":
        frame["land_state"] = land_state or NEW_PARCEL_STATE
    if "park_id" in layer.fields and table != "parks":
        frame["park_id"] = _containing(_parks(store, layers), points)
    for name, value in given.items():
        frame[name] = value
    if jurisdiction.bounded:
        say = _Sayer(Path(path).name, locale, problems)
        frame["_row"] = range(1, len(frame) + 1)  # features are counted from 1
        frame = _in_jurisdiction(frame, store, layer, jurisdiction, say).drop(columns="_row")
    frame["area_mu"] = area_mu(frame)
    keep = [c for c in (*layer.fields, "geometry") if c in frame.columns]
    # A re-surveyed parcel keeps its state unless the user names one.
    carried = frozenset(keep) - ({"land_state"} if land_state is None else set())
    prepared = Prepared(
        table,
        layer,
        Path(path).name,
        frame[keep],
        problems,
        len(frame),
        carried=carried,
        file=Path(path).name,
    )
    return _counted(store, prepared)


def prepare_progress(
    store: Store,
    layers: list[LayerDef],
    path: Path,
    *,
    sheet: str | None = None,
    locale: str = "zh",
    jurisdiction: Jurisdiction = EVERYWHERE,
    rules: WarningRules | None = None,
) -> Prepared:
    """A monthly progress sheet: one history row per project and month (nothing written).
    Projects outside ``jurisdiction`` are unknown to it: their rows are errors."""
    layer = _layer(layers, "projects")
    projects = store.read(layer.table, jurisdiction.narrow(layer, Query(columns=(layer.id_field,))))
    frame, problems, read = read_progress(path, layer, projects, sheet=sheet, locale=locale)
    existing = set()
    if PROGRESS_TABLE in store.tables():
        old = store.read(PROGRESS_TABLE, Query(columns=("project_id", "month")))
        existing = set(zip(old["project_id"], pd.to_datetime(old["month"]).dt.date, strict=True))
    updated = sum(
        (c, m) in existing for c, m in zip(frame["project_id"], frame["month"], strict=True)
    )
    rejected = sorted({p.row for p in problems if p.severity == "error" and p.row})
    return Prepared(
        "progress",
        layer,
        Path(path).name,
        frame,
        problems,
        read,
        added=len(frame) - updated,
        updated=updated,
        rejected=rejected,
        file=Path(path).name,
        rules=rules or WarningRules(),
    )


def apply(
    store: Store,
    prepared: Prepared,
    *,
    only_valid: bool = False,
    blank_clears: bool = False,
    author: str | None = None,
    retire: bool = False,
) -> Prepared:
    """Write the valid rows as one change set (all or nothing); refuse a file with errors
    unless asked. Existing rows are updated in the fields the file carries, last writer wins.
    With ``retire``, the stored projects of the import's scope that the sheet lacks are
    deleted in the same change set (kept in the history). Raises ``ChangeRefused`` (nothing
    written) when the store refuses a row."""
    if prepared.unanswered:
        raise ImportRefused(prepared.source, "unmapped")
    if prepared.errors and not only_valid:
        raise ImportRefused(prepared.source)
    if prepared.kind == "progress":
        changes = progress_changes(store, prepared)
    else:
        changes = row_changes(store, prepared, blank_clears=blank_clears)
    retired = retire_changes(prepared.scope) if retire and prepared.scope else []
    changes += retired
    applied = store.apply(ChangeSet(author or f"import:{prepared.file}", changes))
    prepared.applied = True
    if prepared.kind != "progress":
        prepared.added, prepared.updated = applied.inserted, applied.updated
        prepared.retired = applied.deleted
        prepared.unchanged = len(changes) - len(retired) - applied.inserted - applied.updated
    return prepared


def _at_stored_positions(rows: list[dict], store: Store, layer: LayerDef) -> set[str]:
    """Rows without coordinates whose code is already stored keep their stored position.
    Returns the codes of the rows that are stored already."""
    codes = frozenset(str(r.get(layer.id_field)) for r in rows)
    found = store.read(
        layer.table, Query(any_of={layer.id_field: codes}, columns=(layer.id_field,))
    )
    spots = dict(zip(found[layer.id_field].astype(str), found.geometry, strict=True))
    for row in rows:
        if row.get("geometry") is None and str(row.get(layer.id_field)) in spots:
            row["geometry"], row["placement"] = spots[str(row[layer.id_field])], "stored"
    return set(spots)


def _named_if_new(
    rows: list[dict], stored: set[str], problems: list[Problem], sheet: str, locale: str
) -> list[dict]:
    """A row that adds a project must name it; a row that updates one may carry only figures."""
    kept = []
    for row in rows:
        if str(row.get("project_id")) in stored or row.get("name"):
            kept.append(row)
            continue
        code = row.get("project_id")
        zh = f"项目代码“{code}”不在项目库中：新增项目须填写项目名称"
        en = f"project code “{code}” is new: a new project needs a name"
        problems.append(_row_problem(sheet, row["_row"], locale, zh, en))
    return kept


def _from_gauss_kruger(
    rows: list[dict], counties: gpd.GeoSeries, problems: list[Problem], sheet: str, locale: str
) -> None:
    """Rows with GK X/Y (survey metres) instead of lon/lat get their WGS84 point.

    The zone comes from the easting's prefix, or from the county the rows name."""
    rows = [r for r in rows if r.get("geometry") is None and r.get("gk_x") and r.get("gk_y")]
    if not rows:
        return
    try:
        xs = [float(r["gk_x"]) for r in rows]
        ys = [float(r["gk_y"]) for r in rows]
        eastings, northings, notes = orient_axes(xs, ys, sheet=sheet, locale=locale)
        codes = [
            str(r.get("county_code")) for r in rows if str(r.get("county_code")) in counties.index
        ]
        hint = counties.loc[codes[0]].representative_point().x if codes else None
        epsg = detect_gk(eastings, northings, hint, sheet=sheet, locale=locale)
    except ValueError:
        problems.append(
            Problem(
                sheet,
                rows[0]["_row"],
                "X",
                _say(locale, "X/Y 坐标不是数字", "the X/Y coordinates are not numbers"),
            )
        )
        return
    except FileRefused as refused:
        problems.append(refused.problem)
        return
    problems.extend(notes)
    points = to_wgs84(shapely.points(eastings, northings), epsg)
    for row, point in zip(rows, points, strict=True):
        row["geometry"] = point


def _on_their_parcels(rows: list[dict], store: Store, layers: list[LayerDef]) -> None:
    """Rows without coordinates that give a parcel code stand on that parcel."""
    wanted = {str(r["parcel_id"]) for r in rows if r.get("geometry") is None and r.get("parcel_id")}
    if not wanted:
        return
    parcels = _layer(layers, "parcels")
    found = store.read(
        parcels.table,
        Query(any_of={parcels.id_field: frozenset(wanted)}, columns=(parcels.id_field,)),
    )
    spots = dict(
        zip(found[parcels.id_field].astype(str), found.geometry.representative_point(), strict=True)
    )
    for row in rows:
        if row.get("geometry") is None and str(row.get("parcel_id")) in spots:
            row["geometry"], row["placement"] = spots[str(row["parcel_id"])], "exact"


def _suspect_gcj02(
    rows: list[dict], parks: gpd.GeoSeries, problems: list[Problem], sheet: str, locale: str
) -> None:
    """Points that miss the park they name but fall inside it once read as GCJ-02 were
    probably picked on AMap/Tencent: say so once, naming the rows (nothing is changed)."""
    named = [
        r for r in rows if r.get("geometry") is not None and str(r.get("park_id")) in parks.index
    ]
    off = [
        r
        for r in named
        if not parks.loc[str(r["park_id"])].contains(r["geometry"])
        and parks.loc[str(r["park_id"])].contains(geometries_gcj02_to_wgs84(r["geometry"]))
    ]
    if off and len(off) * 2 >= len(named):
        numbers = "、".join(str(r["_row"]) for r in off[:20])
        problems.append(
            Problem(
                sheet,
                off[0]["_row"],
                None,
                _say(
                    locale,
                    f"第 {numbers} 行的坐标偏离所填园区约 0.3–0.7 公里，按高德/腾讯（GCJ-02）"
                    "坐标换算后正好落在园区内：可能是从这些地图上取的点，"
                    "请选择“经纬度来源：高德或腾讯”重新检查",
                    f"rows {numbers} miss their park by about 0.3–0.7 km but fall inside it "
                    "when read as GCJ-02: they were probably picked on AMap/Tencent; check "
                    "again with coords gcj02",
                ),
                "warning",
            )
        )


def _shift_rows(rows: list[dict], coords: str) -> None:
    """Points copied from AMap/Tencent (GCJ-02) or Baidu (BD-09) back to WGS84."""
    convert = _TO_WGS84.get(coords)
    placed = [row for row in rows if row.get("geometry") is not None]
    if convert and placed:
        for row, point in zip(placed, convert([r["geometry"] for r in placed]), strict=True):
            row["geometry"] = point


def _layer(layers: list[LayerDef], table: str) -> LayerDef:
    return next(lyr for lyr in layers if lyr.table == table)


def _counted(store: Store, prepared: Prepared) -> Prepared:
    key = prepared.layer.id_field
    existing = set(store.read(prepared.layer.table, Query(columns=(key,)))[key].astype(str))
    codes = prepared.frame[key].astype(str)
    prepared.updated = int(codes.isin(existing).sum())
    prepared.added = len(codes) - prepared.updated
    return prepared


def _area_layer(layers: list[LayerDef], kind: str) -> LayerDef | None:
    return next((lyr for lyr in layers if lyr.area.get(kind) == lyr.id_field), None)


def _counties(store: Store, layers: list[LayerDef]) -> gpd.GeoSeries:
    """County (and district) shapes by admin code; city outlines are left out."""
    source = _area_layer(layers, "county")
    if source is None:
        return gpd.GeoSeries([], crs=4326)
    frame = store.read(source.table)
    if "level" in frame.columns:
        frame = frame[frame["level"].astype(str) != "city"]
    return gpd.GeoSeries(frame.geometry.values, index=frame[source.id_field].astype(str), crs=4326)


def _parks(store: Store, layers: list[LayerDef]) -> gpd.GeoSeries:
    source = _area_layer(layers, "park")
    if source is None:
        return gpd.GeoSeries([], crs=4326)
    frame = store.read(source.table)
    return gpd.GeoSeries(frame.geometry.values, index=frame[source.id_field].astype(str), crs=4326)


def _containing(areas: gpd.GeoSeries, points: gpd.GeoSeries) -> list[str | None]:
    """The code of the area containing each point (None outside all of them)."""
    found: list[str | None] = [None] * len(points)
    if len(areas):
        point_at, area_at = gpd.GeoSeries(areas.values).sindex.query(
            points.values, predicate="within"
        )
        for p, a in zip(point_at, area_at, strict=True):
            found[p] = str(areas.index[a])
    return found


def _places(store: Store, layers: list[LayerDef]) -> list[tuple[str, shapely.Point, str | None]]:
    """Named places a 建设地点 text can mention: parks first (more precise), then counties."""
    places = []
    for kind in ("park", "county"):
        source = _area_layer(layers, kind)
        if source is None or not source.label_field:
            continue
        frame = store.read(source.table)
        if kind == "county" and "level" in frame.columns:
            frame = frame[frame["level"].astype(str) != "city"]
        for name, geom in zip(frame[source.label_field], frame.geometry, strict=True):
            places.append((str(name), geom.representative_point(), kind))
    return sorted(places, key=lambda p: (p[2] != "park", -len(p[0])))


def _place_row(row: dict, places: list, problems: list[Problem], sheet: str, locale: str) -> bool:
    """Rows without coordinates go to the park or county their 建设地点 names; else refused."""
    if row.get("geometry") is not None:
        row.setdefault("placement", "exact")
        return True
    text = str(row.get("location") or "") + str(row.get("name") or "")
    for name, point, _kind in places:
        if name and name in text:
            row["geometry"], row["placement"] = point, "approximate"
            zh = f"没有经纬度，已按建设地点放在“{name}”，请在地图上核对"
            en = f"no coordinates: placed at “{name}” from the location; check it"
            problems.append(_row_problem(sheet, row["_row"], locale, zh, en, "warning"))
            return True
    zh = "没有经纬度，建设地点中也找不到县区或园区名称，请填写经度、纬度"
    en = "no coordinates, and the location names no county or park: add lon and lat"
    problems.append(_row_problem(sheet, row["_row"], locale, zh, en))
    return False


def _project_frame(rows: list[dict], layer: LayerDef) -> gpd.GeoDataFrame:
    """Typed rows as a frame (warnings are worked out when applied, from the stored row)."""
    columns = [*layer.fields, "geometry", "_row"]
    records = [{c: r.get(c) for c in columns} for r in rows]
    frame = pd.DataFrame(records, columns=columns)
    return gpd.GeoDataFrame(frame, geometry="geometry", crs=4326)


def _in_their_counties(frame: gpd.GeoDataFrame, areas: Areas, say: _Sayer) -> gpd.GeoDataFrame:
    """Fill missing county codes from the point; refuse a point outside its stated county or
    outside every county; a point just outside the (simplified) outlines gets the nearest."""
    codes, distances = areas.located(frame.geometry.values)
    found = pd.Series(codes, index=frame.index, dtype=object)
    stated = frame["county_code"]
    known = stated.notna() & stated.astype(str).isin({c.code for c in areas.counties})
    outside = known & found.notna() & (stated.astype(str) != found.astype(str))
    nowhere = found.isna() & (len(areas.counties) > 0)
    for row, code in zip(frame.loc[outside, "_row"], stated[outside], strict=True):
        say.row(int(row), f"位置不在所填县区 {code} 内", f"the point is outside county {code}")
    for row, point in zip(frame.loc[nowhere, "_row"], frame.geometry[nowhere], strict=True):
        where = f"{point.x:.5f}, {point.y:.5f}"
        say.row(
            int(row),
            f"位置（{where}）不在本系统任何县区内，请核对经纬度",
            f"the point ({where}) is outside every county of this data: check lon and lat",
        )
    for i, (row, metres) in enumerate(zip(frame["_row"], distances, strict=True)):
        if metres > 0:
            county = codes[i]
            say.row(
                int(row),
                f"位置在县区边界外 {metres:.0f} 米，已归入最近的县区 {county}，请核对",
                f"the point is {metres:.0f} m outside the county outlines: given the nearest, "
                f"{county}; check it",
                "warning",
            )
    frame["county_code"] = stated.where(stated.notna() & (stated.astype(str) != ""), found)
    keep = ~(outside | nowhere).to_numpy()
    return frame.loc[np.array(keep, dtype=bool)]


def _in_jurisdiction(
    frame: gpd.GeoDataFrame, store: Store, layer: LayerDef, jurisdiction: Jurisdiction, say: _Sayer
) -> gpd.GeoDataFrame:
    """Drop, as errors at their rows, rows in a county outside the user's jurisdiction and
    rows that would change a stored feature of such a county."""
    if not jurisdiction.bounded or frame.empty:
        return frame
    key = layer.id_field
    stored = store.read(
        layer.table,
        Query(any_of={key: frozenset(frame[key].astype(str))}, columns=(key, "county_code")),
    )
    stored_county = dict(zip(stored[key].astype(str), stored["county_code"], strict=True))
    keep = np.ones(len(frame), dtype=bool)
    rows = zip(frame[key].astype(str), frame["county_code"], frame["_row"], strict=True)
    for i, (code, county, row) in enumerate(rows):
        places = [county, *([stored_county[code]] if code in stored_county else [])]
        outside = [p for p in places if not jurisdiction.allows(p)]
        if outside:
            keep[i] = False
            where = "、".join(jurisdiction.prefixes)
            say.row(
                int(row),
                f"{outside[0] or '未知县区'} 不在您的管辖范围（{where}）内",
                f"{outside[0] or 'an unknown county'} is outside your jurisdiction ({where})",
            )
    return frame.loc[keep]


def _given_values(layer: LayerDef, values: Mapping[str, str], locale: str) -> dict[str, object]:
    """Values the user gives every row of a file, typed by the layer; a field the layer does
    not have, or a value of the wrong kind, refuses the file naming both."""
    typed: dict[str, object] = {}
    for name, text in values.items():
        spec = layer.fields.get(name)
        try:
            if spec is None or name == layer.id_field:
                raise ValueError(", ".join(n for n in layer.fields if n != layer.id_field))
            if spec.type == "number":
                typed[name] = float(text)
            elif spec.type == "enum" and text not in {v.key for v in spec.values}:
                raise ValueError(", ".join(v.key for v in spec.values))
            else:
                typed[name] = text
        except ValueError as bad:
            reason = _say(
                locale,
                f"“{name}={text}”不能用于{layer.title(locale)}；可填：{bad}",
                f"“{name}={text}” does not fit {layer.title(locale)}; choose from: {bad}",
            )
            raise FileRefused(Problem(layer.id, None, name, reason)) from bad
    return typed


def _unanswered_warning(
    column: ColumnPlan, sheet: str, header_map: HeaderMap, locale: str, problems: list[Problem]
) -> None:
    field_name = header_map.describe(column.looks_like, locale).split("（")[0].split(" (")[0]
    reason = _say(
        locale,
        f"列“{column.header}”像是“{field_name}”，但没有导入：请在导入页为它选择字段，"
        "或标为“不导入”（命令行：--map）",
        f"the column “{column.header}” looks like “{field_name}” but is not imported: choose "
        "its field on the import page, or mark it not used (command line: --map)",
    )
    problems.append(Problem(sheet, None, column.header, reason, "warning"))


def _named_places(
    rows: list[dict], areas: Areas, headers: dict[str, str], say: _Sayer
) -> list[dict]:
    """County names become codes and park names ids; a name that fits no (or more than one)
    county or park is an error at its cell that lists the choices."""
    kept = []
    for row in rows:
        ok = True
        name = row.pop("county_name", None)
        if name:
            ok &= _resolved(row, "county_code", name, areas.county, headers.get("county_name"), say)
        park = row.get("park_id")
        if park and ok:
            county = row.get("county_code")
            ok &= _resolved(
                row,
                "park_id",
                park,
                lambda text, county=county: areas.park(text, county),
                headers.get("park_id"),
                say,
            )
        if ok:
            kept.append(row)
    return kept


def _resolved(
    row: dict, field_name: str, text: str, lookup, header: str | None, say: _Sayer
) -> bool:
    try:
        code = lookup(str(text))
    except UnknownName as unknown:
        choices = unknown.listed(say.locale)
        say.cell(
            row["_row"],
            header,
            f"“{text}”不是本系统中的名称，可选：{choices}",
            f"“{text}” is not a name in this data; choose one of: {choices}",
        )
        return False
    except AmbiguousName as ambiguous:
        codes = ", ".join(ambiguous.codes)
        say.cell(
            row["_row"],
            header,
            f"“{text}”可指多个：{codes}，请写全称或代码",
            f"“{text}” fits several: {codes}; write the full name or the code",
        )
        return False
    stated = row.get(field_name)
    if field_name == "county_code" and stated and stated != code:
        say.cell(
            row["_row"],
            header,
            f"县区名称“{text}”（{code}）与所填代码 {stated} 不符",
            f"county “{text}” ({code}) does not match the code {stated}",
        )
        return False
    row[field_name] = code
    return True


@dataclass
class _Sayer:
    """Problems of one sheet, each said in the user's language."""

    sheet: str
    locale: str
    problems: list[Problem]

    def row(self, row: int, zh: str, en: str, severity: str = "error") -> None:
        self.problems.append(_row_problem(self.sheet, row, self.locale, zh, en, severity))

    def cell(self, row: int, header: str | None, zh: str, en: str) -> None:
        self.problems.append(Problem(self.sheet, row, header, _say(self.locale, zh, en)))


def _row_problem(
    sheet: str, row: int, locale: str, zh: str, en: str, severity: str = "error"
) -> Problem:
    """A problem with a whole row (no one column), said in the user's language."""
    return Problem(sheet, row, None, _say(locale, zh, en), severity)


def _say(locale: str, zh: str, en: str) -> str:
    return en if locale == "en" else zh
