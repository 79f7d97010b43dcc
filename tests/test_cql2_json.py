"""CQL2-JSON filters: the same rows as the CQL2-text cases, and refusals that name the problem."""

from __future__ import annotations

import json

import cql2 as library
import pytest

from geoapp.cql2 import MAX_LENGTH, CQL2Error, parse, to_mask
from tests.test_cql2 import FRAME, LONG_BOX, QUERYABLES, ROW_CASES


def ids(encoded: object) -> list[int]:
    text = encoded if isinstance(encoded, str) else json.dumps(encoded, ensure_ascii=False)
    mask = to_mask(parse(text, "cql2-json"), FRAME, QUERYABLES)
    return FRAME["id"][mask].tolist()


def prop(name: str) -> dict:
    return {"property": name}


@pytest.mark.parametrize(("expression", "expected"), ROW_CASES)
def test_every_text_case_selects_the_same_rows_as_json(expression, expected):
    assert ids(library.parse_text(expression).to_json()) == expected


SQUARE = [[[106.8, 34.8], [107.0, 34.8], [107.0, 35.0], [106.8, 35.0], [106.8, 34.8]]]


@pytest.mark.parametrize(
    ("encoded", "expected"),
    [
        ({"op": "=", "args": [prop("status"), "construction"]}, [1, 3, 5]),
        ({"op": "=", "args": ["construction", prop("status")]}, [1, 3, 5]),
        ({"op": "<>", "args": [prop("status"), "construction"]}, [2, 4, 6, 8]),
        ({"op": "=", "args": [prop("id"), 3]}, [3]),
        ({"op": "=", "args": [prop("land area"), 45.5]}, [7]),
        ({"op": "=", "args": [prop("key_project"), True]}, [1, 3, 5]),
        (
            {
                "op": "and",
                "args": [
                    {"op": ">", "args": [prop("total_investment"), 5000]},
                    {"op": "not", "args": [{"op": "=", "args": [prop("id"), 5]}]},
                ],
            },
            [1, 3],
        ),
        (
            {
                "op": "or",
                "args": [
                    {"op": "=", "args": [prop("id"), 1]},
                    {"op": "=", "args": [prop("id"), 2]},
                    {"op": "=", "args": [prop("id"), 8]},
                ],
            },
            [1, 2, 8],
        ),
        ({"op": "like", "args": [prop("name"), "陇县%"]}, [1, 2]),
        ({"op": "like", "args": [prop("name"), "50\\%%"]}, [8]),
        (
            {"op": "like", "args": [{"op": "casei", "args": [prop("status")]}, "C%"]},
            [1, 3, 4, 5],
        ),
        ({"op": "in", "args": [prop("id"), [1, 3, 8]]}, [1, 3, 8]),
        ({"op": "in", "args": [prop("industry"), ["物流", "新材料"]]}, [3, 7, 8]),
        ({"op": "between", "args": [prop("total_investment"), 500, 12000]}, [1, 2, 3, 6]),
        ({"op": "isNull", "args": [prop("status")]}, [7]),
        ({"op": "not", "args": [{"op": "isNull", "args": [prop("geometry")]}]}, list(range(1, 8))),
        ({"op": "=", "args": [prop("start_date"), {"date": "2023-04-01"}]}, [1, 6]),
        (
            {"op": ">=", "args": [prop("start_date"), {"timestamp": "2023-04-01T08:00:00+08:00"}]},
            [1, 2, 6, 7],
        ),
        (
            {
                "op": "s_intersects",
                "args": [prop("geometry"), {"type": "Polygon", "coordinates": SQUARE}],
            },
            [1, 2, 7],
        ),
        ({"op": "s_intersects", "args": [prop("geometry"), {"bbox": [100, 39, 101, 40]}]}, [6]),
        (
            {
                "op": "s_intersects",
                "args": [
                    {"type": "Point", "coordinates": [107.33, 33.16]},
                    prop("geometry"),
                ],
            },
            [3],
        ),
        (True, list(range(1, 9))),
        (False, []),
        ({"op": "not", "args": [{"op": "not", "args": [False]}]}, []),
    ],
)
def test_json_filter_selects_exact_rows(encoded, expected):
    assert ids(encoded) == expected


def test_json_and_text_give_the_same_tree():
    text = f"S_INTERSECTS(geometry, {LONG_BOX}) AND CASEI(status) IN ('PLANNED') OR id = 3"
    encoded = json.dumps(library.parse_text(text).to_json())
    assert parse(encoded, "cql2-json") == parse(text)


def point(*coordinates: object) -> str:
    """Raw JSON text, so that NaN and 1e999 reach the parser as a client would send them."""
    numbers = ", ".join(str(c) for c in coordinates)
    return (
        '{"op": "s_intersects", "args": [{"property": "geometry"}, '
        f'{{"type": "Point", "coordinates": [{numbers}]}}]}}'
    )


@pytest.mark.parametrize(
    ("text", "position", "problem"),
    [
        ("x", 0, "invalid JSON: Expecting value"),
        ('{"op": "=", "args": [{"property": "id"}, 1]} x', 45, "invalid JSON: Extra data"),
        ('{"op": "="', 10, "invalid JSON"),
        ("", 0, "empty filter"),
        (" " * (MAX_LENGTH + 1), MAX_LENGTH, f"longer than {MAX_LENGTH} characters"),
    ],
)
def test_invalid_json_is_refused_with_position(text, position, problem):
    with pytest.raises(CQL2Error) as caught:
        parse(text, "cql2-json")
    assert caught.value.position == position
    assert problem in caught.value.problem


@pytest.mark.parametrize(
    ("encoded", "problem"),
    [
        ({"op": "=", "args": [prop("id")]}, "'=' needs 2 arguments"),
        (
            {"op": "=", "args": [prop("id"), {"foo": 1}]},
            'expected a property or a value, found {"foo": 1}',
        ),
        ({"op": "frobnicate", "args": [1]}, "unsupported operator or function 'frobnicate'"),
        ({"op": "s_within", "args": [prop("geometry"), {"bbox": [0, 0, 1, 1]}]}, "'s_within'"),
        ({"op": "and", "args": []}, "'and' needs at least 2 arguments"),
        ({"op": "and", "args": [True]}, "'and' needs at least 2 arguments"),
        ({"op": "not", "args": "x"}, "'not' needs a list of arguments"),
        ({"op": 5, "args": []}, "expected a predicate"),
        (json.dumps("abc"), 'expected a predicate, found "abc"'),
        ({"property": "id"}, "expected a predicate"),
        (
            {"op": "=", "args": [prop("status"), 3]},
            "cannot compare string property 'status' with number 3",
        ),
        ({"op": "=", "args": [prop("status"), None]}, "NULL is not a value here (use IS NULL)"),
        ({"op": "=", "args": [prop(""), 1]}, "empty property name"),
        ({"op": "=", "args": [prop("colour"), 1]}, "unknown property 'colour'"),
        ({"op": "in", "args": [prop("id"), []]}, "IN needs a list of one or more values"),
        ({"op": "in", "args": [prop("id"), 1]}, "IN needs a list"),
        (
            {
                "op": "=",
                "args": [{"op": "casei", "args": [{"op": "casei", "args": [prop("name")]}]}, "x"],
            },
            "CASEI cannot be nested",
        ),
        ({"op": "=", "args": [prop("start_date"), {"date": "2023-02-30"}]}, "invalid date"),
        ({"op": "=", "args": [prop("start_date"), {"timestamp": "noon"}]}, "invalid timestamp"),
        (
            {
                "op": "s_intersects",
                "args": [prop("geometry"), {"type": "Circle", "coordinates": [1, 2]}],
            },
            "unknown geometry type 'Circle'",
        ),
        (
            {
                "op": "s_intersects",
                "args": [
                    prop("geometry"),
                    {"type": "Polygon", "coordinates": [[[0, 0], [1, 0], [1, 1]]]},
                ],
            },
            "polygon ring must be closed",
        ),
        (
            {
                "op": "s_intersects",
                "args": [prop("geometry"), {"type": "LineString", "coordinates": [[0, 0]]}],
            },
            "invalid geometry",
        ),
        (
            {
                "op": "s_intersects",
                "args": [prop("geometry"), {"type": "Point", "coordinates": ["a", 1]}],
            },
            "'a' is not a number",
        ),
        (
            {"op": "s_intersects", "args": [prop("geometry"), {"bbox": [0, 0, 1]}]},
            "BBOX needs 4 or 6",
        ),
    ],
)
def test_bad_json_filter_is_refused_naming_the_problem(encoded, problem):
    with pytest.raises(CQL2Error) as caught:
        ids(encoded)
    assert problem in caught.value.problem
    assert caught.value.position is None


@pytest.mark.parametrize(
    "text",
    [
        point("NaN", 1),
        point(1, "Infinity"),
        point("-Infinity", 1),
        point("1e999", 1),
        point(1, 2, "NaN"),
        '{"op": "s_intersects", "args": [{"property": "geometry"}, {"bbox": [0, 0, 1e999, 1]}]}',
        '{"op": "=", "args": [{"property": "id"}, NaN]}',
        point("9" * 400, 1),  # an integer too large for a float
        '{"op": "=", "args": [{"property": "id"}, ' + "9" * 400 + "]}",
    ],
)
def test_nan_and_infinite_numbers_are_refused(text):
    with pytest.raises(CQL2Error, match=r"not (a )?finite"):
        parse(text, "cql2-json")


@pytest.mark.parametrize(
    "text",
    [
        '{"op": "not", "args": [' * 60 + "true" + "]}" * 60,
        '{"op": "not", "args": [' * 300 + "true" + "]}" * 300,
        "[" * 4900 + "]" * 4900,
    ],
)
def test_deep_json_is_refused_without_crashing(text):
    assert len(text) <= MAX_LENGTH
    with pytest.raises(CQL2Error, match="nesting deeper than 50 levels"):
        parse(text, "cql2-json")


def test_unknown_language_is_a_programming_error():
    with pytest.raises(ValueError, match="unknown filter language") as caught:
        parse("id = 1", "ecql")
    assert not isinstance(caught.value, CQL2Error)
