"""界址点 coordinate files (国土资源部 报部格式 and plain point lists) → parcels in WGS84.

The exchange format::

    [属性描述]
    坐标系=2000国家大地坐标系
    几度分带=3
    带号=36
    [地块坐标]
    5,0.8612,J01,地块名称,面,H48G001001,工业用地,,@
    J1,1,3866123.456,36512345.678      ← 点号, 圈号, X = 北坐标, Y = 东坐标
    …

Ring 1 is the outer boundary; a ring > 1 inside it is a hole, outside it another part. Nothing
is closed, repaired or moved silently: each deviation becomes a :class:`Problem` whose row is
the line number in the file. Parcels with errors are left out of the result.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

import geopandas as gpd
import numpy as np
import shapely
from shapely.geometry import MultiPolygon, Polygon

from geoapp.geo import SQUARE_METRES_PER_MU, area_mu
from geoapp.imports.crs import (
    ERROR,
    WARNING,
    axis_order,
    detect_gk,
    invalid_reason,
    orient_axes,
    outside_china,
    say,
    to_wgs84,
)
from geoapp.imports.problems import FileRefused, Problem, message

COLUMNS = ["parcel_id", "name", "land_use", "declared_area_mu", "area_mu"]
CLOSE_TOLERANCE_M = 0.001  # first and last point of a ring must coincide to the millimetre
_KINDS = {"面", "线", "点"}
_RING_NUMBER = re.compile(r"^\d{1,3}$")


@dataclass
class _Point:
    line: int
    pid: str
    ring: int
    x: float  # X as written: the northing by convention
    y: float  # Y as written: the easting
    index: int = -1  # position in the file's flat point arrays


@dataclass
class _Parcel:
    line: int | None  # the parcel line; None for a bare point list
    parcel_id: str
    name: str
    land_use: str | None = None
    kind: str | None = None
    count: int | None = None
    declared_ha: float | None = None
    points: list[_Point] = field(default_factory=list)
    refused: bool = False


def parse_survey(
    path: str | Path,
    *,
    hint_lon: float | None = None,
    locale: str = "zh",
    repair: bool = False,
    area_tolerance: float = 0.01,
) -> tuple[gpd.GeoDataFrame, list[Problem]]:
    """Read a 界址点 file: parcels in EPSG:4326 and the problems found, row = line number.

    ``hint_lon`` is the county's longitude, needed when the eastings carry no zone number and
    the file header gives none. ``repair=True`` replaces a self-intersecting parcel by its
    ``shapely.make_valid`` repair; otherwise the original is kept with a warning.
    Raises :class:`FileRefused` for empty, undecodable or unplaceable files.
    """
    path = Path(path)
    sheet = path.name
    text = _decode(path, sheet, locale)
    header, parcels, problems = _parse_lines(text, path.stem, sheet, locale)
    points = [point for parcel in parcels for point in parcel.points]
    if not points:
        raise FileRefused(
            Problem(sheet, None, None, say(locale, "文件中没有界址点坐标", "no boundary points"))
        )
    for number, point in enumerate(points):
        point.index = number
    _check_header(header, sheet, locale)

    eastings, northings = _orient(parcels, points, sheet, locale, problems)
    usable = [p.index for parcel in parcels if not parcel.refused for p in parcel.points]
    if not usable:
        return _frame([]), _in_file_order(problems)
    zone, band_width = _header_zone(header)
    epsg = detect_gk(
        eastings[usable],
        northings[usable],
        hint_lon,
        zone=zone,
        band_width=band_width,
        sheet=sheet,
        locale=locale,
    )
    if zone is not None and eastings[usable[0]] >= 10_000_000:
        prefix = int(eastings[usable[0]] // 1_000_000)
        if prefix != zone:
            problems.append(
                Problem(
                    sheet,
                    None,
                    "带号",
                    say(
                        locale,
                        f"文件头带号为 {zone}，坐标中的带号为 {prefix}；"
                        f"按坐标中的带号 {prefix} 处理",
                        f"the header says zone {zone} but the eastings carry zone {prefix}; "
                        f"zone {prefix} is used",
                    ),
                    WARNING,
                )
            )

    records = []
    for parcel in parcels:
        if parcel.refused:
            continue
        geom = _build(parcel, eastings, northings, sheet, locale, repair, problems)
        if geom is not None:
            records.append((parcel, geom))
    if not records:
        return _frame([]), _in_file_order(problems)

    wgs84 = to_wgs84([geom for _parcel, geom in records], epsg)
    outside = outside_china(wgs84.values)
    kept = []
    for (parcel, _geom), geom, away in zip(records, wgs84.values, outside, strict=True):
        if away:
            problems.append(
                _parcel_problem(
                    parcel,
                    sheet,
                    say(
                        locale,
                        f"地块 {parcel.parcel_id} 换算到经纬度后不在中国范围内，"
                        "请检查坐标系、带号或中央经线",
                        f"parcel {parcel.parcel_id} falls outside China once converted to "
                        "longitude/latitude; check the coordinate system, zone or central meridian",
                    ),
                )
            )
            continue
        kept.append((parcel, geom))
    frame = _frame(kept)
    _check_areas(frame, kept, sheet, locale, area_tolerance, problems)
    return frame, _in_file_order(problems)


def _in_file_order(problems: list[Problem]) -> list[Problem]:
    """File-wide problems first, then by line (stable: a line's problems keep their order)."""
    return sorted(problems, key=lambda problem: problem.row or 0)


# --- reading ----------------------------------------------------------------------------------


def _decode(path: Path, sheet: str, locale: str) -> str:
    try:
        raw = path.read_bytes()
    except OSError as error:
        raise FileRefused(
            Problem(sheet, None, None, message("unreadable", locale, file=sheet))
        ) from error
    if not raw.strip():
        raise FileRefused(Problem(sheet, None, None, message("empty", locale, sheet=sheet)))
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            text = raw.decode(encoding)
        except UnicodeDecodeError:
            continue
        if "\x00" not in text:
            return text
    raise FileRefused(Problem(sheet, None, None, message("encoding", locale)))


def _fields(line: str) -> list[str]:
    if "," in line or "，" in line:
        return [part.strip() for part in re.split(r"[,，]", line)]
    return line.split()


def _number(text: str) -> float | None:
    try:
        value = float(text)
    except ValueError:
        return None
    return value if np.isfinite(value) else None


def _parse_lines(
    text: str, stem: str, sheet: str, locale: str
) -> tuple[dict[str, str], list[_Parcel], list[Problem]]:
    header: dict[str, str] = {}
    parcels: list[_Parcel] = []
    problems: list[Problem] = []
    section = ""
    current: _Parcel | None = None
    for number, raw_line in enumerate(text.splitlines(), start=1):
        line = raw_line.strip()
        if not line:
            continue
        if line.startswith("[") and line.endswith("]"):
            section = line[1:-1].strip()
            continue
        if section == "属性描述":
            key, sep, value = line.replace("＝", "=").partition("=")
            if sep:
                header[key.strip()] = value.strip()
            continue
        fields = _fields(line)
        if fields[-1] == "@" or (len(fields) >= 5 and fields[4] in _KINDS):
            current = _parcel_line(fields, number, sheet, locale, problems)
            parcels.append(current)
            continue
        point = _point_line(fields, number)
        if point is None:
            if current is None and not parcels:
                continue  # a column header such as 点号,X,Y before the first point
            problems.append(
                Problem(
                    sheet,
                    number,
                    None,
                    say(
                        locale,
                        f"无法识别第 {number} 行“{line}”：应为 点号,圈号,X,Y 或 点号,X,Y",
                        f'line {number} "{line}" is not readable: expected '
                        "point,ring,X,Y or point,X,Y",
                    ),
                )
            )
            if current is not None:
                current.refused = True
            continue
        if current is None:
            current = _Parcel(line=None, parcel_id=stem, name=stem)
            parcels.append(current)
        current.points.append(point)
    return header, parcels, problems


def _parcel_line(
    fields: list[str], number: int, sheet: str, locale: str, problems: list[Problem]
) -> _Parcel:
    def get(i: int) -> str | None:
        value = fields[i] if i < len(fields) else ""
        return value if value and value != "@" else None

    parcel_id = get(2) or f"{number}"
    parcel = _Parcel(
        line=number,
        parcel_id=parcel_id,
        name=get(3) or parcel_id,
        kind=get(4),
        land_use=get(6),
    )
    count = _number(get(0) or "")
    parcel.count = int(count) if count is not None else None
    if get(1) is not None:
        parcel.declared_ha = _number(get(1) or "")
        if parcel.declared_ha is None:
            problems.append(
                Problem(
                    sheet,
                    number,
                    "地块面积",
                    say(
                        locale,
                        f"地块面积“{get(1)}”不是数字，未核对面积",
                        f'the parcel area "{get(1)}" is not a number; the area is not checked',
                    ),
                    WARNING,
                )
            )
    if parcel.kind in ("线", "点"):
        parcel.refused = True
        problems.append(
            Problem(
                sheet,
                number,
                "图形属性",
                say(
                    locale,
                    f"地块 {parcel_id} 的图形属性是“{parcel.kind}”，不是面，不能作为地块导入",
                    f"parcel {parcel_id} is a {'line' if parcel.kind == '线' else 'point'} "
                    "feature, not an area; it cannot be imported as a parcel",
                ),
            )
        )
    return parcel


def _point_line(fields: list[str], number: int) -> _Point | None:
    values = [_number(f) for f in fields]
    if len(fields) >= 4 and _RING_NUMBER.match(fields[1]) and None not in values[2:4]:
        return _Point(number, fields[0], int(fields[1]), values[2], values[3])  # type: ignore[arg-type]
    if len(fields) >= 3 and None not in values[1:3]:
        return _Point(number, fields[0], 1, values[1], values[2])  # type: ignore[arg-type]
    if len(fields) == 2 and None not in values:
        return _Point(number, str(number), 1, values[0], values[1])  # type: ignore[arg-type]
    return None


def _check_header(header: dict[str, str], sheet: str, locale: str) -> None:
    system = header.get("坐标系", "")
    if system and "2000" not in system and "CGCS" not in system.upper():
        raise FileRefused(
            Problem(
                sheet,
                None,
                "坐标系",
                say(
                    locale,
                    f"坐标系是“{system}”，只能导入 2000 国家大地坐标系（CGCS2000）的坐标；"
                    "请先转换到 CGCS2000",
                    f'the coordinate system is "{system}"; only CGCS2000 coordinates can be '
                    "imported; convert them to CGCS2000 first",
                ),
            )
        )
    unit = header.get("计量单位", "")
    if unit and unit.lower() not in ("米", "m", "meter", "metre", "meters", "metres"):
        raise FileRefused(
            Problem(
                sheet,
                None,
                "计量单位",
                say(
                    locale,
                    f"计量单位是“{unit}”，坐标须以米为单位",
                    f'the unit is "{unit}"; coordinates must be in metres',
                ),
            )
        )


def _header_zone(header: dict[str, str]) -> tuple[int | None, int]:
    band = _number(header.get("几度分带", "3") or "3")
    band_width = 6 if band == 6 else 3
    zone = _number(header.get("带号", ""))
    meridian = _number(header.get("中央经线", "") or header.get("中央子午线", ""))
    if zone is not None and zone >= 72 and band_width == 3:
        meridian, zone = zone, None  # 带号=108: a central meridian written as the zone
    if zone is None and meridian is not None:
        zone = round(meridian / 3) if band_width == 3 else round((meridian + 3) / 6)
    return (int(zone) if zone is not None else None), band_width


# --- checking and building --------------------------------------------------------------------


def _orient(
    parcels: list[_Parcel],
    points: list[_Point],
    sheet: str,
    locale: str,
    problems: list[Problem],
) -> tuple[np.ndarray, np.ndarray]:
    """Eastings and northings of every point; lines that fit neither axis order are refused."""
    first = np.array([p.x for p in points])
    second = np.array([p.y for p in points])
    order = axis_order(first, second)
    if not np.any(order):
        orient_axes(first, second, sheet=sheet, locale=locale)  # raises FileRefused
    direction = 1 if (order == 1).sum() >= (order == -1).sum() else -1
    eastings, northings = (second, first) if direction == 1 else (first, second)
    prefix_majority = (eastings[order == direction] >= 10_000_000).mean() >= 0.5
    owner = {id(p): parcel for parcel in parcels for p in parcel.points}
    for point, how, easting in zip(points, order, eastings, strict=True):
        if how == direction and (easting >= 10_000_000) == prefix_majority:
            continue
        if how == direction:
            zh = "此点东坐标的带号写法与其他点不同（有的带带号、有的不带）"
            en = "this easting differs from the others in carrying a zone prefix or not"
        else:
            zh = (
                "坐标不像高斯-克吕格平面坐标"
                "（X 北坐标约 200 万–600 万米，Y 东坐标约 50 万米或带带号）"
            )
            en = (
                "not a Gauss-Krüger coordinate (X northing about 2,000,000–6,000,000 m, "
                "Y easting about 500,000 m or with a zone prefix)"
            )
        problems.append(
            Problem(
                sheet,
                point.line,
                None,
                say(
                    locale,
                    f"第 {point.line} 行点 {point.pid}（X={point.x}，Y={point.y}）：{zh}",
                    f"line {point.line}, point {point.pid} (X={point.x}, Y={point.y}): {en}",
                ),
            )
        )
        owner[id(point)].refused = True
    good = order == direction
    if direction == -1:
        problems.extend(orient_axes(first[good], second[good], sheet=sheet, locale=locale)[2])
    return eastings, northings


def _parcel_problem(parcel: _Parcel, sheet: str, reason: str, severity: str = ERROR) -> Problem:
    row = parcel.line if parcel.line is not None else parcel.points[0].line
    return Problem(sheet, row, None, reason, severity)  # type: ignore[arg-type]


def _build(
    parcel: _Parcel,
    eastings: np.ndarray,
    northings: np.ndarray,
    sheet: str,
    locale: str,
    repair: bool,
    problems: list[Problem],
) -> Polygon | MultiPolygon | None:
    """The parcel's polygon in GK metres (easting, northing), or None if it is refused."""
    rings: dict[int, list[_Point]] = {}
    for point in parcel.points:
        rings.setdefault(point.ring, []).append(point)
    coords: dict[int, np.ndarray] = {}
    for ring, points in rings.items():
        first, last = points[0], points[-1]
        xy = np.column_stack(
            [eastings[[p.index for p in points]], northings[[p.index for p in points]]]
        )
        if len(points) < 4:
            reason = say(
                locale,
                f"第 {last.line} 行：地块 {parcel.parcel_id} 第 {ring} 圈只有 {len(points)} 个点，"
                "至少需要 4 个（含与首点相同的闭合点）",
                f"line {last.line}: ring {ring} of parcel {parcel.parcel_id} has only "
                f"{len(points)} points; at least 4 are needed (including the closing point)",
            )
        elif np.hypot(*(xy[0] - xy[-1])) > CLOSE_TOLERANCE_M:
            reason = say(
                locale,
                f"第 {last.line} 行：地块 {parcel.parcel_id} 第 {ring} 圈未闭合——末点 {last.pid} "
                f"与第 {first.line} 行的首点 {first.pid} 坐标不同；请在末尾补上与首点相同的闭合点",
                f"line {last.line}: ring {ring} of parcel {parcel.parcel_id} is not closed — "
                f"the last point {last.pid} differs from the first point {first.pid} on line "
                f"{first.line}; end the ring with a copy of its first point",
            )
        else:
            coords[ring] = xy
            continue
        problems.append(Problem(sheet, last.line, None, reason))
        parcel.refused = True
    if parcel.refused:
        return None

    if parcel.count is not None:
        n = len(parcel.points)
        if parcel.count not in (n, n - len(rings)):
            problems.append(
                _parcel_problem(
                    parcel,
                    sheet,
                    say(
                        locale,
                        f"地块 {parcel.parcel_id} 声明 {parcel.count} 个界址点，实际有 {n} 个",
                        f"parcel {parcel.parcel_id} declares {parcel.count} points but has {n}",
                    ),
                    WARNING,
                )
            )

    shells: list[np.ndarray] = []
    holes: list[list[np.ndarray]] = []
    for ring in sorted(coords):
        xy = coords[ring]
        inside = next(
            (
                i
                for i, shell in enumerate(shells)
                if ring > 1 and np.all(shapely.intersects_xy(Polygon(shell), xy[:, 0], xy[:, 1]))
            ),
            None,
        )
        if inside is None:
            shells.append(xy)
            holes.append([])
        else:
            holes[inside].append(xy)
    parts = [Polygon(shell, inner) for shell, inner in zip(shells, holes, strict=True)]
    geom: Polygon | MultiPolygon = parts[0] if len(parts) == 1 else MultiPolygon(parts)

    reason = invalid_reason(geom, locale)
    if reason is None:
        return geom
    fixed = _polygonal(shapely.make_valid(geom))
    if fixed is None:
        problems.append(
            _parcel_problem(
                parcel,
                sheet,
                say(
                    locale,
                    f"地块 {parcel.parcel_id} 图形无效：{reason}，无法自动修复",
                    f"parcel {parcel.parcel_id} is not a valid shape: {reason}; it cannot be "
                    "repaired automatically",
                ),
            )
        )
        return None
    fixed_mu = fixed.area / SQUARE_METRES_PER_MU
    if repair:
        zh = f"已用 make_valid 修复为 {fixed_mu:.2f} 亩的有效图形"
        en = f"repaired with make_valid into a valid shape of {fixed_mu:.2f} mu"
    else:
        zh = f"原样保留；可选择修复（make_valid），修复后为 {fixed_mu:.2f} 亩"
        en = f"kept as drawn; a repair (make_valid) would give {fixed_mu:.2f} mu"
    problems.append(
        _parcel_problem(
            parcel,
            sheet,
            say(
                locale,
                f"地块 {parcel.parcel_id} 图形无效：{reason}；{zh}",
                f"parcel {parcel.parcel_id} is not a valid shape: {reason}; {en}",
            ),
            WARNING,
        )
    )
    return fixed if repair else geom


def _polygonal(geom: shapely.Geometry) -> Polygon | MultiPolygon | None:
    """The areal part of a make_valid result, or None if nothing with an area is left."""
    parts = [
        part
        for part in shapely.get_parts(geom)
        if isinstance(part, Polygon | MultiPolygon) and part.area > 0
    ]
    polygons = [p for part in parts for p in shapely.get_parts(part)]
    if not polygons:
        return None
    return polygons[0] if len(polygons) == 1 else MultiPolygon(polygons)


def _frame(kept: list[tuple[_Parcel, shapely.Geometry]]) -> gpd.GeoDataFrame:
    data = {
        "parcel_id": [parcel.parcel_id for parcel, _ in kept],
        "name": [parcel.name for parcel, _ in kept],
        "land_use": [parcel.land_use for parcel, _ in kept],
        "declared_area_mu": [
            round(parcel.declared_ha * 15, 4) if parcel.declared_ha is not None else np.nan
            for parcel, _ in kept
        ],
    }
    frame = gpd.GeoDataFrame(data, geometry=[geom for _, geom in kept], crs=4326)
    frame["area_mu"] = area_mu(frame) if len(frame) else np.array([], dtype=float)
    return frame[[*COLUMNS, "geometry"]]


def _check_areas(
    frame: gpd.GeoDataFrame,
    kept: list[tuple[_Parcel, shapely.Geometry]],
    sheet: str,
    locale: str,
    tolerance: float,
    problems: list[Problem],
) -> None:
    for (parcel, _), declared, computed in zip(
        kept, frame["declared_area_mu"], frame["area_mu"], strict=True
    ):
        if not np.isfinite(declared) or declared <= 0 or computed <= 0:
            continue
        gap = abs(declared - computed) / computed
        if gap <= tolerance:
            continue
        problems.append(
            Problem(
                sheet,
                parcel.line if parcel.line is not None else parcel.points[0].line,
                "地块面积",
                say(
                    locale,
                    f"地块 {parcel.parcel_id} 申报面积 {declared:.2f} 亩"
                    f"（{parcel.declared_ha} 公顷）"
                    f"与按坐标计算的 {computed:.2f} 亩相差 {gap:.1%}，超过 {tolerance:.0%}",
                    f"parcel {parcel.parcel_id}: the declared area {declared:.2f} mu "
                    f"({parcel.declared_ha} ha) differs from the {computed:.2f} mu computed from "
                    f"its coordinates by {gap:.1%}, more than {tolerance:.0%}",
                ),
                WARNING,
            )
        )
