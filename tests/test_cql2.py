"""CQL2-text filters: parsed by the cql2 library, evaluated on a GeoDataFrame, exact rows."""

from __future__ import annotations

import threading
import time

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from shapely.geometry import Point

from geoapp.cql2 import MAX_DEPTH, MAX_LENGTH, MAX_TESTS, CQL2Error, parse, properties, to_mask
from geoapp.cql2.tree import Comparison, Node

NAN = float("nan")
COLUMNS = ["id", "name", "status", "industry", "total_investment", "start_date", "key_project"]
ROWS = [
    (1, "陇县装备制造产业园", "construction", "装备制造", 12000.0, "2023-04-01", True),
    (2, "陇县苹果深加工项目", "planned", "农产品加工", 3500.0, "2024-01-15", False),
    (3, "城固县新材料项目", "construction", "新材料", 8000.5, "2022-11-30", True),
    (4, "静乐县光伏电站", "completed", "新能源", NAN, "2021-06-01", False),
    (5, "徐大堡核电配套产业园", "construction", "新能源", 150000.0, None, True),
    (6, "临泽县储能项目", "planned", None, 500.0, "2023-04-01 12:30", False),
    (7, "O'Brien 物流园", None, "物流", 0.0, "2023-12-31", False),
    (8, "50%折扣仓储", "suspended", "物流", -20.5, "2020-02-29", False),
]
LAND_AREA = [150.0, 20.0, 80.0, 300.0, NAN, 60.0, 45.5, 10.0]
POINTS = [
    Point(106.85, 34.89),
    Point(106.90, 34.95),
    Point(107.33, 33.16),
    Point(111.94, 38.36),
    Point(120.55, 40.35),
    Point(100.17, 39.15),
    Point(106.86, 34.90),
    None,
]
QUERYABLES = {
    "id": "integer",
    "name": "string",
    "status": "string",
    "industry": "string",
    "total_investment": "number",
    "start_date": "date",
    "key_project": "boolean",
    "land area": "number",
    "geometry": "geometry",
    "budget_code": "string",  # published but absent from the frame
}
LONG_BOX = "POLYGON((106.8 34.8, 107.0 34.8, 107.0 35.0, 106.8 35.0, 106.8 34.8))"
LINZE_BOX = "((100 39, 100.3 39, 100.3 39.3, 100 39.3, 100 39))"


def make_frame() -> gpd.GeoDataFrame:
    frame = pd.DataFrame(ROWS, columns=COLUMNS)
    frame["industry"] = frame["industry"].astype("category")
    frame["start_date"] = pd.to_datetime(frame["start_date"], format="ISO8601")
    frame["land area"] = LAND_AREA
    return gpd.GeoDataFrame(frame, geometry=POINTS, crs=4326)


FRAME = make_frame()


def ids(expression: str, frame: gpd.GeoDataFrame = FRAME) -> list[int]:
    mask = to_mask(parse(expression), frame, QUERYABLES)
    return frame["id"][mask].tolist()


def test_fixture_has_the_intended_dtypes():
    assert isinstance(FRAME["industry"].dtype, pd.CategoricalDtype)
    assert pd.api.types.is_datetime64_dtype(FRAME["start_date"].dtype)
    assert FRAME["start_date"].isna().sum() == 1
    assert FRAME["total_investment"].isna().sum() == 1


ROW_CASES = [  # also run as CQL2-JSON by test_cql2_json.py
    # comparisons; missing values never match, not even <>
    ("status = 'construction'", [1, 3, 5]),
    ("status <> 'construction'", [2, 4, 6, 8]),
    ("status > 'p'", [2, 6, 8]),
    ("total_investment > 5000", [1, 3, 5]),
    ("total_investment >= 12000", [1, 5]),
    ("total_investment < 0", [8]),
    ("total_investment <= 500", [6, 7, 8]),
    ("total_investment <> 500", [1, 2, 3, 5, 7, 8]),
    ("total_investment = -20.5", [8]),
    ("total_investment > 1.2e4", [5]),
    ("total_investment = +0", [7]),
    ("5000 < total_investment", [1, 3, 5]),
    ("-20.5 = total_investment", [8]),
    ("id = 3", [3]),
    ("key_project = TRUE", [1, 3, 5]),
    ("key_project <> true", [2, 4, 6, 7, 8]),
    ("name = '临泽县储能项目'", [6]),
    ("name = 'O''Brien 物流园'", [7]),
    ("'O''Brien 物流园' = name", [7]),
    ("industry = '新能源'", [4, 5]),
    ("industry <> '新能源'", [1, 2, 3, 7, 8]),
    ("\"status\" = 'planned'", [2, 6]),
    ('"land area" > 100', [1, 4]),
    # dates: a DATE compares whole days, a TIMESTAMP the instant
    ("start_date = DATE('2023-04-01')", [1, 6]),
    ("start_date = TIMESTAMP('2023-04-01T12:30:00Z')", [6]),
    ("start_date >= TIMESTAMP('2023-04-01T08:00:00+08:00')", [1, 2, 6, 7]),
    ("start_date > '2023-06-30'", [2, 7]),
    ("start_date < DATE('2022-01-01')", [4, 8]),
    ("start_date BETWEEN DATE('2023-01-01') AND DATE('2023-12-31')", [1, 6, 7]),
    ("start_date NOT BETWEEN DATE('2023-01-01') AND DATE('2023-12-31')", [2, 3, 4, 8]),
    ("start_date IN (DATE('2023-04-01'), '2020-02-29')", [1, 6, 8]),
    # LIKE: % any run, _ one character, \ escapes, case-sensitive unless CASEI
    ("name LIKE '陇县%'", [1, 2]),
    ("name LIKE '%项目'", [2, 3, 6]),
    ("name LIKE '%产业园'", [1, 5]),
    ("name LIKE '_泽县%'", [6]),
    ("name LIKE '%县%项%'", [2, 3, 6]),
    ("name LIKE '%%县%%'", [1, 2, 3, 4, 6]),
    ("name NOT LIKE '%县%'", [5, 7, 8]),
    ("name LIKE '50\\%%'", [8]),
    ("name LIKE '5\\%%'", []),
    ("name LIKE 'O''Brien%'", [7]),
    ("status LIKE 'c%'", [1, 3, 4, 5]),
    ("status LIKE 'C%'", []),
    ("status NOT LIKE 'c%'", [2, 6, 8]),
    ("industry LIKE '新%'", [3, 4, 5]),
    ("CASEI(status) LIKE CASEI('C%')", [1, 3, 4, 5]),
    ("CASEI(status) = CASEI('PLANNED')", [2, 6]),
    ("CASEI(status) IN ('PLANNED', 'Suspended')", [2, 6, 8]),
    # IN
    ("status IN ('planned', 'suspended')", [2, 6, 8]),
    ("status NOT IN ('planned', 'suspended')", [1, 3, 4, 5]),
    ("id IN (1, 3, 8)", [1, 3, 8]),
    ("industry IN ('物流', '新材料')", [3, 7, 8]),
    ("industry NOT IN ('物流', '新材料')", [1, 2, 4, 5]),
    ("total_investment IN (500, 0.0)", [6, 7]),
    ("key_project IN (TRUE)", [1, 3, 5]),
    # BETWEEN (inclusive)
    ("total_investment BETWEEN 500 AND 12000", [1, 2, 3, 6]),
    ("total_investment NOT BETWEEN 500 AND 12000", [5, 7, 8]),
    ('"land area" BETWEEN 20 AND 80', [2, 3, 6, 7]),
    ("status BETWEEN 'completed' AND 'planned'", [1, 2, 3, 4, 5, 6]),
    # IS NULL
    ("total_investment IS NULL", [4]),
    ("total_investment IS NOT NULL", [1, 2, 3, 5, 6, 7, 8]),
    ("status IS NULL", [7]),
    ("industry IS NULL", [6]),
    ("start_date IS NULL", [5]),
    ("geometry IS NULL", [8]),
    # boolean structure: NOT > AND > OR, parentheses, three-valued NOT
    ("status = 'planned' OR status = 'construction' AND id > 3", [2, 5, 6]),
    ("(status = 'planned' OR status = 'construction') AND id > 3", [5, 6]),
    ("NOT status = 'planned' AND key_project = TRUE", [1, 3, 5]),
    ("NOT (status = 'planned' OR key_project = TRUE)", [4, 8]),
    ("NOT NOT status = 'planned'", [2, 6]),
    ("NOT status = 'construction'", [2, 4, 6, 8]),
    ("status IS NULL OR NOT status = 'construction'", [2, 4, 6, 7, 8]),
    ("status = 'planned' and key_project = false or id = 1", [1, 2, 6]),
    ("((id = 1)) Or (((id = 2)))", [1, 2]),
    ("id > 1 AND id < 8 AND NOT id IN (3, 4) AND key_project = FALSE", [2, 6, 7]),
    # spatial
    (f"S_INTERSECTS(geometry, {LONG_BOX})", [1, 2, 7]),
    (f"s_intersects({LONG_BOX}, geometry)", [1, 2, 7]),
    ("S_INTERSECTS(geometry, POINT(107.33 33.16))", [3]),
    ("S_INTERSECTS(geometry, BBOX(100, 39, 101, 40))", [6]),
    ("S_INTERSECTS(geometry, LINESTRING(111 38.36, 112 38.36))", [4]),
    (f"S_INTERSECTS(geometry, MULTIPOLYGON({LONG_BOX[7:]}, {LINZE_BOX}))", [1, 2, 6, 7]),
    (f"NOT S_INTERSECTS(geometry, {LONG_BOX})", [3, 4, 5, 6]),
    (f"S_INTERSECTS(geometry, {LONG_BOX}) AND status = 'planned'", [2]),
    # a filter may be a boolean literal; != is the library's alias of <>
    ("TRUE", [1, 2, 3, 4, 5, 6, 7, 8]),
    ("FALSE", []),
    ("NOT FALSE AND id < 3", [1, 2]),
    ("status != 'construction'", [2, 4, 6, 8]),
    ("name = 'x' OR\n id = 2", [2]),
]


@pytest.mark.parametrize(("expression", "expected"), ROW_CASES)
def test_filter_selects_exact_rows(expression, expected):
    assert ids(expression) == expected


@pytest.mark.parametrize(
    ("expression", "position", "problem"),
    [
        # syntax errors: the parser (the cql2 library) says where, in characters
        ("name = '陇县", 7, "unterminated string"),
        ('"land area = 3', 0, "unterminated string"),
        ("(status = 'planned'", 19, "unexpected end of filter"),
        ("S_INTERSECTS(geometry, POINT(1 2)", 33, "unexpected end of filter"),
        ("status == 'planned'", 8, "unexpected '=', expected a property or a value"),
        ("status CONTAINS 'plan'", 7, "unexpected 'CONTAINS'"),
        ("status NOT = 'planned'", 7, "unexpected 'NOT'"),
        ("status = 'planned' garbage", 19, "expected AND, OR or the end of the filter"),
        ("status = 'planned')", 18, "unexpected ')'"),
        ("status = 'x'; DROP TABLE projects", 12, "unexpected ';'"),
        ("id = 1 AND", 10, "unexpected end of filter, expected a property or a value"),
        ("S_INTERSECTS(geometry, POINT(1 'a'))", 31, "unexpected 'a'"),
        ("status IN ()", 11, "unexpected ')'"),
        ("status IN ('a' 'b')", 15, "unexpected 'b'"),
        ("id BETWEEN 1 OR 2", 13, "unexpected 'OR'"),
        ("status IS NOT 'x'", 7, "unexpected 'IS'"),
        ("name = '陇县'\nAND id == 1", 20, "unexpected '='"),  # counted across lines
        ("", 0, "empty filter"),
        ("   ", 0, "empty filter"),
        ("id = 1 " + " " * MAX_LENGTH, MAX_LENGTH, f"longer than {MAX_LENGTH} characters"),
        ("(" * (MAX_DEPTH + 1) + "id = 1" + ")" * (MAX_DEPTH + 1), MAX_DEPTH, "nesting deeper"),
        ("a = 1 AND (b = 2 AND 'x", 21, "unterminated string"),
        ("a = = 1 AND 'x", 4, "expected a property or a value"),  # the leftmost problem wins
    ],
)
def test_syntax_error_is_refused_with_position(expression, position, problem):
    with pytest.raises(CQL2Error) as caught:
        ids(expression)
    assert caught.value.position == position
    assert problem in caught.value.problem
    assert str(caught.value) == f"at character {position}: {caught.value.problem}"


TREE_ERRORS = [  # also refused by the SQL translation (test_cql2_sql.py)
    # found in the tree, which has no positions: the message names the culprit
    ("colour = 'red'", "unknown property 'colour'"),
    ("id = 1 OR colour = 'red'", "unknown property 'colour'"),
    ("budget_code = 'x'", "property 'budget_code' is not available"),
    ("status", 'expected a predicate, found {"property": "status"}'),
    ("1 = 1", "needs a property on one side, found 1"),
    ("id = total_investment", "comparing two properties ('id', 'total_investment')"),
    ("'planned' LIKE status", 'LIKE needs a property on its left, found "planned"'),
    ("total_investment = 'abc'", "cannot compare number property 'total_investment'"),
    ("id IN (1, 'two')", "cannot compare integer property 'id' with text 'two'"),
    ("status = 3", "cannot compare string property 'status' with number 3"),
    ("status = 2.5", "cannot compare string property 'status' with number 2.5"),
    ("start_date > 'soon'", "cannot compare date property 'start_date' with text"),
    ("start_date > '2023-02-30'", "cannot compare date property"),
    ("key_project = 'yes'", "cannot compare boolean property"),
    ("key_project < TRUE", "does not apply to boolean property"),
    ("geometry = POINT(1 2)", "cannot compare geometry property 'geometry' with a geometry"),
    ("total_investment LIKE '1%'", "LIKE needs a text property"),
    ("name LIKE 5", "LIKE needs a quoted pattern, found 5"),
    ("CASEI(total_investment) = 'x'", "CASEI needs a text property"),
    ("CASEI(CASEI(name)) = 'x'", "CASEI cannot be nested"),
    ("CASEI(5) = name", "CASEI needs a property or text, found 5"),
    ("S_INTERSECTS(status, POINT(1 2))", "S_INTERSECTS needs a geometry property"),
    ("S_INTERSECTS(geometry, 'x')", "needs a property and a geometry"),
    ("S_INTERSECTS(geometry, POLYGON((0 0, 1 0, 1 1)))", "polygon ring must be closed"),
    ("S_INTERSECTS(geometry, POINT(1))", "invalid POINT geometry"),
    ("S_INTERSECTS(geometry, POINT EMPTY)", "invalid filter: A position must contain"),
    ("S_INTERSECTS(geometry, BBOX(1, 2, 3))", "BBOX needs 4 or 6 numbers"),
    ("S_INTERSECTS(geometry, BBOX(3, 2, 1, 4))", "BBOX corners are out of order"),
    ("S_INTERSECTS(geometry, BBOX(1e999, 2, 3, 4))", "coordinate inf is not a finite number"),
    ("id = 1" + " OR id = 2" * 100, "more than 100 comparisons in one filter"),
    (
        "S_INTERSECTS(geometry, MULTIPOINT(" + ",".join(["1 2"] * 10_001) + "))",
        "geometry with more than 10000 positions",
    ),
    ("S_WITHIN(geometry, POINT(1 2))", "unsupported operator or function 's_within'"),
    ("T_AFTER(start_date, DATE('2020-01-01'))", "unsupported operator or function 't_after'"),
    ("id + 1 = 2", "unsupported operator or function '+'"),
    ("id = 1e999", "number inf is not finite"),
    ("start_date = DATE('2023-02-30')", "invalid date '2023-02-30'"),
    ("start_date = DATE('yesterday')", "invalid date"),
    ("start_date = DATE(2023)", "DATE and TIMESTAMP need a quoted value"),
    ("start_date = TIMESTAMP('2023-04-01')", "invalid timestamp"),
    ("status IN ('a', name)", "expected a value, found property 'name'"),
    ('"" = 1', "empty property name"),
    ("NULL = 1", "NULL is not a value here (use IS NULL)"),
    ("NOT " * (MAX_DEPTH + 1) + "id = 1", "nesting deeper than 50 levels"),
    ("id = 1 = 2", "expected a property or a value, found a '=' predicate"),
    ("NOT " * 101 + "id = 1", "operators nested deeper than 100 levels"),
    ("id = " + "- " * 101 + "1", "operators nested deeper than 100 levels"),
    ("id" + " = 1" * 101, "operators nested deeper than 100 levels"),
    ("id = 1 = (" * 34 + "1" + ")" * 34, "operators nested deeper than 100 levels"),
]


@pytest.mark.parametrize(("expression", "problem"), TREE_ERRORS)
def test_bad_filter_is_refused_naming_the_problem(expression, problem):
    with pytest.raises(CQL2Error) as caught:
        ids(expression)
    assert problem in caught.value.problem
    if caught.value.position is None:
        assert str(caught.value) == caught.value.problem


def test_error_is_a_value_error():
    with pytest.raises(ValueError, match=r"^at character 0: empty filter$"):
        parse("")


def test_nesting_that_would_crash_the_parser_is_refused_first():
    """The library's parser recurses on the machine stack: ~200 parentheses kill a thread with
    a 1 MiB stack (a segmentation fault). Our checks must refuse such text before it runs."""
    results: list[object] = []
    hostile = [
        "(" * 4000 + "id = 1" + ")" * 4000,
        "NOT (" * 1600 + "id = 1" + ")" * 1600,
        "CASEI(" * 1400 + "name" + ")" * 1400 + " = 'x'",
        "NOT " * 2400 + "id = 1",
        "id = " + "-" * 9000 + "1",
        "id = " + "1 + " * 2400 + "1",
        "id" + " = 1" * 2400,
        "id" + " NOT LIKE 'a'" * 760,
        "id" + " IN (1)" * 1400,
        ("1 = 1 = " * 12 + "(") * 49 + "1" + ")" * 49,
    ]

    def run() -> None:
        for text in hostile:
            try:
                parse(text)
            except CQL2Error as error:
                results.append(error.problem)

    previous = threading.stack_size(1 << 20)
    try:
        thread = threading.Thread(target=run)
        thread.start()
        thread.join()
    finally:
        threading.stack_size(previous)
    assert all(len(text) <= MAX_LENGTH for text in hostile)
    assert len(results) == len(hostile)
    assert all("nested deeper" in r or "nesting deeper" in r for r in results), results


def test_long_flat_lists_are_not_nesting():
    values = "id IN (" + ", ".join(str(i) for i in range(1800)) + ")"
    ring = ", ".join(f"-{i % 90}.5 -{i % 80}.25" for i in range(600)) + ", -0.5 -0.25"
    shape = f"S_INTERSECTS(geometry, POLYGON(({ring})))"
    conjunction = " AND ".join(f"id <> -{i}" for i in range(MAX_TESTS))
    for text in (values, shape, conjunction):
        assert len(text) <= MAX_LENGTH
        assert isinstance(parse(text), Node)


def test_text_in_quotes_does_not_count_as_nesting():
    odd = "NOT (((( - -"
    text = f"name = '{'(' * 60}' OR \"{odd}\" IS NOT NULL OR name LIKE '{'NOT -' * 300}'"
    frame = FRAME.assign(**{odd: [None] * 7 + ["x"]})
    mask = to_mask(parse(text), frame, QUERYABLES | {odd: "string"})
    assert frame["id"][mask].tolist() == [8]


def test_limits_are_inclusive():
    nested = "(" * MAX_DEPTH + "id = 1" + ")" * MAX_DEPTH
    assert ids(nested) == [1]
    assert ids("NOT " * MAX_DEPTH + "id = 1") == [1]  # an even number of NOTs
    assert ids("id = 1".ljust(MAX_LENGTH)) == [1]


def test_a_long_flat_filter_is_evaluated_without_deep_recursion():
    expression = " OR ".join(f"id = {i}" for i in range(MAX_TESTS))
    assert len(expression) < MAX_LENGTH
    assert ids(expression) == list(range(1, 9))


def test_literal_on_the_left_flips_the_operator():
    node = parse("5000 < total_investment")
    assert isinstance(node, Comparison)
    assert (node.prop.name, node.op, node.value.value) == ("total_investment", ">", 5000)


def test_parse_tree_is_frozen_and_comparable():
    assert parse("id = 1 AND status = 'x'") == parse("id = 1 AND status = 'x'")
    node = parse("id = 1")
    with pytest.raises(AttributeError):
        node.op = "<"  # type: ignore[misc]


def test_properties_lists_every_name():
    node = parse(
        "id = 1 AND (\"land area\" > 3 OR NOT name LIKE 'x%') "
        f"AND S_INTERSECTS(geometry, {LONG_BOX}) AND start_date IS NULL AND CASEI(status) IN ('a')"
    )
    assert properties(node) == {"id", "land area", "name", "geometry", "start_date", "status"}


def test_unicode_identifiers_need_no_quotes():
    assert properties(parse("建设性质 = '新建' OR \"项目 名称\" LIKE '%园'")) == {
        "建设性质",
        "项目 名称",
    }


def test_unsupported_queryable_type_is_a_server_error_not_a_filter_error():
    with pytest.raises(ValueError, match="unsupported type 'colour'") as caught:
        to_mask(parse("id = 1"), FRAME, {"id": "colour"})
    assert not isinstance(caught.value, CQL2Error)


def test_mask_is_a_boolean_array_of_frame_length():
    mask = to_mask(parse("id > 2"), FRAME, QUERYABLES)
    assert isinstance(mask, np.ndarray)
    assert mask.dtype == bool
    assert mask.shape == (len(FRAME),)


def test_empty_frame_gives_empty_mask():
    mask = to_mask(parse("status LIKE 'c%' AND industry = '物流'"), FRAME.iloc[:0], QUERYABLES)
    assert mask.shape == (0,)


CROSS_DTYPE = [
    ("status = 'construction'", [1, 3, 5]),
    ("status <> 'construction'", [2, 4, 6, 8]),
    ("status > 'p'", [2, 6, 8]),
    ("status LIKE '%ed'", [2, 4, 6, 8]),
    ("status NOT IN ('planned')", [1, 3, 4, 5, 8]),
    ("status BETWEEN 'completed' AND 'planned'", [1, 2, 3, 4, 5, 6]),
    ("CASEI(status) = 'PLANNED'", [2, 6]),
    ("status IS NULL", [7]),
]


@pytest.mark.parametrize("dtype", ["category", object, "string"])
@pytest.mark.parametrize(("expression", "expected"), CROSS_DTYPE)
def test_text_columns_of_any_dtype(dtype, expression, expected):
    frame = FRAME.astype({"status": dtype})
    assert ids(expression, frame) == expected


def test_dates_stored_as_text_or_with_a_time_zone():
    as_text = FRAME.assign(start_date=FRAME["start_date"].dt.strftime("%Y-%m-%dT%H:%M:%S"))
    in_shanghai = FRAME.assign(start_date=FRAME["start_date"].dt.tz_localize("UTC"))
    in_shanghai["start_date"] = in_shanghai["start_date"].dt.tz_convert("Asia/Shanghai")
    for frame in (as_text, in_shanghai):
        assert ids("start_date = DATE('2023-04-01')", frame) == [1, 6]
        assert ids("start_date > TIMESTAMP('2023-04-01T12:00:00Z')", frame) == [2, 6, 7]
        assert ids("start_date IS NULL", frame) == [5]


def test_integer_and_nullable_columns():
    frame = FRAME.assign(
        total_investment=FRAME["total_investment"].round().astype("Int64"),
        key_project=FRAME["key_project"].astype("boolean").mask(FRAME["id"] == 2),
    )
    assert ids("total_investment > 5000", frame) == [1, 3, 5]
    assert ids("total_investment IS NULL", frame) == [4]
    assert ids("key_project = FALSE", frame) == [4, 6, 7, 8]
    assert ids("NOT key_project = TRUE", frame) == [4, 6, 7, 8]


def test_spatial_filter_is_reprojected_to_the_frame_crs():
    projected = FRAME.to_crs(3857)
    assert ids(f"S_INTERSECTS(geometry, {LONG_BOX})", projected) == [1, 2, 7]


def test_geometry_queryable_follows_the_active_column():
    renamed = FRAME.rename_geometry("geom")
    assert ids("S_INTERSECTS(geometry, BBOX(100, 39, 101, 40))", renamed) == [6]


def test_like_cannot_backtrack_catastrophically():
    frame = gpd.GeoDataFrame(
        {"id": [1, 2], "name": ["a" * 5000, "a" * 5000 + "b"]}, geometry=[None, None], crs=4326
    )
    pattern = "%a" * 30 + "%b"
    started = time.perf_counter()
    assert ids(f"name LIKE '{pattern}'", frame) == [2]
    assert time.perf_counter() - started < 2


def test_filter_text_is_data_not_code():
    hostile = "name = '__import__(\"os\").system(\"false\")' OR name LIKE '%'' OR 1=1 --'"
    assert ids(hostile) == []


TOKENS = [
    *"()'\",-+*%\\\n",
    *("NOT", "AND", "OR", "=", "<>", "<", "IN", "LIKE", "BETWEEN", "IS", "NULL", "TRUE"),
    *("1", "2.5", "1e999", "nan", "id", "name", "geometry", "start_date", "建设", "'2023-01-01'"),
    *("POINT", "POLYGON", "EMPTY", "BBOX", "CASEI", "DATE", "TIMESTAMP", "S_INTERSECTS", "0 0"),
]


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.sampled_from(TOKENS), max_size=30), st.sampled_from(["", " "]))
def test_any_text_is_a_mask_or_a_filter_error_never_a_crash(tokens, separator):
    try:
        mask = to_mask(parse(separator.join(tokens)), FRAME, QUERYABLES)
    except CQL2Error:
        return
    assert mask.dtype == bool and mask.shape == (len(FRAME),)
