"""GIS files → features in WGS84: Shapefile (.shp or a .zip), GeoPackage, KML/KMZ, via pyogrio.

A ZIP is checked before anything is extracted (member count, total size, compression ratio,
path traversal, encryption) and extracted into a temporary directory that is removed after
reading. The file's CRS is used; ``source_crs`` only fills in a missing one. Features keep the
file's attributes; the index is the feature's position, so ``row`` = index + 1.
"""

from __future__ import annotations

import codecs
import tempfile
import warnings
import zipfile
from pathlib import Path

import geopandas as gpd
import numpy as np
import pyogrio
import shapely
from pyproj import CRS
from pyproj.exceptions import CRSError

from geoapp.imports.archives import check_members, member_name
from geoapp.imports.crs import (
    ERROR,
    WARNING,
    detect_gk,
    from_gcj02,
    invalid_reason,
    outside_china,
    say,
)
from geoapp.imports.problems import FileRefused, Problem, join, message

_CHUNK = 1024 * 1024
_SUFFIXES = (".shp", ".gpkg", ".kml", ".geojson", ".json")  # preference inside a ZIP


def read_gis(
    path: str | Path,
    *,
    layer: str | None = None,
    source_crs: object = None,
    gcj02: bool = False,
    locale: str = "zh",
) -> tuple[gpd.GeoDataFrame, list[Problem]]:
    """Features of a Shapefile, GeoPackage or KML in EPSG:4326, and the problems found.

    ``layer`` names the GeoPackage/KML layer or the shapefile inside a ZIP (default: the
    first). ``source_crs`` (anything pyproj accepts, e.g. 4545) is used when the file has no
    CRS. ``gcj02=True`` shifts lon/lat data copied from AMap/Tencent back to WGS84. Features
    with errors (no geometry, outside China, unrepairable) are left out; the index keeps each
    feature's position. Raises :class:`FileRefused` for anything that cannot be read.
    """
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix in (".zip", ".kmz"):
        with tempfile.TemporaryDirectory(prefix="geoapp-import-") as folder:
            dataset = _extract(path, Path(folder), layer, locale)
            inner_layer = None if dataset.suffix.lower() == ".shp" else layer
            return _read(dataset, inner_layer, source_crs, gcj02, locale)
    if suffix in _SUFFIXES:
        if not path.is_file():
            raise _refused(path.name, message("unreadable", locale, file=path.name))
        return _read(path, layer, source_crs, gcj02, locale)
    raise _refused(
        path.name,
        say(
            locale,
            f"不支持的文件类型“{suffix or path.name}”：请上传 GeoJSON、Shapefile（.zip 或 .shp）、"
            "GeoPackage（.gpkg）或 KML/KMZ",
            f'unsupported file type "{suffix or path.name}": upload GeoJSON, a Shapefile (.zip or '
            ".shp), a GeoPackage (.gpkg) or KML/KMZ",
        ),
    )


def _refused(sheet: str, reason: str) -> FileRefused:
    return FileRefused(Problem(sheet, None, None, reason, ERROR))


# --- ZIP --------------------------------------------------------------------------------------


def _extract(path: Path, folder: Path, layer: str | None, locale: str) -> Path:
    sheet = path.name

    def refuse(zh: str, en: str) -> FileRefused:
        return _refused(sheet, say(locale, zh, en))

    try:
        archive = zipfile.ZipFile(path)
    except (zipfile.BadZipFile, OSError, ValueError) as error:
        raise refuse(
            f"“{sheet}”不是有效的 ZIP 压缩包，可能已损坏",
            f'"{sheet}" is not a valid ZIP archive; it may be damaged',
        ) from error
    with archive:
        infos = archive.infolist()
        check_members(infos, refuse)
        try:
            for info in infos:
                if not info.is_dir():
                    _copy_member(archive, info, folder / member_name(info), refuse)
        except (zipfile.BadZipFile, OSError, EOFError, NotImplementedError) as error:
            raise refuse(
                f"压缩包“{sheet}”已损坏，无法解压",
                f'the archive "{sheet}" is damaged and cannot be unpacked',
            ) from error
    return _pick_dataset(folder, layer, sheet, locale)


def _copy_member(archive: zipfile.ZipFile, info: zipfile.ZipInfo, target: Path, refuse) -> None:
    """Unpack one member, never writing more bytes than its header declared."""
    target.parent.mkdir(parents=True, exist_ok=True)
    written = 0
    with archive.open(info) as source, open(target, "wb") as sink:
        while chunk := source.read(_CHUNK):
            written += len(chunk)
            if written > info.file_size:
                raise refuse(
                    "压缩包内的文件比声明的更大，疑似 ZIP 炸弹，拒绝解压",
                    "a member unpacks to more than its declared size (a ZIP bomb?); refused",
                )
            sink.write(chunk)


def _pick_dataset(folder: Path, layer: str | None, sheet: str, locale: str) -> Path:
    found = [
        file
        for file in sorted(folder.rglob("*"))
        if file.is_file()
        and "__MACOSX" not in file.parts
        and not file.name.startswith("._")
        and file.suffix.lower() in _SUFFIXES
    ]
    if not found:
        raise _refused(
            sheet,
            say(
                locale,
                "压缩包里没有 .shp、.gpkg 或 .kml 文件",
                "the archive holds no .shp, .gpkg or .kml file",
            ),
        )
    found.sort(key=lambda file: _SUFFIXES.index(file.suffix.lower()))
    shapefiles = [file for file in found if file.suffix.lower() == ".shp"]
    if layer is not None and shapefiles:
        named = [file for file in shapefiles if file.stem == layer]
        if not named:
            names = join([file.stem for file in shapefiles], locale)
            raise _refused(
                sheet,
                say(
                    locale,
                    f"压缩包里没有名为“{layer}”的 Shapefile；现有：{names}",
                    f'the archive has no shapefile named "{layer}"; it has: {names}',
                ),
            )
        found = named
    dataset = found[0]
    if dataset.suffix.lower() == ".shp":
        present = {file.suffix.lower() for file in dataset.parent.glob(f"{dataset.stem}.*")}
        missing = [ext for ext in (".dbf", ".shx") if ext not in present]
        if missing:
            raise _refused(
                sheet,
                say(
                    locale,
                    f"Shapefile“{dataset.stem}”缺少 {join(missing, locale)} 文件；"
                    "请把同名的 .shp、.shx、.dbf、.prj 一起压缩上传",
                    f'the shapefile "{dataset.stem}" lacks its {join(missing, locale)} file; '
                    "zip the .shp, .shx, .dbf and .prj of the same name together",
                ),
            )
    return dataset


# --- reading ----------------------------------------------------------------------------------


def _dbf_encoding(shp: Path) -> str | None:
    """GB18030 or UTF-8 for a DBF without .cpg or code page byte, guessed from its bytes."""
    if any(shp.with_suffix(ext).exists() for ext in (".cpg", ".CPG")):
        return None
    dbf = next(
        (shp.with_suffix(ext) for ext in (".dbf", ".DBF") if shp.with_suffix(ext).exists()), None
    )
    if dbf is None:
        return None
    with open(dbf, "rb") as handle:
        head = handle.read(32)
        if len(head) < 32 or head[29] != 0:
            return None  # GDAL reads the code page byte itself
        header_size = int.from_bytes(head[8:10], "little")
        descriptors = handle.read(max(header_size - 32, 0))
        records = handle.read(4 * _CHUNK)
    names = b" ".join(
        descriptors[i : i + 11].split(b"\0")[0] for i in range(0, len(descriptors) - 31, 32)
    )
    sample = names + b" " + records  # text only: descriptors also hold binary sizes
    if sample.isascii():
        return None
    for encoding in ("utf-8", "gb18030"):
        try:
            codecs.getincrementaldecoder(encoding)().decode(sample, final=False)
        except UnicodeDecodeError:
            continue
        return encoding.upper()
    return None


def _read(
    dataset: Path, layer: str | None, source_crs: object, gcj02: bool, locale: str
) -> tuple[gpd.GeoDataFrame, list[Problem]]:
    sheet = dataset.name
    problems: list[Problem] = []
    corrupt = say(
        locale,
        f"无法读取“{sheet}”：文件已损坏或不是有效的 GIS 文件",
        f'"{sheet}" cannot be read: the file is damaged or not a valid GIS file',
    )
    try:
        layers = [str(name) for name in pyogrio.list_layers(dataset)[:, 0]]
    except Exception as error:  # GDAL's own errors: never show them raw
        raise _refused(sheet, corrupt) from error
    if not layers:
        raise _refused(sheet, message("empty", locale, sheet=sheet))
    if layer is not None and layer not in layers:
        raise _refused(
            sheet,
            say(
                locale,
                f"“{sheet}”中没有名为“{layer}”的图层；现有图层：{join(layers, locale)}",
                f'"{sheet}" has no layer named "{layer}"; its layers are: {join(layers, locale)}',
            ),
        )
    name = layer or layers[0]
    if layer is None and len(layers) > 1:
        problems.append(
            Problem(
                name,
                None,
                None,
                say(
                    locale,
                    f"文件有 {len(layers)} 个图层，只读取了第一个“{name}”；"
                    f"其他图层：{join(layers[1:], locale)}",
                    f'the file has {len(layers)} layers; only the first, "{name}", was read; '
                    f"the others: {join(layers[1:], locale)}",
                ),
                WARNING,
            )
        )
    encoding = _dbf_encoding(dataset) if dataset.suffix.lower() == ".shp" else None
    try:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            frame = pyogrio.read_dataframe(dataset, layer=name, encoding=encoding)
    except Exception as error:
        raise _refused(sheet, corrupt) from error
    for warning in caught:
        if issubclass(warning.category, DeprecationWarning | ResourceWarning):
            continue
        problems.append(
            Problem(
                name,
                None,
                None,
                say(locale, f"读取时的提示：{warning.message}", f"reading: {warning.message}"),
                WARNING,
            )
        )
    if frame.empty:
        raise _refused(sheet, message("empty", locale, sheet=name))
    frame = _to_wgs84(frame, source_crs, name, locale, problems)
    if gcj02:
        frame = frame.set_geometry(from_gcj02(frame.geometry))
    return _check_features(frame, name, locale, problems), problems


def _to_wgs84(
    frame: gpd.GeoDataFrame, source_crs: object, sheet: str, locale: str, problems: list[Problem]
) -> gpd.GeoDataFrame:
    given = None
    if source_crs is not None:
        try:
            given = CRS.from_user_input(source_crs)
        except CRSError as error:
            raise _refused(
                sheet,
                say(
                    locale,
                    f"无法识别指定的坐标系“{source_crs}”",
                    f'the coordinate system "{source_crs}" is not recognised',
                ),
            ) from error
    if frame.crs is None:
        if given is None:
            raise _refused(
                sheet,
                say(
                    locale,
                    "文件没有坐标系（Shapefile 缺少 .prj）：请指定坐标系，"
                    "例如 EPSG:4545（CGCS2000 3 度带 中央经线 108°）",
                    "the file has no coordinate system (a shapefile without .prj): give one, "
                    "e.g. EPSG:4545 (CGCS2000 3-degree GK, central meridian 108° E)",
                ),
            )
        frame = frame.set_crs(given)
    elif given is not None and not frame.crs.equals(given):
        problems.append(
            Problem(
                sheet,
                None,
                None,
                say(
                    locale,
                    f"文件自带坐标系 {frame.crs.name}，未使用指定的坐标系 {given.name}",
                    f"the file declares {frame.crs.name}; the given {given.name} is not used",
                ),
                WARNING,
            )
        )
    flat = shapely.force_2d(np.asarray(frame.geometry.values, dtype=object))
    frame = frame.set_geometry(gpd.GeoSeries(flat, index=frame.index, crs=frame.crs))
    minx, miny, maxx, maxy = frame.total_bounds
    beyond = max(abs(minx), abs(maxx)) > 180 or max(abs(miny), abs(maxy)) > 90
    if frame.crs.is_geographic and np.isfinite(minx) and beyond:
        raise _refused(
            sheet,
            say(
                locale,
                "文件声明的坐标系是经纬度，但坐标值是以米为单位的平面坐标；请检查 .prj",
                "the file declares longitude/latitude but its coordinates are metres; "
                "check its .prj",
            ),
        )
    frame = _fix_zone_prefix(frame, sheet, locale, problems)
    return frame.to_crs(4326)


def _fix_zone_prefix(
    frame: gpd.GeoDataFrame, sheet: str, locale: str, problems: list[Problem]
) -> gpd.GeoDataFrame:
    """A CGCS2000 GK .prj with / without zone prefix while the eastings say otherwise."""
    epsg = frame.crs.to_epsg()
    if epsg is None or not 4513 <= epsg <= 4554:
        return frame
    minx, _miny, maxx, _maxy = frame.total_bounds
    prefixed_crs = epsg <= 4533
    if not np.isfinite(minx) or (minx >= 10_000_000) == prefixed_crs:
        return frame
    zone = epsg - (4513 if prefixed_crs else 4534) + 25
    try:
        actual = detect_gk([minx, maxx], [], 3 * zone, sheet=sheet, locale=locale)
    except FileRefused:
        return frame
    problems.append(
        Problem(
            sheet,
            None,
            None,
            say(
                locale,
                f"文件声明 EPSG:{epsg}，但东坐标{'不带' if prefixed_crs else '带'}带号；"
                f"按 EPSG:{actual} 读取",
                f"the file declares EPSG:{epsg} but its eastings "
                f"{'lack' if prefixed_crs else 'carry'} the zone prefix; read as EPSG:{actual}",
            ),
            WARNING,
        )
    )
    return frame.set_crs(actual, allow_override=True)


def _check_features(
    frame: gpd.GeoDataFrame, sheet: str, locale: str, problems: list[Problem]
) -> gpd.GeoDataFrame:
    geoms = np.asarray(frame.geometry.values, dtype=object)
    missing = shapely.is_missing(geoms) | shapely.is_empty(geoms)
    away = outside_china(geoms) & ~missing
    drop = missing | away
    for position, geom in enumerate(geoms):
        row = position + 1
        if missing[position]:
            problems.append(
                Problem(
                    sheet,
                    row,
                    "geometry",
                    say(locale, f"第 {row} 个要素没有图形", f"feature {row} has no geometry"),
                )
            )
            continue
        if away[position]:
            problems.append(
                Problem(
                    sheet,
                    row,
                    "geometry",
                    say(
                        locale,
                        f"第 {row} 个要素不在中国范围内，请检查坐标系",
                        f"feature {row} lies outside China; check the coordinate system",
                    ),
                )
            )
            continue
        reason = invalid_reason(geom, locale)
        if reason is None:
            continue
        fixed = shapely.make_valid(geom)
        repairable = shapely.get_dimensions(fixed) == shapely.get_dimensions(geom)
        problems.append(
            Problem(
                sheet,
                row,
                "geometry",
                say(
                    locale,
                    f"第 {row} 个要素图形无效：{reason}"
                    + ("；可用 make_valid 修复" if repairable else "，无法自动修复"),
                    f"feature {row} is not a valid geometry: {reason}"
                    + ("; make_valid can repair it" if repairable else "; it cannot be repaired"),
                ),
                WARNING if repairable else ERROR,
            )
        )
        drop[position] = not repairable
    return frame.loc[~drop]
