"""Exports of one layer's filtered selection: CSV, XLSX, GeoJSON and GeoPackage.

The rows are exactly those the map and the API show for the same filter, with every field the
audience may see, in declaration order. Two kinds of output:

- for people (CSV, XLSX): headers are the field labels with their units in the request's
  language (``总投资（万元）``), enum values are their labels (``在建``), dates are
  ``YYYY-MM-DD``; points get lon/lat columns, other geometries a WKT column. The CSV starts
  with a BOM so Excel reads it as UTF-8; the XLSX keeps money as numbers and dates as dates,
  and a second sheet lists the filter, the export time and the row count.
- for GIS (GeoJSON, GeoPackage): raw values under the field names, dates as dates.

CSV and GeoJSON are generators that read the store a page at a time (``PAGE_SIZE`` rows), so
a large export never sits in memory whole. Everything request-bound (locale, translated texts,
area names) is resolved into an ``ExportJob`` first: the generators need no request context.

Text cells that a spreadsheet would run as a formula (``=…``, ``+…``, ``-…``, ``@…``) are
written as text: quoted with ``'`` in CSV (the usual CSV-injection guard), typed as strings
in XLSX (the value itself unchanged).
"""

from __future__ import annotations

import csv
import io
import json
import math
import re
import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from datetime import date, datetime
from pathlib import Path
from typing import IO, Any
from urllib.parse import quote

import geopandas as gpd
import numpy as np
import pandas as pd
import pyarrow as pa
import pyogrio
import shapely
from flask_babel import gettext as _

from geoapp.catalog import AreaChoices
from geoapp.layers import FieldDef, LayerDef
from geoapp.query import AREA_PARAMS, SHAPE_PARAMS, MapFilter
from geoapp.stores.base import Store

PAGE_SIZE = 5_000
XLSX_MAX_ROWS = 1_048_576 - 1  # one sheet, less the header row
XLSX_MAX_CELL = 32_767  # characters in one cell
MAX_NAME = 120  # characters in a download's file name
MONEY_FORMAT = "#,##0"
DATE_FORMAT = "yyyy-mm-dd"
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
_UNSAFE_NAME = re.compile(r'[\\/:*?"<>|\x00-\x1f\x7f]+')
_XLSX_ILLEGAL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")


@dataclass(frozen=True)
class Format:
    mimetype: str
    streamed: bool  # a generator of chunks (else written to a file first)


FORMATS = {
    "csv": Format("text/csv", True),  # werkzeug adds "; charset=utf-8"
    "xlsx": Format("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", False),
    "geojson": Format("application/geo+json", True),
    "gpkg": Format("application/geopackage+sqlite3", False),
}


@dataclass(frozen=True)
class Texts:
    """The export's own words in the request's language (resolved while it is known)."""

    lon: str
    lat: str
    wkt: str
    filter_sheet: str
    parameter: str
    value: str
    meaning: str
    no_filter: str
    layer: str
    exported_at: str
    rows: str
    total: str

    @classmethod
    def current(cls) -> Texts:
        return cls(
            lon=_("Longitude"),
            lat=_("Latitude"),
            wkt=_("Geometry (WKT)"),
            filter_sheet=_("Filter conditions"),
            parameter=_("Parameter"),
            value=_("Value"),
            meaning=_("Meaning"),
            no_filter=_("(none: every feature of the layer)"),
            layer=_("Layer"),
            exported_at=_("Exported at"),
            rows=_("Rows"),
            total=_("Total"),
        )


@dataclass(frozen=True)
class ExportJob:
    """Everything an export needs, with nothing bound to the request."""

    store: Store
    layer: LayerDef
    flt: MapFilter
    fields: list[FieldDef]  # the columns, in declaration order
    locale: str
    texts: Texts
    filters: list[tuple[str, str, str]]  # (parameter, value, meaning) of each applied filter
    exported_at: datetime
    page_size: int = PAGE_SIZE
    area_names: dict[str, str] = field(default_factory=dict)  # county / park code → name

    @property
    def point(self) -> bool:
        return self.layer.geometry == "point"

    def headers(self) -> list[str]:
        """Field labels with their units, then lon/lat (points) or WKT."""
        names = [header(f, self.locale) for f in self.fields]
        return names + ([self.texts.lon, self.texts.lat] if self.point else [self.texts.wkt])

    def pages(self) -> Iterator[gpd.GeoDataFrame]:
        """The matching rows, ``page_size`` at a time, in stored order (always one page)."""
        query = self.flt.query_for(self.layer, [f.name for f in self.fields])
        offset = 0
        while True:
            page = self.store.read(
                self.layer.table, replace(query, offset=offset, limit=self.page_size)
            )
            yield page
            if len(page) < self.page_size:
                return
            offset += self.page_size


def make_job(
    store: Store,
    layer: LayerDef,
    flt: MapFilter,
    audience: str,
    locale: str,
    areas: AreaChoices,
    now: datetime | None = None,
) -> ExportJob:
    """Call within the request: labels, texts and area names are resolved here."""
    visible = set(layer.visible_fields(audience))
    texts = Texts.current()
    return ExportJob(
        store=store,
        layer=layer,
        flt=flt,
        fields=[f for name, f in layer.fields.items() if name in visible],
        locale=locale,
        texts=texts,
        filters=[
            (param, value, describe(layer, param, value, locale, areas))
            for param, value in applied_args(layer, flt)
        ],
        exported_at=(now or datetime.now().astimezone()).replace(microsecond=0),
        page_size=PAGE_SIZE,
        area_names={c.code: c.name for c in (*areas.counties, *areas.parks)},
    )


def header(field_def: FieldDef, locale: str) -> str:
    """``总投资（万元）`` in Chinese, ``Total investment (10k CNY)`` in English."""
    label = field_def.label(locale)
    if field_def.unit is None:
        return label
    unit = field_def.unit(locale)
    return f"{label}（{unit}）" if locale == "zh" else f"{label} ({unit})"


def is_money(field_def: FieldDef) -> bool:
    return field_def.type == "number" and field_def.unit is not None and "元" in field_def.unit.zh


def applied_args(layer: LayerDef, flt: MapFilter) -> list[tuple[str, str]]:
    """The filter's URL arguments that narrow this layer, in ``to_args`` order."""
    ranged = {f"{name}_{end}" for name in layer.ranges for end in ("min", "max")}

    def applies(param: str) -> bool:
        if param in AREA_PARAMS:
            return param in layer.area
        if param == "q":
            return bool(layer.search)
        return param in SHAPE_PARAMS or param in layer.filters or param in ranged

    return [(p, v) for p, v in flt.to_args().items(multi=True) if applies(p)]


def describe(layer: LayerDef, param: str, value: str, locale: str, areas: AreaChoices) -> str:
    """What a filter argument means, in words: ``建设阶段：在建``, ``总投资 ≥ 1000 万元``."""
    colon = "：" if locale == "zh" else ": "
    if param in AREA_PARAMS:
        label = layer.fields[layer.area[param]].label(locale)
        return f"{label}{colon}{areas.name_of(value) or value}"
    if param in layer.fields:
        field_def = layer.fields[param]
        known = field_def.value(value)
        shown = known.label(locale) if known else value
        return f"{field_def.label(locale)}{colon}{shown}"
    name, _sep, end = param.rpartition("_")
    if end in ("min", "max") and name in layer.fields:
        field_def = layer.fields[name]
        unit = f" {field_def.unit(locale)}" if field_def.unit else ""
        return f"{field_def.label(locale)} {'≥' if end == 'min' else '≤'} {value}{unit}"
    words = {
        "q": _("Search text"),
        "bbox": _("Map extent"),
        "within": _("Drawn area"),
        "near": _("Around a point (lon, lat, km)"),
    }
    return words.get(param, param)


# --- file names ------------------------------------------------------------------------------


def file_names(job: ExportJob, fmt: str, today: date) -> tuple[str, str]:
    """The download's name (title + filter + date) and its ASCII fallback (layer id instead).

    ``重点项目_county-610327_status-construction_20261125.xlsx``; a drawn area, box or circle
    is named by its parameter only. Characters not allowed in file names are dropped and the
    name is cut to ``MAX_NAME`` characters, keeping the date and extension.
    """
    grouped: dict[str, list[str]] = {}
    for param, value in applied_args(job.layer, job.flt):
        grouped.setdefault(param, []).append(value)
    parts = [p if p in SHAPE_PARAMS else f"{p}-{'+'.join(vs)}" for p, vs in grouped.items()]
    tail = f"_{today:%Y%m%d}.{fmt}"
    full = _name([job.layer.title(job.locale), *parts], tail)
    ascii_parts = [_ascii(p) for p in [job.layer.id, *parts]]
    return full, _name([p for p in ascii_parts if p], tail)


def _name(parts: list[str], tail: str) -> str:
    cleaned = [re.sub(r"\s+", "_", _UNSAFE_NAME.sub("", p)).strip("._") for p in parts]
    stem = "_".join(p for p in cleaned if p)[: MAX_NAME - len(tail)].rstrip("._-+")
    return f"{stem or 'export'}{tail}"


def _ascii(text: str) -> str:
    plain = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return plain.strip(" -_+")


def content_disposition(name: str, ascii_name: str) -> str:
    """RFC 6266 / 5987: an ASCII ``filename`` for old clients, the real one in ``filename*``."""
    return f"attachment; filename=\"{ascii_name}\"; filename*=UTF-8''{quote(name, safe='')}"


# --- values ----------------------------------------------------------------------------------


def _missing(value: Any) -> bool:
    if value is None or value is pd.NaT:
        return True
    try:
        return bool(pd.isna(value))
    except (TypeError, ValueError):
        return False


def _as_date(value: Any) -> date | None:
    if _missing(value):
        return None
    if isinstance(value, datetime):  # also pd.Timestamp
        return value.date()
    if isinstance(value, date):
        return value
    try:
        return date.fromisoformat(str(value)[:10])
    except ValueError:
        return None


def _numbers(column: pd.Series) -> list[float | int | None]:
    """Numbers as Python numbers (``1000``, not ``1000.0``); None if missing or infinite."""
    values = pd.to_numeric(column, errors="coerce").to_numpy(dtype="float64", na_value=np.nan)
    return [
        None if not math.isfinite(v) else int(v) if v.is_integer() and abs(v) < 2**53 else v
        for v in values.tolist()
    ]


def _dates(column: pd.Series) -> list[date | None]:
    if pd.api.types.is_datetime64_any_dtype(column):
        missing = column.isna().tolist()
        return [None if m else d for m, d in zip(missing, column.dt.date.tolist(), strict=True)]
    return [_as_date(v) for v in column.tolist()]


def _texts(column: pd.Series, labels: dict[str, str] | None = None) -> list[Any]:
    """Text as stored (``labels``: an enum key as its label, an unknown key as itself)."""
    missing = column.isna().tolist()
    values = column.astype(object).tolist()
    if labels is None:
        return [None if m else _plain(v) for m, v in zip(missing, values, strict=True)]
    return [None if m else labels.get(str(v), str(v)) for m, v in zip(missing, values, strict=True)]


def _plain(value: Any) -> Any:
    return value.item() if hasattr(value, "item") else value


def _columns(page: gpd.GeoDataFrame, job: ExportJob) -> list[list[Any]]:
    """Per output column, its typed values for people: text / number / date, then geometry."""
    columns = []
    for field_def in job.fields:
        column = page[field_def.name]
        if field_def.type == "number":
            columns.append(_numbers(column))
        elif field_def.type == "date":
            columns.append(_dates(column))
        elif field_def.name in _area_fields(job.layer):  # a county or park: its name too
            columns.append(_texts(column, _area_labels(job.area_names)))
        else:
            labels = {v.key: v.label(job.locale) for v in field_def.values}
            columns.append(_texts(column, labels))
    geoms = page.geometry.to_numpy()
    if job.point:
        lon, lat = _lon_lat(geoms)
        columns += [lon, lat]
    else:
        columns.append([_wkt(g) for g in geoms])
    return columns


def _area_fields(layer: LayerDef) -> set[str]:
    """The fields naming the county or park a feature lies in (not a park's own id)."""
    return set(layer.area.values()) - {layer.id_field}


def _area_labels(names: dict[str, str]) -> dict[str, str]:
    """``陇县（610327）``: the name people read, the code they file by."""
    return {code: f"{name}（{code}）" for code, name in names.items()}


def _lon_lat(geoms) -> tuple[list[float | None], list[float | None]]:
    """Coordinates of each point (a point on the surface of any other shape; None if empty)."""
    empty = shapely.is_missing(geoms) | shapely.is_empty(geoms)
    points = geoms.copy()
    others = ~empty & (shapely.get_type_id(geoms) != 0)
    points[others] = shapely.point_on_surface(geoms[others])
    lon, lat = shapely.get_x(points), shapely.get_y(points)
    return (
        [None if e else float(x) for e, x in zip(empty, lon, strict=True)],
        [None if e else float(y) for e, y in zip(empty, lat, strict=True)],
    )


def _wkt(geom) -> str | None:
    if geom is None or geom.is_empty:
        return None
    return shapely.to_wkt(geom, rounding_precision=7, trim=True)


# --- CSV -------------------------------------------------------------------------------------


def csv_chunks(job: ExportJob) -> Iterator[bytes]:
    """BOM + header, then one chunk per page of rows (UTF-8, CRLF lines as Excel expects)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(job.headers())
    yield ("\ufeff" + buffer.getvalue()).encode("utf-8")
    kinds = [f.type for f in job.fields]
    for page in job.pages():
        if page.empty:
            continue
        buffer.seek(0)
        buffer.truncate()
        columns = [
            _csv_column(values, kinds[i] if i < len(kinds) else "coordinate")
            for i, values in enumerate(_columns(page, job))
        ]
        writer.writerows(zip(*columns, strict=True))
        yield buffer.getvalue().encode("utf-8")


def _csv_column(values: list[Any], kind: str) -> list[str]:
    if kind in ("number", "coordinate"):
        return ["" if v is None else repr(v) if isinstance(v, float) else str(v) for v in values]
    if kind == "date":
        return ["" if v is None else v.isoformat() for v in values]
    return ["" if v is None else f"'{v}" if v.startswith(FORMULA_START) else v for v in values]


# --- XLSX ------------------------------------------------------------------------------------


def write_xlsx(job: ExportJob, target: IO[bytes]) -> int:
    """The rows on one sheet (bold frozen header, money '#,##0', real dates), the filter on a
    second; returns the number of rows written."""
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.styles import Font
    from openpyxl.utils import get_column_letter

    book = Workbook(write_only=True)
    sheet = book.create_sheet(sheet_title(job.layer.title(job.locale)))
    headers = job.headers()
    for i, text in enumerate(headers, start=1):
        sheet.column_dimensions[get_column_letter(i)].width = min(max(text_width(text), 10), 40)
    sheet.freeze_panes = "A2"
    bold = Font(bold=True)

    def cell(value: Any, number_format: str | None = None, font: Font | None = None):
        item = WriteOnlyCell(sheet, value)
        if isinstance(value, str):
            item.data_type = "s"  # never a formula, whatever the text starts with
        if number_format:
            item.number_format = number_format
        if font:
            item.font = font
        return item

    sheet.append([cell(text, font=bold) for text in headers])
    formats = [
        MONEY_FORMAT if is_money(f) else DATE_FORMAT if f.type == "date" else None
        for f in job.fields
    ]
    formats += [None] * (len(headers) - len(formats))
    count = 0
    sums = dict.fromkeys(job.layer.summary, 0.0)
    for page in job.pages():
        for name in sums:
            sums[name] += float(pd.to_numeric(page[name], errors="coerce").sum())
        columns = _columns(page, job)
        for row in zip(*columns, strict=True):
            values = [xlsx_value(v) for v in row]
            sheet.append(
                [
                    cell(v, fmt) if (fmt and v is not None) or _typed_by_excel(v) else v
                    for v, fmt in zip(values, formats, strict=True)
                ]
            )
        count += len(page)
    if sums and count:
        totals = [sums.get(f.name) for f in job.fields]
        totals[0] = job.texts.total
        sheet.append([cell(v, MONEY_FORMAT if i else None, bold) for i, v in enumerate(totals)])
    _filter_sheet(book, job, count, bold)
    book.save(target)
    return count


def _filter_sheet(book, job: ExportJob, count: int, bold) -> None:
    from openpyxl.cell import WriteOnlyCell

    texts = job.texts
    sheet = book.create_sheet(sheet_title(texts.filter_sheet))
    for letter, width in (("A", 18), ("B", 40), ("C", 40)):
        sheet.column_dimensions[letter].width = width

    def cell(value: Any, *, strong: bool = False, number_format: str | None = None):
        item = WriteOnlyCell(sheet, xlsx_value(value))
        if isinstance(value, str):
            item.data_type = "s"
        if strong:
            item.font = bold
        if number_format:
            item.number_format = number_format
        return item

    sheet.append([cell(t, strong=True) for t in (texts.parameter, texts.value, texts.meaning)])
    for param, value, meaning in job.filters:
        sheet.append([cell(param), cell(value), cell(meaning)])
    if not job.filters:
        sheet.append([cell(texts.no_filter)])
    sheet.append([])
    sheet.append([cell(texts.layer, strong=True), cell(job.layer.title(job.locale))])
    sheet.append(
        [
            cell(texts.exported_at, strong=True),
            cell(job.exported_at.replace(tzinfo=None), number_format="yyyy-mm-dd hh:mm:ss"),
            cell(job.exported_at.strftime("UTC%z")),
        ]
    )
    sheet.append([cell(texts.rows, strong=True), cell(count, number_format=MONEY_FORMAT)])


def xlsx_value(value: Any) -> Any:
    if isinstance(value, str):
        value = _XLSX_ILLEGAL.sub("", value)
        if len(value) > XLSX_MAX_CELL:  # a huge WKT: Excel refuses longer cells
            value = value[: XLSX_MAX_CELL - 1] + "…"
    return value


def _typed_by_excel(value: Any) -> bool:
    """Text openpyxl would store as a formula (``=…``) or an error (``#N/A``) unless told."""
    return isinstance(value, str) and value.startswith(("=", "#"))


def sheet_title(text: str) -> str:
    return re.sub(r"[\[\]:*?/\\]", "", text)[:31] or "Sheet"


def text_width(text: str) -> int:
    """Display width: CJK and full-width characters count two."""
    return sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in text) + 2


# --- GeoJSON ---------------------------------------------------------------------------------


def geojson_chunks(job: ExportJob) -> Iterator[bytes]:
    """A FeatureCollection written feature by feature: raw values under the field names."""
    head = {"type": "FeatureCollection", "name": job.layer.id}
    yield (json.dumps(head, ensure_ascii=False)[:-1] + ', "features": [\n').encode("utf-8")
    names = [f.name for f in job.fields]
    first = True
    for page in job.pages():
        if page.empty:
            continue
        geoms = page.geometry.to_numpy()
        shapes = shapely.to_geojson(geoms)
        empty = shapely.is_missing(geoms) | shapely.is_empty(geoms)
        rows = zip(*[_raw(page[f.name], f.type) for f in job.fields], strict=True)
        parts = []
        for fid, row, shape, blank in zip(page.index, rows, shapes, empty, strict=True):
            text = json.dumps(dict(zip(names, row, strict=True)), ensure_ascii=False)
            parts.append(
                f'{{"type": "Feature", "id": {int(fid)}, "properties": {text}, '
                f'"geometry": {"null" if blank else shape}}}'
            )
        chunk = ",\n".join(parts)
        yield (chunk if first else ",\n" + chunk).encode("utf-8")
        first = False
    yield b"\n]}\n"


def _raw(column: pd.Series, kind: str) -> list[Any]:
    """Values as stored, for GIS: numbers, ISO dates, enum keys; None if missing."""
    if kind == "number":
        return _numbers(column)
    if kind == "date":
        return [d.isoformat() if d else None for d in _dates(column)]
    return _texts(column)


# --- GeoPackage ------------------------------------------------------------------------------


def write_gpkg(job: ExportJob, path: Path) -> int:
    """One table named after the layer: raw values, text as text, dates as DATE fields.

    Written a page at a time (the first page creates the table, the rest append), so even
    this format never holds the whole selection in memory. Returns the number of rows.
    """
    geometry_type = {"point": "Point", "line": "MultiLineString"}.get(
        job.layer.geometry, "MultiPolygon"
    )
    count = 0
    for i, page in enumerate(job.pages()):
        if i and page.empty:
            break
        pyogrio.write_dataframe(
            _typed(page, job.fields),
            path,
            layer=job.layer.id,
            driver="GPKG",
            geometry_type=geometry_type,
            promote_to_multi=job.layer.geometry != "point",
            use_arrow=True,
            append=i > 0,
        )
        count += len(page)
    return count


def _typed(page: gpd.GeoDataFrame, fields: list[FieldDef]) -> gpd.GeoDataFrame:
    """Declared types, so even an empty selection gets the right columns."""
    data = {}
    for field_def in fields:
        column = page[field_def.name]
        if field_def.type == "number":
            data[field_def.name] = pd.to_numeric(column, errors="coerce").astype("float64")
        elif field_def.type == "date":
            dates = pd.to_datetime(column, errors="coerce").astype("datetime64[ms]")
            data[field_def.name] = dates.astype(pd.ArrowDtype(pa.date32()))
        else:
            text = column.astype("object").map(lambda v: None if _missing(v) else str(v))
            data[field_def.name] = text.astype("string")
    return gpd.GeoDataFrame(
        data, geometry=page.geometry.values, crs=page.crs or 4326, index=page.index
    )
