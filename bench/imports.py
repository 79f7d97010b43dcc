"""Time to import 100,000 project rows (goal: under 30 s): read + validate + place, then apply.

A CSV with Chinese headers is generated (deterministic), then ``prepare_projects`` (read,
type-check every cell, place, compare with the store) and ``apply`` (one change set, all or
nothing, in one SQLite transaction) run against a copy of the demo GeoPackage, as
``geoapp import --apply`` does.

    .venv/bin/python bench/imports.py      # BENCH_IMPORT_ROWS=100000 by default
"""

from __future__ import annotations

import csv
import os
import shutil
import time
from pathlib import Path

import numpy as np
from common import OUT, header, load_note

from geoapp.config import PROJECT_ROOT
from geoapp.demo.generate import build_demo
from geoapp.imports.service import apply, prepare_projects
from geoapp.layers import load_layers
from geoapp.schemas import record_schemas
from geoapp.stores import GeoPackageStore

ROWS = int(os.environ.get("BENCH_IMPORT_ROWS", "100000"))
HEADERS = [
    "项目代码",
    "项目名称",
    "建设单位",
    "建设地点",
    "项目类别",
    "级别",
    "建设性质",
    "建设阶段",
    "总投资（万元）",
    "年度计划投资（万元）",
    "累计完成投资（万元）",
    "计划开工时间",
    "经度",
    "纬度",
]


def sheet(path, rows: int) -> None:
    rng = np.random.default_rng(7)
    lon = rng.uniform(106.7, 107.0, rows)
    lat = rng.uniform(34.8, 35.0, rows)
    status = rng.choice(["在建", "前期推进", "竣工", "谋划储备"], rows)
    with open(path, "w", encoding="utf-8-sig", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(HEADERS)
        for i in range(rows):
            writer.writerow(
                [
                    f"B{i:07d}",
                    f"批量项目{i}",
                    "某公司",
                    "陇县",
                    "产业",
                    "县级",
                    "新建",
                    status[i],
                    1000 + i % 5000,
                    300,
                    100,
                    "2026年3月",
                    f"{lon[i]:.6f}",
                    f"{lat[i]:.6f}",
                ]
            )


def main() -> None:
    before = header(f"import {ROWS:,} project rows")
    OUT.mkdir(parents=True, exist_ok=True)
    store_path = OUT / "import-store.gpkg"
    if not (OUT / "import-base.gpkg").exists():
        GeoPackageStore.create(
            OUT / "import-base.gpkg", build_demo(PROJECT_ROOT / "data" / "boundaries.geojson")
        )
    for suffix in ("-wal", "-shm"):  # a killed run's log must not be replayed into the copy
        Path(f"{store_path}{suffix}").unlink(missing_ok=True)
    shutil.copyfile(OUT / "import-base.gpkg", store_path)
    path = OUT / f"import-{ROWS}.csv"
    sheet(path, ROWS)
    layers = load_layers(PROJECT_ROOT / "layers")
    store = GeoPackageStore(store_path, record_schemas(layers))  # change sets need the schemas
    started = time.perf_counter()
    prepared = prepare_projects(store, layers, path)
    checked = time.perf_counter() - started
    apply(store, prepared)
    total = time.perf_counter() - started
    print(
        f"\n{ROWS:,} rows: read, checked and placed in {checked:.1f} s; applied (one "
        f"change set; {len(store.read('projects')):,} projects now) after {total:.1f} s; "
        f"{len(prepared.errors)} errors, {prepared.added:,} new"
    )
    print(f"\ngoal: {'met' if total < 30 else 'MISSED'}: under 30 s ({total:.1f} s)")
    print(f"   {load_note(before)}")


if __name__ == "__main__":
    main()
