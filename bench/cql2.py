"""CQL2 filters: the hand-written parser it replaced vs the ``cql2`` library, parse + mask.

    .venv/bin/python bench/cql2.py            # BENCH_CQL2_ROWS=100000 by default

geoapp once parsed CQL2-text with its own tokenizer and recursive-descent parser
(``geoapp/cql2.py`` up to commit 7ee810c); it now parses CQL2-text and CQL2-JSON with the
``cql2`` library and checks the library's JSON tree (``build``). This script loads the old
module from git history (BENCH_CQL2_BASELINE: another commit) and times, for ~20
representative filters on a 100,000-row frame of projects shaped like the ones FrameIndex
keeps (categorical enums, datetimes with gaps, floats with NaN, points in China):

- parse: median of BENCH_CQL2_PARSES calls, text → tree (old: ``parse``; new: ``parse``,
  and the same filter as CQL2-JSON);
- parse + mask: median of BENCH_CQL2_MASKS calls of parse then ``to_mask`` over the frame,
  which is what a request pays.

Old and new run interleaved in the same process, so their ratio holds even when other work
slows the machine. Every filter's two masks must be identical, or the script stops.
"""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import time
import types
from collections.abc import Callable
from pathlib import Path

HERE = Path(__file__).resolve().parent
# This file's name would shadow the cql2 library that geoapp.cql2 imports: search it last.
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != HERE] + [str(HERE)]

import cql2 as library  # noqa: E402
import geopandas as gpd  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
from common import ROOT, header, load_note, table  # noqa: E402

from geoapp import cql2 as new  # noqa: E402

ROWS = int(os.environ.get("BENCH_CQL2_ROWS", "100000"))
PARSES = int(os.environ.get("BENCH_CQL2_PARSES", "300"))
MASKS = int(os.environ.get("BENCH_CQL2_MASKS", "7"))
BASELINE = os.environ.get("BENCH_CQL2_BASELINE", "7ee810cdd58d0f63a766832d3086e4b9af6d536d")

QUERYABLES = {
    "id": "integer",
    "name": "string",
    "status": "string",
    "industry": "string",
    "total_investment": "number",
    "start_date": "date",
    "key_project": "boolean",
    "geometry": "geometry",
}
BOX = "POLYGON((106 34, 108 34, 108 36, 106 36, 106 34))"
EXPRESSIONS = [
    "status = 'construction'",
    "total_investment > 5000",
    "id = 4242",
    "key_project = TRUE",
    "start_date >= DATE('2023-01-01')",
    "start_date > TIMESTAMP('2023-06-30T12:00:00Z')",
    "name LIKE '陇县%'",
    "name LIKE '%产业园%'",
    "CASEI(status) = CASEI('PLANNED')",
    "status IN ('planned', 'suspended', 'completed')",
    "industry NOT IN ('物流', '新材料')",
    "total_investment BETWEEN 500 AND 12000",
    "total_investment IS NULL",
    "NOT status = 'planned' AND key_project = FALSE",
    "(status = 'planned' OR status = 'construction') AND total_investment > 1000",
    f"S_INTERSECTS(geometry, {BOX})",
    "S_INTERSECTS(geometry, BBOX(100, 30, 110, 40))",
    f"S_INTERSECTS(geometry, {BOX}) AND status = 'construction' AND start_date IS NOT NULL",
    " OR ".join(f"id = {i}" for i in range(0, 5000, 100)),
    "NOT (NOT (NOT (status = 'planned' AND (industry = '新能源' OR name LIKE '%项目'))))",
]


def old_module() -> types.ModuleType:
    """The hand-written parser and evaluator, as they were at BASELINE."""
    source = subprocess.run(
        ["git", "show", f"{BASELINE}:geoapp/cql2.py"],
        cwd=ROOT,
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    module = types.ModuleType("cql2_handwritten")
    sys.modules[module.__name__] = module  # dataclasses look their module up
    exec(compile(source, f"{BASELINE[:7]}:geoapp/cql2.py", "exec"), module.__dict__)
    return module


def frame(rows: int) -> gpd.GeoDataFrame:
    """Projects as FrameIndex keeps them: enums categorical, dates datetime64, a few gaps."""
    rng = np.random.default_rng(7)
    places = np.array(["陇县", "城固县", "静乐县", "临泽县", "徐大堡"])
    kinds = np.array(["装备制造产业园", "苹果深加工项目", "光伏电站", "储能项目", "物流园"])
    investment = rng.lognormal(8, 1.5, rows).round(1)
    investment[rng.random(rows) < 0.05] = np.nan
    dates = pd.to_datetime("2020-01-01") + pd.to_timedelta(rng.integers(0, 2000, rows), "D")
    data = pd.DataFrame(
        {
            "id": np.arange(rows),
            "name": np.char.add(rng.choice(places, rows), rng.choice(kinds, rows)),
            "status": pd.Categorical(
                rng.choice(["planned", "construction", "completed", "suspended"], rows)
            ),
            "industry": pd.Categorical(rng.choice(["装备制造", "新能源", "物流", "新材料"], rows)),
            "total_investment": investment,
            "start_date": pd.Series(dates).mask(rng.random(rows) < 0.05),
            "key_project": rng.random(rows) < 0.3,
        }
    )
    points = gpd.points_from_xy(rng.uniform(98, 124, rows), rng.uniform(24, 44, rows))
    return gpd.GeoDataFrame(data, geometry=points, crs=4326)


def median_ms(fn: Callable[[], object], n: int) -> float:
    fn()  # warm-up
    samples = []
    for _ in range(n):
        started = time.perf_counter()
        fn()
        samples.append((time.perf_counter() - started) * 1000)
    return statistics.median(samples)


def measure(old: types.ModuleType, rows: gpd.GeoDataFrame, text: str) -> list[object]:
    """One table row: parse times, parse + mask times, and the ratios old / new."""
    json_text = json.dumps(library.parse_text(text).to_json(), ensure_ascii=False)
    old_mask = old.to_mask(old.parse(text), rows, QUERYABLES)
    new_mask = new.to_mask(new.parse(text), rows, QUERYABLES)
    json_mask = new.to_mask(new.parse(json_text, "cql2-json"), rows, QUERYABLES)
    if not (np.array_equal(old_mask, new_mask) and np.array_equal(new_mask, json_mask)):
        raise SystemExit(f"masks differ for {text!r}")
    parse_old = median_ms(lambda: old.parse(text), PARSES) * 1000
    parse_new = median_ms(lambda: new.parse(text), PARSES) * 1000
    parse_json = median_ms(lambda: new.parse(json_text, "cql2-json"), PARSES) * 1000
    total_old = median_ms(lambda: old.to_mask(old.parse(text), rows, QUERYABLES), MASKS)
    total_new = median_ms(lambda: new.to_mask(new.parse(text), rows, QUERYABLES), MASKS)
    label = text if len(text) <= 48 else text[:45] + "..."
    return [
        f"`{label}`",
        f"{int(new_mask.sum()):,}",
        f"{parse_old:,.0f}",
        f"{parse_new:,.0f}",
        f"{parse_json:,.0f}",
        f"{parse_old / parse_new:.2f}",
        f"{total_old:,.2f}",
        f"{total_new:,.2f}",
        f"{total_old / total_new:.2f}",
    ]


def main() -> None:
    before = header(f"CQL2: hand-written parser ({BASELINE[:7]}) vs the cql2 library")
    old, rows = old_module(), frame(ROWS)
    print(f"   {len(rows):,} rows; parse: median of {PARSES}; parse + mask: median of {MASKS}\n")
    results = [measure(old, rows, text) for text in EXPRESSIONS]
    headers = [
        "filter",
        "rows",
        "old parse µs",
        "new parse µs",
        "new JSON µs",
        "old/new",
        "old total ms",
        "new total ms",
        "old/new",
    ]
    print(table(headers, results))
    parse_ratio = statistics.geometric_mean(float(r[5]) for r in results)
    total_ratio = statistics.geometric_mean(float(r[8]) for r in results)
    print(
        f"\ngeometric mean of old/new: parse {parse_ratio:.2f}, parse + mask {total_ratio:.2f}"
        " (above 1: the library-based code is faster)"
    )
    print(f"   {load_note(before)}")


if __name__ == "__main__":
    main()
