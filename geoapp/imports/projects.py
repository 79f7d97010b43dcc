"""A read sheet of key projects → typed rows as the store keeps them, and what is wrong.

Every mapped cell is converted by its field's declaration in ``layers/projects.toml``:

- text: as written (an Excel number such as 20230001 becomes ``"20230001"``);
- enum: the key, the zh or en label, or a synonym from ``data/header_map.toml``
  (``在建``/``construction``/``Under construction``/``新开工`` → ``construction``);
- money (number fields in 万元): numbers, ``1,234.5``, ``1.2亿``, ``3000万``, in the header's unit
  unless the cell names its own; never negative;
- date: Excel dates, ``2023-04-01``, ``2023/4/1``, ``2023.4.1``, ``2023年4月1日``, ``2023年4月``
  (the 1st), ``20230401``, ``2023-04`` and Excel serial numbers;
- ``lon``/``lat`` (WGS84, within China) become a shapely Point under ``geometry``; a row without
  them is still valid, with ``geometry`` None and ``_approximate`` True (it is placed later from
  its 建设地点); ``county_code`` must be 6 digits.

Blank-like cells (``-``, ``—``, ``/``, ``无``, ``暂无``, ``N/A``) count as blank. A totals row
(合计/总计/小计) or a group heading (``一、产业项目``) without a project code is skipped with a
warning. A row with any error is left out of ``rows``; warnings do not reject a row.

A typed row holds a key for every mapped column of the file (None for a blank cell); fields
whose column the file lacks are absent, so an update need not erase them. ``_row`` is the row
number in the file.
"""

from __future__ import annotations

import math
import re
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from functools import lru_cache
from typing import Any

from shapely.geometry import Point

from geoapp.errors import ConfigError
from geoapp.imports.problems import FileRefused, Problem, Severity, join, language, message
from geoapp.imports.sheets import Cell, HeaderMap, RawTable, load_header_map, map_headers
from geoapp.layers import FieldDef, LayerDef

LON_RANGE = (73.0, 136.0)
LAT_RANGE = (3.0, 54.0)
YEARS = (1900, 2100)
ID_FIELD = "project_id"
NAME_FIELD = "name"
COORDINATES = ("lon", "lat")
BLANKS = frozenset({"-", "--", "—", "——", "－", "/", "／", "\\", "无", "暂无", "N/A", "n/a", "NA"})
EXCEL_ERRORS = frozenset(
    {"#DIV/0!", "#N/A", "#NAME?", "#NULL!", "#NUM!", "#REF!", "#VALUE!", "#SPILL!", "#CALC!"}
)
TOTAL_WORDS = frozenset({"合计", "总计", "小计", "总合计", "合计数", "total", "subtotal"})
CELL_UNITS = {"亿元": 10_000.0, "亿": 10_000.0, "万元": 1.0, "万": 1.0, "元": 0.0001}
EXCEL_EPOCH = {False: date(1899, 12, 30), True: date(1904, 1, 1)}
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")  # an export's CSV guard: '=… back to =…

_GROUP_HEADING = re.compile(r"[一二三四五六七八九十]+[、.．]|[(（][一二三四五六七八九十]+[)）]")
_MONEY = re.compile(r"([+-]?(?:\d+(?:\.\d*)?|\.\d+))(亿元|亿|万元|万|元)?")
_NUMBER_NOISE = str.maketrans("", "", ", ¥$")
_DATE_YMD = re.compile(
    r"(\d{4})\s*[-/.]\s*(\d{1,2})\s*[-/.]\s*(\d{1,2})(?:[ T]\d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?)?"
)
_DATE_CN = re.compile(r"(\d{4})\s*年\s*(\d{1,2})\s*月(?:\s*(\d{1,2})\s*[日号]?)?")
_DATE_YM = re.compile(r"(\d{4})\s*[-/.]\s*(\d{1,2})")
_DATE_DIGITS = re.compile(r"(\d{4,8})(?:\.0+)?")
_DMS = re.compile(
    r"(\d+(?:\.\d+)?)\s*[°度]\s*(?:(\d+(?:\.\d+)?)\s*['′分]\s*)?"
    r"(?:(\d+(?:\.\d+)?)\s*(?:\"|″|''|′′|秒)\s*)?([EWNS东西南北])?",
    re.IGNORECASE,
)
_SIX_DIGITS = re.compile(r"\d{6}")


@dataclass
class ParsedProjects:
    """Valid typed rows of one sheet and every problem found (sorted by row, then column)."""

    sheet: str
    rows: list[dict[str, Any]]
    problems: list[Problem]
    read: int = 0  # data rows in the sheet (blank rows not counted)
    skipped: list[int] = field(default_factory=list)  # totals and group headings
    fields: tuple[str, ...] = ()  # the fields the sheet has a column for
    headers: dict[str, str] = field(default_factory=dict)  # field → its column's header

    @property
    def errors(self) -> list[Problem]:
        return [p for p in self.problems if p.severity == "error"]

    @property
    def warnings(self) -> list[Problem]:
        return [p for p in self.problems if p.severity == "warning"]

    @property
    def rejected(self) -> list[int]:
        """Row numbers left out because of an error."""
        return sorted({p.row for p in self.errors if p.row is not None})


class _Invalid(Exception):  # an internal signal: never escapes this module
    def __init__(self, key: str, **params: object):
        super().__init__(key)
        self.key, self.params = key, params


def parse_projects(
    table: RawTable, layer: LayerDef, locale: str = "zh", header_map: HeaderMap | None = None
) -> ParsedProjects:
    """Validate and type every row of ``table`` against ``layer``'s field declarations."""
    header_map = header_map or load_header_map()
    mapped = map_headers(table.headers, header_map)
    order = {header: i for i, header in enumerate(table.headers)}
    sheet = table.sheet
    problems: list[Problem] = list(table.problems)
    rows = table.rows
    count = len(rows)
    bad = bytearray(count)
    failed_cells = {(p.row, p.column) for p in table.problems if p.severity == "error"}
    by_number = {number: i for i, (number, _) in enumerate(rows)}
    for row_number, _column in failed_cells:
        if row_number in by_number:
            bad[by_number[row_number]] = 1

    def add(number: int, header: str | None, reason: str, severity: Severity = "error") -> None:
        problems.append(Problem(sheet, number, header, reason, severity))

    def error(number: int, header: str | None, key: str, /, **params: object) -> None:
        add(number, header, message(key, locale, **params))

    def warning(number: int, header: str | None, key: str, /, **params: object) -> None:
        add(number, header, message(key, locale, **params), "warning")

    id_header = _header_of(mapped, ID_FIELD)
    name_header = _header_of(mapped, NAME_FIELD)
    if id_header is None and name_header is None:  # a sheet of nothing we can match rows by
        described = [header_map.describe(n, locale) for n in (ID_FIELD, NAME_FIELD)]
        reason = message("missing_code_or_name", locale, columns=join(described, locale))
        raise FileRefused(Problem(sheet, table.header_row, None, reason))
    skip = _skipped_rows(rows, id_header, name_header, table.headers, warning)

    typed: list[dict[str, Any]] = [{} for _ in range(count)]
    coordinates: dict[str, list[float | None]] = {}
    required = set(header_map.required)
    date_cache: dict[Any, date | _Invalid] = {}
    for header, match in mapped.items():
        name = match.field
        convert = _converter(
            name, match.factor, layer, header_map, locale, date_cache, table.date1904
        )
        is_required = name in required
        target: list[float | None] | None = None
        if name in COORDINATES:
            target = coordinates[name] = [None] * count
        for i, (number, cells) in enumerate(rows):
            if i in skip:
                continue
            value = cells.get(header)
            if value is not None and type(value) is str and value in BLANKS:
                value = None
            if value is None:
                if (number, header) in failed_cells:  # a formula without a value: reported
                    if target is not None:
                        target[i] = math.nan
                elif is_required:
                    error(number, header, "required", column=header)
                    bad[i] = 1
                elif target is None:
                    typed[i][name] = None
                continue
            try:
                result = convert(value)
            except _Invalid as exc:
                params = dict(exc.params)
                params.setdefault("value", _show(value))
                params.setdefault("column", header)
                error(number, header, exc.key, **params)
                bad[i] = 1
                if target is not None:
                    target[i] = math.nan  # reported already: no "half a coordinate" warning
                continue
            if target is None:
                typed[i][name] = result
            else:
                target[i] = result
    for name in required:
        if name not in {m.field for m in mapped.values()}:  # a table built without the column
            header = (header_map.fields.get(name) or (name,))[0]
            for i, (number, _) in enumerate(rows):
                if i not in skip:
                    error(number, header, "required", column=header)
                    bad[i] = 1

    for i, (number, _) in enumerate(rows):
        if (
            i not in skip
            and not bad[i]
            and not typed[i].get(ID_FIELD)
            and not typed[i].get(NAME_FIELD)
        ):
            error(number, name_header or id_header, "no_code_no_name")
            bad[i] = 1
    if id_header is not None:
        _duplicates(rows, typed, skip, bad, id_header, error)
    headers = (_header_of(mapped, "lon"), _header_of(mapped, "lat"))
    geometries = _geometries(rows, coordinates, skip, bad, headers, locale, add)
    _consistency(rows, typed, skip, bad, mapped, locale, add)

    valid: list[dict[str, Any]] = []
    for i, (number, _) in enumerate(rows):
        if bad[i] or i in skip:
            continue
        row = typed[i]
        row["geometry"] = geometries[i]
        row["_row"] = number
        row["_approximate"] = geometries[i] is None
        valid.append(row)
    problems.sort(key=lambda p: (p.row or 0, -1 if p.column is None else order.get(p.column, 0)))
    return ParsedProjects(
        sheet=sheet,
        rows=valid,
        problems=problems,
        read=count,
        skipped=sorted(rows[i][0] for i in skip),
        fields=tuple(m.field for m in mapped.values()),
        headers={m.field: header for header, m in mapped.items()},
    )


def _header_of(mapped: dict[str, Any], name: str) -> str | None:
    return next((header for header, m in mapped.items() if m.field == name), None)


# --- rows that are not projects ----------------------------------------------------------------


def _skipped_rows(
    rows: list[tuple[int, dict[str, Cell]]],
    id_header: str | None,
    name_header: str | None,
    headers: list[str],
    warning: Callable[..., None],
) -> set[int]:
    """Totals rows and group headings: no project code, and 合计 / ``一、…`` somewhere."""
    skip: set[int] = set()
    for i, (number, cells) in enumerate(rows):
        code = cells.get(id_header) if id_header else None
        if code is not None and not (type(code) is str and code in BLANKS):
            continue
        for header in headers:
            value = cells.get(header)
            if type(value) is not str:
                continue
            folded = "".join(value.split()).lower()
            if folded in TOTAL_WORDS:
                warning(number, header, "total_row")
                skip.add(i)
                break
            if header in (name_header, headers[0] if headers else None) and _GROUP_HEADING.match(
                value
            ):
                warning(number, header, "group_row", value=value)
                skip.add(i)
                break
    return skip


# --- cells -------------------------------------------------------------------------------------


def typed_value(layer: LayerDef, name: str, text: str, locale: str = "zh") -> Any:
    """One value typed as an import types its cell — the same rules, for the edit form (money
    in the field's unit, ``1.2亿`` and ``2023年4月1日`` included); a blank is None. Raises
    ValueError whose message, in the locale's language, names the value and the field."""
    text = text.strip()
    if not text or text in BLANKS:
        return None
    convert = _converter(name, 1.0, layer, load_header_map(), locale, {}, False)
    try:
        return convert(text)
    except _Invalid as exc:
        params = {"value": text, "column": layer.fields[name].label(locale)} | exc.params
        raise ValueError(message(exc.key, locale, **params)) from None


def _converter(
    name: str,
    factor: float,
    layer: LayerDef,
    header_map: HeaderMap,
    locale: str,
    date_cache: dict[Any, date | _Invalid],
    date1904: bool,
) -> Callable[[Cell], Any]:
    """The function that types one cell of field ``name`` (raises _Invalid)."""
    if name in COORDINATES:
        return _to_coordinate
    if name == "county_code":
        return _to_county_code
    field_def = layer.fields.get(name)
    if field_def is None or field_def.type == "text":
        return _to_text
    if field_def.type == "enum":
        return _enum_converter(field_def, header_map, locale)
    if field_def.type == "date":
        return _date_converter(date_cache, date1904)
    if field_def.unit is not None and "元" in field_def.unit.zh:
        return lambda value: _to_money(value, factor)
    return _to_number


def _check_error_value(value: Cell) -> None:
    if type(value) is str and value in EXCEL_ERRORS:
        raise _Invalid("excel_error", value=value)


def _to_text(value: Cell) -> str:
    kind = type(value)
    if kind is str:
        if value in EXCEL_ERRORS:
            raise _Invalid("excel_error", value=value)
        if len(value) > 1 and value[0] == "'" and value[1] in FORMULA_START:
            return value[1:]
        return value
    return _show(value)


def _to_county_code(value: Cell) -> str:
    text = _to_text(value)
    if not _SIX_DIGITS.fullmatch(text):
        raise _Invalid("county_code", value=text)
    return text


def _enum_converter(
    field_def: FieldDef, header_map: HeaderMap, locale: str
) -> Callable[[Cell], str]:
    synonyms = header_map.values.get(field_def.name, {})
    known = {v.key for v in field_def.values}
    for key in synonyms:
        if key not in known:
            source = header_map.source.name if header_map.source else "header map"
            raise ConfigError(
                f"{source}: values.{field_def.name}.{key}: not a value of {field_def.name!r} "
                f"(values: {', '.join(sorted(known))})"
            )
    lookup = _enum_lookup(field_def, tuple((k, tuple(v)) for k, v in synonyms.items()))
    choices = join([v.label(language(locale)) for v in field_def.values], locale)

    def convert(value: Cell) -> str:
        _check_error_value(value)
        found = lookup.get(_fold(_show(value)))
        if found is None:
            raise _Invalid("enum_unknown", choices=choices)
        return found

    return convert


@lru_cache(maxsize=64)
def _enum_lookup(
    field_def: FieldDef, synonyms: tuple[tuple[str, tuple[str, ...]], ...]
) -> dict[str, str]:
    """Folded word → value key: synonyms first, so the declared key and labels win."""
    lookup: dict[str, str] = {}
    for key, words in synonyms:
        for word in words:
            lookup[_fold(word)] = key
    for value in field_def.values:
        for word in (value.key, value.label.zh, value.label.en):
            lookup[_fold(word)] = value.key
    return lookup


@lru_cache(maxsize=4096)
def _fold(text: str) -> str:
    return "".join(unicodedata.normalize("NFKC", text).split()).lower()


def _number_text(value: Cell, invalid: str) -> tuple[float, str | None]:
    """A number and the unit written after it (亿/万/元) from a cell; _Invalid(invalid) if not."""
    kind = type(value)
    if kind is int or kind is float:
        return float(value), None
    if kind is not str:
        raise _Invalid(invalid)
    if value in EXCEL_ERRORS:
        raise _Invalid("excel_error", value=value)
    try:
        return float(value), None
    except ValueError:
        pass
    folded = "".join(unicodedata.normalize("NFKC", value).split()).translate(_NUMBER_NOISE)
    found = _MONEY.fullmatch(folded)
    if found is None:
        raise _Invalid(invalid)
    return float(found.group(1)), found.group(2)


def _to_money(value: Cell, factor: float) -> float:
    number, unit = _number_text(value, "money_invalid")
    if not math.isfinite(number):
        raise _Invalid("money_invalid")
    amount = number * (CELL_UNITS[unit] if unit else factor)
    if amount < 0:
        raise _Invalid("money_negative")
    return round(amount, 6) + 0.0  # + 0.0: never -0.0


def _to_number(value: Cell) -> float:
    number, unit = _number_text(value, "number_invalid")
    if unit is not None or not math.isfinite(number):
        raise _Invalid("number_invalid")
    return number


def _date_converter(cache: dict[Any, date | _Invalid], date1904: bool) -> Callable[[Cell], date]:
    def convert(value: Cell) -> date:
        if type(value) is datetime:
            return value.date()
        try:
            found = cache[value]
        except KeyError:
            try:
                found = _to_date(value, date1904)
            except _Invalid as exc:
                found = exc
            cache[value] = found
        if isinstance(found, _Invalid):
            raise _Invalid(found.key, **found.params)
        return found

    return convert


def _to_date(value: Cell, date1904: bool) -> date:
    if isinstance(value, date):
        return value.date() if isinstance(value, datetime) else value
    if type(value) is int or type(value) is float:
        return _date_from_number(value, date1904, repr(value))
    if type(value) is not str:
        raise _Invalid("date_invalid")
    if value in EXCEL_ERRORS:
        raise _Invalid("excel_error", value=value)
    text = unicodedata.normalize("NFKC", value).strip()
    for pattern in (_DATE_YMD, _DATE_CN):
        found = pattern.fullmatch(text)
        if found:
            return _make_date(found.group(1), found.group(2), found.group(3) or 1)
    found = _DATE_YM.fullmatch(text)
    if found:
        return _make_date(found.group(1), found.group(2), 1)
    found = _DATE_DIGITS.fullmatch(text)
    if found:
        return _date_from_number(int(found.group(1)), date1904, text)
    raise _Invalid("date_invalid")


def _date_from_number(number: float, date1904: bool, written: str) -> date:
    """20230401, 202304, an Excel serial (45017), or 2023.4 typed into a number cell."""
    if not math.isfinite(number):
        raise _Invalid("date_invalid")
    if not float(number).is_integer():
        if YEARS[0] <= number <= YEARS[1] + 1:  # 2023.4: a year and a month
            year, _, month = written.partition(".")
            if month == "1":
                raise _Invalid("date_ambiguous", year=year)
            return _make_date(year, month, 1)
        number = math.floor(number)  # a serial date with a time of day
    whole = int(number)
    if 19_000_101 <= whole <= 21_001_231:
        return _make_date(whole // 10_000, whole // 100 % 100, whole % 100)
    if 190_001 <= whole <= 210_012:
        return _make_date(whole // 100, whole % 100, 1)
    epoch = EXCEL_EPOCH[date1904]
    first, last = date(YEARS[0] + 50, 1, 1), date(YEARS[1], 12, 31)
    if (first - epoch).days <= whole <= (last - epoch).days:
        return epoch + timedelta(days=whole)
    raise _Invalid("date_invalid")


def _make_date(year: str | int, month: str | int, day: str | int) -> date:
    try:
        made = date(int(year), int(month), int(day))
    except ValueError:
        raise _Invalid("date_invalid") from None
    if not YEARS[0] <= made.year <= YEARS[1]:
        raise _Invalid("date_invalid")
    return made


def _to_coordinate(value: Cell) -> float:
    """Decimal degrees from a number, ``106.855``, ``106.855°`` or ``106°51′18″E``."""
    kind = type(value)
    if kind is int or kind is float:
        number = float(value)
    elif kind is str:
        try:
            number = float(value)
        except ValueError:
            found = _DMS.fullmatch(unicodedata.normalize("NFKC", value).strip())
            if found is None:
                raise _Invalid("coord_invalid") from None
            degrees, minutes, seconds, side = found.groups()
            number = float(degrees) + float(minutes or 0) / 60 + float(seconds or 0) / 3600
            number = round(number, 9)  # 106°51′18″ is 106.855, not 106.85499999999999
            if side and side.upper() in ("W", "S", "西", "南"):
                number = -number
    else:
        raise _Invalid("coord_invalid")
    if not math.isfinite(number):
        raise _Invalid("coord_invalid")
    return number


def _show(value: Any) -> str:
    """A cell as text for a message or a text field: 20230001.0 → 20230001, dates as ISO."""
    if type(value) is str:
        return value
    if isinstance(value, float) and value.is_integer() and abs(value) < 1e16:
        return str(int(value))
    if isinstance(value, datetime):
        return value.date().isoformat() if value.time() == datetime.min.time() else str(value)
    if isinstance(value, date):
        return value.isoformat()
    return str(value)


# --- rows --------------------------------------------------------------------------------------


def _duplicates(
    rows: list[tuple[int, dict[str, Cell]]],
    typed: list[dict[str, Any]],
    skip: set[int],
    bad: bytearray,
    id_header: str,
    error: Callable[..., None],
) -> None:
    """A project code on more than one row: an error on each of them, naming the others (which
    of them is right is the user's call, not the first one's by default)."""
    rows_of: dict[str, list[int]] = {}
    for i, _row in enumerate(rows):
        code = typed[i].get(ID_FIELD)
        if code is not None and i not in skip:
            rows_of.setdefault(code, []).append(i)
    for code, positions in rows_of.items():
        if len(positions) < 2:
            continue
        numbers = [rows[i][0] for i in positions]
        for i in positions:
            others = ", ".join(str(n) for n in numbers if n != rows[i][0])
            error(rows[i][0], id_header, "duplicate_id", value=code, first=others)
            bad[i] = 1


def _geometries(
    rows: list[tuple[int, dict[str, Cell]]],
    coordinates: dict[str, list[float | None]],
    skip: set[int],
    bad: bytearray,
    headers: tuple[str | None, str | None],
    locale: str,
    add: Callable[..., None],
) -> list[Point | None]:
    """Points from lon/lat within China; None where either is missing (placed approximately)."""
    count = len(rows)
    lons = coordinates.get("lon") or [None] * count
    lats = coordinates.get("lat") or [None] * count
    english = language(locale) == "en"
    lon_header = headers[0] or ("longitude" if english else "经度")
    lat_header = headers[1] or ("latitude" if english else "纬度")
    points: list[Point | None] = [None] * count
    for i, (number, _) in enumerate(rows):
        lon, lat = lons[i], lats[i]
        if i in skip or (lon is None and lat is None):
            continue
        if (lon is not None and math.isnan(lon)) or (lat is not None and math.isnan(lat)):
            continue
        if lon is None or lat is None:
            present, missing = (lon_header, lat_header) if lat is None else (lat_header, lon_header)
            reason = message("coord_half", locale, present=present, missing=missing)
            add(number, present, reason, "warning")
            continue
        lon_ok = LON_RANGE[0] <= lon <= LON_RANGE[1]
        lat_ok = LAT_RANGE[0] <= lat <= LAT_RANGE[1]
        if lon_ok and lat_ok:
            points[i] = Point(lon, lat)
            continue
        swapped = LON_RANGE[0] <= lat <= LON_RANGE[1] and LAT_RANGE[0] <= lon <= LAT_RANGE[1]
        hint = message("swapped", locale) if swapped else ""
        if not lon_ok:
            add(number, lon_header, message("lon_range", locale, value=_show(lon)) + hint)
        if not lat_ok:
            add(number, lat_header, message("lat_range", locale, value=_show(lat)) + hint)
        bad[i] = 1
    return points


def _consistency(
    rows: list[tuple[int, dict[str, Cell]]],
    typed: list[dict[str, Any]],
    skip: set[int],
    bad: bytearray,
    mapped: dict[str, Any],
    locale: str,
    add: Callable[..., None],
) -> None:
    """Warnings that do not reject a row: completed above total, completion before start."""
    completed_header = _header_of(mapped, "completed")
    end_header = _header_of(mapped, "planned_end")
    for i, (number, _) in enumerate(rows):
        if bad[i] or i in skip:
            continue
        row = typed[i]
        total, done = row.get("total_investment"), row.get("completed")
        if total is not None and done is not None and done > total:
            reason = message("completed_exceeds", locale, completed=_show(done), total=_show(total))
            add(number, completed_header, reason, "warning")
        start, end = row.get("planned_start"), row.get("planned_end")
        if start is not None and end is not None and end < start:
            reason = message("end_before_start", locale, end=end, start=start)
            add(number, end_header, reason, "warning")
