"""The three ways geoapp can hold the province, side by side in one run: the GeoPackage, PostGIS
answered from each process's memory (``GEOAPP_DATABASE_READS=memory``, the default) and PostGIS
answering queries and tiles itself (``GEOAPP_DATABASE_READS=sql``).

    .venv/bin/python bench/backends.py
    BENCH_SMALL=1 .venv/bin/python bench/backends.py

The GeoPackage is a copy of the province file the other scripts use (the writes go into it).
One PostGIS server from Debian's packages on loopback (durable defaults: fsync and
synchronous_commit on; ``shared_buffers=256MB``), filled with ``geoapp db copy`` from the
province GeoPackage the other scripts use, then ``VACUUM (ANALYZE)``. The stores are opened in
this process, as an app worker opens them, and timed through the Store contract (no HTTP, so
the figures are the storage's):

- **first read**: opening the store and the first page of parcels (the memory paths load the
  table here; SQL reads load nothing);
- **page of 1,000 + count**: ``read(limit=1000)`` and ``extent`` of a new bbox each time (1 %
  of the extent around a random parcel), one in three with a ``land_state`` filter;
- **count only**: ``extent`` of such a bbox;
- **tiles**: ``build_tile`` of parcel tiles (no tile cache), the BENCH_BACKENDS_TILES densest
  z10 tiles and random z14 tiles over parcels — every tile built once per store: cold;
- **write**: a single-row update of a parcel's ``land_state`` through ``apply`` (history,
  version and, for the memory paths, the patch of the cached table on the next read).

Samples of the three stores are interleaved (one request each, in turn) so that all meet the
same background load. Figures: median and p95 in ms, and each store's median against the
GeoPackage's.
"""

from __future__ import annotations

import contextlib
import os
import signal
import statistics
import time
from collections.abc import Callable

import numpy as np
import psycopg
from common import (
    OUT,
    PROVINCE_PARCELS,
    PROVINCE_PROJECTS,
    data_extent,
    dataset,
    densest_tiles,
    env_int,
    feature_centers,
    header,
    load_note,
    ms,
    random_bbox,
    ratio,
    table,
    tile_of,
)
from replica import Clusters, db_copy
from writes import fresh_copy

from geoapp.config import PROJECT_ROOT
from geoapp.layers import load_layers
from geoapp.query import MapFilter
from geoapp.schemas import record_schemas
from geoapp.stores import Change, ChangeSet, open_store
from geoapp.stores.base import Query
from geoapp.tiles import build_tile

QUERIES = env_int("BENCH_BACKENDS_QUERIES", 60, 30)
TILES = env_int("BENCH_BACKENDS_TILES", 12, 6)
WRITES = env_int("BENCH_BACKENDS_WRITES", 30, 10)
LAND_STATES = ("occupied", "available", "reserved")
NAMES = ("GeoPackage", "PostGIS, memory", "PostGIS, sql")


def timed(fn: Callable[[], object]) -> float:
    started = time.perf_counter()
    fn()
    return (time.perf_counter() - started) * 1000


def interleaved(stores: dict, jobs: list[Callable]) -> dict[str, list[float]]:
    """Each job run on each store in turn; milliseconds per store."""
    samples: dict[str, list[float]] = {name: [] for name in stores}
    for job in jobs:
        for name, store in stores.items():
            samples[name].append(timed(lambda job=job, store=store: job(store)))
    return samples


def query_jobs(rng: np.random.Generator, centers, extent, n: int) -> list[Query]:
    queries = []
    for i in range(n):
        bbox = random_bbox(rng, centers, extent)
        states = {"land_state": frozenset({LAND_STATES[i % 3]})} if i % 3 == 0 else {}
        queries.append(Query(bbox=bbox, any_of=states))
    return queries


def stop(signum, frame) -> None:
    raise SystemExit(f"signal {signum}")  # the finally block stops the server


def main() -> None:
    before = header(
        f"GeoPackage, PostGIS (memory), PostGIS (sql): {PROVINCE_PARCELS:,} parcels, "
        f"{PROVINCE_PROJECTS:,} projects"
    )
    signal.signal(signal.SIGTERM, stop)
    data = fresh_copy(dataset(PROVINCE_PARCELS, PROVINCE_PROJECTS), OUT / "backends-store.gpkg")
    layers = load_layers(PROJECT_ROOT / "layers")
    parcels = next(layer for layer in layers if layer.id == "parcels")
    schemas = record_schemas(layers)
    clusters = Clusters()
    try:
        started = time.perf_counter()
        clusters.init_primary()
        copied = db_copy(data, clusters.url("primary"))
        with psycopg.connect(clusters.url("primary"), autocommit=True) as conn:
            conn.execute("VACUUM (ANALYZE)")
        print(f"   PostGIS filled in {time.perf_counter() - started:,.0f} s: {copied}")
        url = clusters.url("primary")
        openers = {
            NAMES[0]: lambda: open_store(data, schemas),
            NAMES[1]: lambda: open_store(url, schemas),
            NAMES[2]: lambda: open_store(url, schemas, reads="sql"),
        }
        stores, first = {}, {}
        for name, opener in openers.items():
            t = time.perf_counter()
            stores[name] = opener()
            stores[name].read("parcels", Query(limit=1000))
            first[name] = (time.perf_counter() - t) * 1000
        rng = np.random.default_rng(7)
        centers, extent = feature_centers(data), data_extent(data)
        results = {"first read (open + first page)": {n: [first[n]] for n in NAMES}}
        queries = query_jobs(rng, centers, extent, QUERIES)
        results["page of 1,000 + count"] = interleaved(
            stores,
            [
                lambda s, q=q: (
                    s.read("parcels", Query(**{**q.__dict__, "limit": 1000})),
                    s.extent("parcels", q),
                )
                for q in queries
            ],
        )
        counts = query_jobs(rng, centers, extent, QUERIES)
        results["count only"] = interleaved(
            stores, [lambda s, q=q: s.extent("parcels", q) for q in counts]
        )
        for z, tiles in tile_sets(rng, centers).items():
            results[f"cold z{z} parcel tile"] = interleaved(
                stores,
                [lambda s, t=t: build_tile(s, parcels, MapFilter(), "internal", *t) for t in tiles],
            )
        results["single-row write"] = writes(stores, rng)
        print_results(results)
        print(f"   {load_note(before)}")
    finally:
        with contextlib.suppress(Exception):
            clusters.stop()


def tile_sets(rng: np.random.Generator, centers: np.ndarray) -> dict[int, list[tuple]]:
    z10 = [(z, x, y) for z, x, y, _ in densest_tiles(centers, 10, TILES)]
    picks = centers[rng.integers(len(centers), size=TILES)]
    x, y = tile_of(picks[:, 0], picks[:, 1], 14)
    return {10: z10, 14: [(14, int(a), int(b)) for a, b in zip(x, y, strict=True)]}


def writes(stores: dict, rng: np.random.Generator) -> dict[str, list[float]]:
    """A single-row update per store in turn, then the read that brings the cache up to it."""
    keys = stores[NAMES[0]].read("parcels", Query(columns=("parcel_id",)))["parcel_id"]
    chosen = keys.iloc[rng.integers(len(keys), size=WRITES)].tolist()
    samples: dict[str, list[float]] = {name: [] for name in stores}
    for i, key in enumerate(chosen):
        change = Change("update", "parcels", (key,), {"land_state": LAND_STATES[i % 3]})
        for name, store in stores.items():
            samples[name].append(
                timed(
                    lambda store=store, change=change: (
                        store.apply(ChangeSet("bench", [change])),
                        store.extent("parcels", Query(bbox=(0, 0, 0.001, 0.001))),
                    )
                )
            )
    return samples


def print_results(results: dict[str, dict[str, list[float]]]) -> None:
    rows = []
    for what, by_store in results.items():
        base = statistics.median(by_store[NAMES[0]])
        cells = []
        for name in NAMES:
            values = by_store[name]
            median = statistics.median(values)
            spread = f" (p95 {ms(values, 95):,.1f})" if len(values) > 1 else ""
            cells.append(
                f"{median:,.1f}{spread}" + ("" if name == NAMES[0] else f" · {ratio(median, base)}")
            )
        rows.append([what, len(next(iter(by_store.values()))), *cells])
    print(table(["ms, median (p95) · × GeoPackage", "n", *NAMES], rows))


if __name__ == "__main__":
    os.environ.setdefault("PYTHONHASHSEED", "0")
    main()
